"""The tests' order for pytest-xdist (``tests/scheduling.py``): every test handed out once, shares
as worksteal cuts them, the waiting tests spread, the process tests and the model's on a few workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.harness import ReadalongProcess
from tests.openai_server import FakeOpenAI
from tests.scheduling import SLOW_SPREAD, lay_out, share_sizes, starts_bots, talks_to_a_model, weight

WITH_PROCESSES = SimpleNamespace(ReadalongProcess=ReadalongProcess)
WITH_A_MODEL = SimpleNamespace(FakeOpenAI=FakeOpenAI)
WITHOUT = SimpleNamespace()


@dataclass
class Item:
    """What the layout reads of a collected test (a stand-in for ``pytest.Item``)."""

    nodeid: str
    slow: float | None = None
    fixturenames: tuple[str, ...] = ()
    module: Any = field(default_factory=lambda: WITHOUT)

    def get_closest_marker(self, name: str) -> Any:
        if name != "slow" or self.slow is None:
            return None
        return SimpleNamespace(kwargs={"seconds": self.slow})


def suite() -> list[pytest.Item]:
    items = [Item(f"tests/test_unit.py::test_{n}") for n in range(300)]
    items += [Item(f"tests/e2e/test_e2e.py::test_{n}", fixturenames=("sandbox",)) for n in range(80)]
    items += [
        Item(f"tests/e2e/test_slow.py::test_{n}", slow=2 + n % 9, fixturenames=("sandbox",))
        for n in range(30)
    ]
    items += [
        Item(f"tests/e2e/test_kill.py::test_{n}", slow=6, fixturenames=("sandbox",), module=WITH_PROCESSES)
        for n in range(8)
    ]
    items += [Item(f"tests/test_model.py::test_{n}", module=WITH_A_MODEL) for n in range(40)]
    items += [
        Item(f"tests/e2e/test_asked.py::test_{n}", fixturenames=("sandbox",), module=WITH_A_MODEL)
        for n in range(10)
    ]
    return cast(list[pytest.Item], items)


def shares(laid_out: list[pytest.Item], workers: int) -> list[list[pytest.Item]]:
    cut, start = [], 0
    for size in share_sizes(len(laid_out), workers):
        cut.append(laid_out[start : start + size])
        start += size
    return cut


def test_every_test_is_handed_out_once_in_the_same_order_every_time() -> None:
    items = suite()
    laid_out = lay_out(items, 10)
    assert sorted(i.nodeid for i in laid_out) == sorted(i.nodeid for i in items)
    assert [i.nodeid for i in laid_out] == [i.nodeid for i in lay_out(suite(), 10)]


def test_each_share_is_about_as_much_work_as_the_others() -> None:
    work = [sum(map(weight, share)) for share in shares(lay_out(suite(), 10), 10)]
    assert max(work) - min(work) <= max(weight(i) for i in suite())


def test_slow_tests_are_spread_and_none_is_left_for_the_end() -> None:
    for share in shares(lay_out(suite(), 10), 10):
        total = sum(map(weight, share))
        elapsed, starts = 0.0, []
        for item in share:
            if item.get_closest_marker("slow") is not None:
                starts.append(elapsed / total)
            elapsed += weight(item)
        assert starts and max(starts) <= SLOW_SPREAD
        if len(starts) > 1:  # not all at the head of the share
            assert starts[-1] > 0.2


def test_the_tests_that_start_processes_go_to_four_of_ten_workers() -> None:
    workers_with = {
        n for n, share in enumerate(shares(lay_out(suite(), 10), 10)) if any(map(starts_bots, share))
    }
    assert workers_with and workers_with <= {0, 1, 2, 3}


def test_the_tests_that_talk_to_a_model_go_to_three_of_ten_workers() -> None:
    workers_with = {
        n for n, share in enumerate(shares(lay_out(suite(), 10), 10)) if any(map(talks_to_a_model, share))
    }
    assert workers_with and workers_with <= {7, 8, 9}


def test_one_worker_runs_the_slow_tests_first() -> None:
    laid_out = lay_out(suite(), 1)
    slow = [i for i in laid_out if i.get_closest_marker("slow") is not None]
    assert laid_out[: len(slow)] == slow
