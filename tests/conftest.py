"""What every test may use: the sample article's path, and the order tests are handed to workers in."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Bytecode caches on, for this process and the ones it starts, even under PYTHONDONTWRITEBYTECODE:
# without them each of the workers rewrites the asserts of ~200 test modules again (2 s of CPU
# each), and each of the ~60 `readalong` processes the tests start compiles the bot again. The
# caches go in __pycache__ folders, which git ignores. (Set here, in the first conftest, before
# any test module is imported.)
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readalong's default data folder is in the home folder: every test, and every process it
    starts, gets a home of its own instead of the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The article shipped with the bot (bot/data/the-lessons-of-zhanaozen.txt), as a user would
    import it. (A parametrize list, which no fixture reaches, names it "<sample>".)"""
    return Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first: with pytest-xdist the longest tests then start at once, on different
    workers, instead of one of them starting last and leaving the other workers idle at the end.
    The order is deterministic (xdist requires every worker to collect the same order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
