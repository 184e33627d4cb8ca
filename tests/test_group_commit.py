"""``bot.aio.GroupCommit``: items handed in together are written together, each caller gets its
own result; one bad item does not sink the others; the database's own failure is not retried
row by row; a caller cancelled while its batch is written does not take the others down."""

from __future__ import annotations

import asyncio

import pytest

from bot.aio import GroupCommit
from bot.store import DatabaseBusyError


class Table:
    """A write that takes its time (yielding to the loop, as a database round trip does) and
    refuses negative numbers, as a constraint would."""

    def __init__(self, *, busy: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.rows: list[int] = []
        self.busy = busy
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.release.set()

    async def write_many(self, items: list[int]) -> list[str]:
        self.batches.append(list(items))
        self.started.set()
        await self.release.wait()
        await asyncio.sleep(0)
        if self.busy:
            raise DatabaseBusyError("the database is locked", "locked")
        if any(item < 0 for item in items):
            raise ValueError(f"refused {min(items)}")
        self.rows += items
        return [f"row {item}" for item in items]


async def test_items_handed_in_together_go_in_one_write_and_each_gets_its_result() -> None:
    table = Table()
    group = GroupCommit(table.write_many)
    results = await asyncio.gather(*(group.submit(n) for n in range(10)))
    assert results == [f"row {n}" for n in range(10)]
    assert table.batches == [[0], list(range(1, 10))]  # the first alone; the rest while it wrote


async def test_one_bad_item_does_not_sink_the_others() -> None:
    table = Table()
    group = GroupCommit(table.write_many)
    outcomes = await asyncio.gather(*(group.submit(n) for n in (1, 2, -3, 4)), return_exceptions=True)
    assert outcomes[:2] == ["row 1", "row 2"] and outcomes[3] == "row 4"
    assert isinstance(outcomes[2], ValueError) and str(outcomes[2]) == "refused -3"
    assert sorted(table.rows) == [1, 2, 4]


async def test_the_databases_failure_is_not_retried_row_by_row() -> None:
    table = Table(busy=True)
    group = GroupCommit(
        table.write_many, alone_may_pass=lambda error: not isinstance(error, DatabaseBusyError)
    )
    outcomes = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)
    assert all(isinstance(o, DatabaseBusyError) for o in outcomes)
    assert table.batches == [[0], [1, 2, 3, 4]]  # two attempts, not one per row after the batch


async def test_a_cancelled_caller_does_not_take_the_others_down() -> None:
    table = Table()
    table.release.clear()
    group = GroupCommit(table.write_many)
    first = asyncio.create_task(group.submit(1))
    await table.started.wait()  # the first caller is writing its batch
    others = [asyncio.create_task(group.submit(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    first.cancel()
    table.release.set()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.gather(*others) == ["row 2", "row 3"]
    assert sorted(table.rows) == [1, 2, 3]  # the cancelled caller's write was not cut short either
