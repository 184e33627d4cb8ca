"""The supervision helper: failures are logged with their traceback and the work runs again after
a bounded delay; its result comes back; cancelling stops it; a task set owns and closes its tasks."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from bot.aio import Backoff, TaskSet, supervise


def test_backoff_doubles_up_to_its_cap_and_starts_over_after_a_reset() -> None:
    backoff = Backoff(first=1.0, cap=5.0)
    assert [backoff.next() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    backoff.reset()
    assert backoff.next() == 1.0
    with pytest.raises(ValueError, match="backoff"):
        Backoff(first=2.0, cap=1.0)


async def test_failures_are_logged_and_the_work_runs_again(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    runs = 0

    async def flaky() -> str:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise sqlite3.OperationalError("database is locked")
        return "done"

    assert await supervise("the test job", flaky, backoff=Backoff(0.01, 0.02)) == "done"
    assert runs == 3
    failures = [r for r in caplog.records if "the test job failed" in r.getMessage()]
    assert len(failures) == 2 and all(r.exc_info is not None for r in failures)
    assert "the test job restarted (restart 2)" in caplog.text


async def test_cancelling_stops_it_and_a_task_set_closes_what_it_owns() -> None:
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    tasks = TaskSet()
    first = tasks.start("job", forever)
    assert tasks.start("job", forever) is first and "job" in tasks  # one task per name
    await started.wait()
    await tasks.close()
    assert first.cancelled() and tasks.names() == []


async def test_a_database_outage_waits_for_the_database_not_a_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage is expected: no traceback, no growing delay; the work runs again as soon as the
    database is back (``ready`` returns), however many times it failed before."""
    from bot.store.errors import DatabaseUnavailableError

    caplog.set_level(logging.INFO, logger="bot")
    back = asyncio.Event()
    runs = 0
    waits = 0

    async def ready() -> None:
        nonlocal waits
        waits += 1
        await back.wait()

    async def needs_the_database() -> str:
        nonlocal runs
        runs += 1
        if runs <= 5:
            raise DatabaseUnavailableError("connection refused")
        return "done"

    loop = asyncio.get_running_loop()
    loop.call_later(0.3, back.set)
    started = loop.time()
    # The backoff would wait 100 s after the first failure: only ``ready`` may set the pace.
    result = await asyncio.wait_for(
        supervise("the work", needs_the_database, backoff=Backoff(100.0, 300.0), ready=ready), 5.0
    )
    assert (result, runs, waits) == ("done", 6, 5)
    assert loop.time() - started < 2.0
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.WARNING]
