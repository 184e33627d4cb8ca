"""The best window of an over-long sentence: the one-pass window finds what trying every window
finds (the speed of it is measured in benchmarks/event_loop.py)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.search.answer import MAX_QUOTE_CHARS, _Stems, _window

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


def every_window(text: str, start: int, end: int, stems: _Stems) -> tuple[float, int, int]:
    """The reference: each run of whole words that fits, scored from scratch, the earliest best."""
    spans = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    best = (-1.0, start, start)
    for first in range(len(spans)):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= MAX_QUOTE_CHARS:
            last += 1
        window = (spans[first][0], spans[last][1])
        if window[1] - window[0] > MAX_QUOTE_CHARS:
            continue
        covered = stems.covered(stems.words(text[window[0] : window[1]]))
        if covered > best[0]:
            best = (covered, *window)
    return best if best[0] >= 0 else (0.0, start, start + MAX_QUOTE_CHARS)


@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=800),
    st.lists(st.sampled_from(["pipeline", "gas", "strike", "wages", "zhanaozen", "price"]), max_size=5),
    st.sampled_from([" ", "  ", "\n"]),
)
@settings(max_examples=300, deadline=None)
def test_one_pass_finds_the_window_every_window_finds(words: list[str], terms: list[str], gap: str) -> None:
    text = "Lead. " + gap.join(words) + " tail"
    start, end = 6, len(text) - 5
    assert _window(text, start, end, _Stems(terms)) == every_window(text, start, end, _Stems(terms))
