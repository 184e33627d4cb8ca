"""The order tests are handed to pytest-xdist's workers in (``tests.conftest`` lays them out).

pytest-xdist's "worksteal" hands each worker one contiguous share of the list at the start (the
first N/W tests to one, the next N/W to the next...), and an idle worker later steals half of
the busiest queue, from its *end*. The list is laid out as the shares it will be cut into, so
that each share is about as much work as the others and uses the two cores as evenly:

- Each test is weighed: a ``slow`` test by its ``seconds``, an end-to-end test (one with the
  sandbox) as 1 s, any other as 0.2 s: roughly what each kind takes in a full run on two cores.
  Heaviest first, each goes to the share with the least work that still has room.
- A slow or end-to-end test mostly waits (a window, a held lock, a killed process, the sandbox),
  a quick one mostly computes. Slow tests all at the start of their shares left the cores a
  third idle for the first 30 s while every worker waited at once: they are spread in time
  through each share instead, between quick ones, and the shares are staggered.
- Each share ends with quick tests, so what is stolen at the end is short and the workers finish
  together; the slow tests are all before the last 15 % of a share's time.

Tests of a module with a module-scoped fixture (Chromium, say) stay together, so the fixture is
made once. The tests that start ``readalong run`` in processes of their own go to a few of the
workers only: each worker that starts one keeps a starter process (``tests.harness``), and each
starter imports the bot once. So do the tests that talk to the test's model server
(``tests.openai_server``), to a few others: the first of them in a worker imports openai (0.6 s of
CPU), which the other workers then never do. The order is deterministic: xdist requires every worker to
collect the same list.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.harness import ReadalongProcess
from tests.openai_server import FakeOpenAI

END_TO_END_SECONDS = 1.0
QUICK_SECONDS = 0.2
SLOW_SPREAD = 0.85
"""The part of a share's time, from its start, that its slow tests are spread over."""
END_TO_END_SPREAD = 0.95
"""The part of a share's time, from its start, that its end-to-end tests are spread over."""
STARTER_SHARE = 0.4
"""The part of the workers that the tests starting ``readalong run`` processes go to (the first)."""
MODEL_SHARE = 0.3
"""The part of the workers that the tests talking to a model server go to (the last)."""


def slow_seconds(item: pytest.Item) -> float:
    """The seconds a ``slow`` test says it takes (``@pytest.mark.slow(seconds=20)``), 5 if it
    does not say; 0 for a test not marked slow."""
    marker = item.get_closest_marker("slow")
    return float(marker.kwargs.get("seconds", 5)) if marker is not None else 0.0


def starts_bots(item: pytest.Item) -> bool:
    """Whether ``item``'s module starts ``readalong run`` processes (``tests.harness``): each
    worker that does runs a starter process of its own, which imports the bot (a second of CPU)."""
    return getattr(getattr(item, "module", None), "ReadalongProcess", None) is ReadalongProcess


def talks_to_a_model(item: pytest.Item) -> bool:
    """Whether ``item``'s module runs the test's model server (``tests.openai_server``), so that
    its worker imports openai."""
    return getattr(getattr(item, "module", None), "FakeOpenAI", None) is FakeOpenAI


def allowed_workers(group: Sequence[pytest.Item], workers: int) -> range:
    """The workers a group of tests may go to (see the module)."""
    if any(map(starts_bots, group)):
        return range(max(1, round(workers * STARTER_SHARE)))
    if any(map(talks_to_a_model, group)):
        return range(workers - max(1, round(workers * MODEL_SHARE)), workers)
    return range(workers)


def weight(item: pytest.Item) -> float:
    """About how long ``item`` takes in a full run on two cores."""
    if item.get_closest_marker("slow") is not None:
        return slow_seconds(item)
    return END_TO_END_SECONDS if "sandbox" in getattr(item, "fixturenames", ()) else QUICK_SECONDS


