"""What every test may use: the sample article's path, and the order tests are handed to workers in."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE_PATH = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"
"""For the few places a fixture cannot reach (parametrize lists); tests take the ``sample`` fixture."""


@pytest.fixture(scope="session")
def sample() -> Path:
    """The article shipped with the bot (bot/data/), as a user would import it."""
    return SAMPLE_PATH


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: with pytest-xdist the longest tests then start at once, on different
    workers, instead of one of them starting last and leaving the other workers idle at the end.
    The order is deterministic (xdist requires every worker to collect the same order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
