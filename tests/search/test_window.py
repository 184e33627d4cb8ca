"""The best window of an over-long sentence: the one-pass window finds what the previous code,
which scored every window from scratch, finds (the speed of both is measured in
benchmarks/event_loop.py, which keeps that code as its baseline)."""

from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.search.ranking import Stems, best_window
from tests.conftest import examples

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
from event_loop import previous_window as every_window

WORDS = [
    "pipeline",
    "pipelines",
    "gas",
    "the",
    "strike,",
    "wages.",
    "Zhanaozen",
    "x" * 120,
    "oil-price",
    "—",
    "(Gas)",
    "x" * 410,
    "of",
    "a",
    "in",
]


@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=800),
    st.lists(st.sampled_from(["pipeline", "gas", "strike", "wages", "zhanaozen", "price"]), max_size=5),
    st.sampled_from([" ", "  ", "\n"]),
)
@settings(max_examples=examples(300), deadline=None)
def test_one_pass_finds_the_window_every_window_finds(words: list[str], terms: list[str], gap: str) -> None:
    text = "Lead. " + gap.join(words) + " tail"
    start, end = 6, len(text) - 5
    assert best_window(text, start, end, Stems(terms)) == every_window(text, start, end, Stems(terms))