def share_sizes(count: int, workers: int) -> list[int]:
    """The sizes worksteal cuts a list of ``count`` tests into: ``len(pending) // nodes_remaining``,
    in turn."""
    sizes = []
    for remaining in range(workers, 0, -1):
        sizes.append(count // remaining)
        count -= sizes[-1]
    return sizes


def lay_out(items: Sequence[pytest.Item], workers: int) -> list[pytest.Item]:
    """``items`` in the order to hand them out to ``workers`` workers (see the module)."""
    if workers < 2:
        return sorted(items, key=lambda item: -slow_seconds(item))  # sorted() is stable
    # Each test weighed once (by id: a test item need not be hashable). Reading a marker walks
    # the test's parents, and the layout asks for each weight many times: it took 64 ms of each
    # worker's start, 33 ms now.
    weighed = {id(item): weight(item) for item in items}
    slow = {id(item): slow_seconds(item) for item in items}
    groups = _groups(items)
    sizes = share_sizes(len(items), workers)
    shares: list[list[pytest.Item]] = [[] for _ in sizes]
    work = [0.0] * workers
    # The groups kept to a few workers first, while those have room; the rest, heaviest first,
    # then even the work out.
    placed = [(allowed_workers(group, workers), group) for group in groups]
    for allowed, group in sorted(placed, key=lambda p: (len(p[0]), -sum(weighed[id(item)] for item in p[1]))):
        room = [n for n in allowed if len(shares[n]) + len(group) <= sizes[n]]
        room = room or [n for n in range(workers) if len(shares[n]) + len(group) <= sizes[n]]
        # No share has room for a whole group only if groups are larger than shares: the one
        # with the most room takes it, and the shares' sizes are kept below.
        chosen = (
            min(room, key=lambda n: (work[n], n))
            if room
            else max(range(workers), key=lambda n: sizes[n] - len(shares[n]))
        )
        shares[chosen] += group
        work[chosen] += sum(weighed[id(item)] for item in group)
    return [test for n, share in enumerate(shares) for test in _ordered(share, n / workers, weighed, slow)]


def _groups(items: Sequence[pytest.Item]) -> list[list[pytest.Item]]:
    """Each test alone, except the tests of a module with a module-scoped fixture: one group."""
    together: dict[str, list[pytest.Item]] = {}
    groups: list[list[pytest.Item]] = []
    for item in items:
        if _has_module_fixture(item):
            module = item.nodeid.split("::", 1)[0]
            if module not in together:
                together[module] = []
                groups.append(together[module])
            together[module].append(item)
        else:
            groups.append([item])
    return groups


def _has_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope in ("module", "package", "class")
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
        if definition.baseid  # the tests' own fixtures, not pytest's or a plugin's
    )


def _ordered(
    share: list[pytest.Item],
    turn: float,
    weighed: dict[int, float],
    slow_for: dict[int, float],
) -> list[pytest.Item]:
    """One share's tests in the order its worker runs them. The tests that mostly wait (slow ones
    over the first :data:`SLOW_SPREAD` of the share's time, end-to-end ones over
    :data:`END_TO_END_SPREAD` of it) are spread evenly in time between those that mostly compute, so that at any moment some workers
    compute while others wait; the share ends with quick tests. ``turn`` (0 to 1, the share's
    place among the shares) staggers the shares: each starts its slow tests at another point of
    their list (longest first), so the longest waits of all the workers do not fall at the same
    moment. Within the other kinds the order is kept, so a module's tests stay in their order."""
    slow = sorted((item for item in share if slow_for[id(item)]), key=lambda item: -slow_for[id(item)])
    slow = slow[round(turn * len(slow)) :] + slow[: round(turn * len(slow))]
    end_to_end = [
        item for item in share if not slow_for[id(item)] and weighed[id(item)] == END_TO_END_SECONDS
    ]
    rest = [item for item in share if not slow_for[id(item)] and weighed[id(item)] != END_TO_END_SECONDS]
    total = sum(weighed[id(item)] for item in share)
    kinds = [(slow, SLOW_SPREAD), (end_to_end, END_TO_END_SPREAD), (rest, 1.0)]
    done = [0.0] * len(kinds)
    kind_totals = [sum(weighed[id(item)] for item in kind) for kind, _ in kinds]
    taken = [0] * len(kinds)
    ordered: list[pytest.Item] = []
    elapsed = 0.0
    while len(ordered) < len(share):
        # The kind furthest behind where it should be by now, if its tests were spread evenly
        # over its part of the share's time (ties: the first kind).
        behind = [
            min(1.0, elapsed / (span * total)) * kind_total - did
            for (_, span), kind_total, did in zip(kinds, kind_totals, done, strict=True)
        ]
        k = max((k for k in range(len(kinds)) if taken[k] < len(kinds[k][0])), key=lambda k: (behind[k], -k))
        item = kinds[k][0][taken[k]]
        taken[k] += 1
        done[k] += weighed[id(item)]
        elapsed += weighed[id(item)]
        ordered.append(item)
    return ordered
