"""Scoring text against a question: crude stems, which of the question's words a passage
covers, and the best window of an over-long sentence. Plain computation, used by the answers."""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter
from collections.abc import Iterator

MAX_QUOTE_CHARS = 400
"""The longest quote shown: a longer sentence is quoted by its best window."""


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CHUNK = re.compile(r"\S+")


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A crude stem, for counting which question words a passage covers (FTS5 ranks with porter).
    Memoised: the same few thousand words come back in every passage."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)]
    return word


class Stems:
    """The question's stemmed terms, and each passage's stemmed words, worked out once per question."""

    def __init__(self, terms: list[str]) -> None:
        self._wanted = [stem(t.lower()) for t in terms]
        self._weights = Counter(self._wanted)
        self._prefixes: re.Pattern[str] | None = None
        self._seen: dict[str, frozenset[str]] = {}

    @staticmethod
    def words(text: str) -> frozenset[str]:
        return frozenset(map(stem, set(_WORD.findall(text.lower()))))

    def of(self, text: str) -> frozenset[str]:
        """``words(text)``, remembered: a passage comes back as a hit and as a neighbour."""
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self.words(text)
        return found

    def covered(self, words: frozenset[str]) -> float:
        """Share of the question's terms among ``words``."""
        return self.share(sum(self._weights[w] for w in words if w in self._weights))

    def candidates(self, text: str, start: int, end: int) -> Iterator[re.Match[str]]:
        """The words of ``text[start:end]`` that may be among the question's: those beginning like
        one of its terms (a stem keeps its word's first letters), found in one regex pass."""
        if self._prefixes is None:
            heads = sorted({re.escape(t[:3]) for t in self._weights if t}, key=len, reverse=True)
            self._prefixes = (
                re.compile(rf"(?<![^\W_])(?:{'|'.join(heads)})[^\W_]*", re.IGNORECASE) if heads else None
            )
            if self._prefixes is None:
                return iter(())
        return self._prefixes.finditer(text, start, end)

    def weight(self, term: str) -> int:
        """How many times the question holds ``term``."""
        return self._weights[term]

    def share(self, covered: int) -> float:
        """``covered`` of the question's terms (counted with repeats) as a share of them all."""
        return covered / len(self._wanted) if self._wanted else 0.0


def best_window(text: str, start: int, end: int, stems: Stems) -> tuple[float, int, int]:
    """The run of whole words of an over-long sentence, at most ``MAX_QUOTE_CHARS`` long, that
    covers most of the question (the earliest such run).

    A 1.5 MB comment with no sentence break must not cost seconds. The question's words are found
    by one regular expression, lazily (a stem keeps its word's first letters); only windows that
    can hold one of them are scored, a stretch of text at a time, each in one pass with two ends;
    and the search stops at the first window that holds all of the question the text holds.
    """
    words = [
        (word.start(), word.end(), term)
        for word in stems.candidates(text, start, end)
        if stems.weight(term := stem(word.group().lower()))
    ]
    # No window can cover more than the question's words the text holds at all.
    reachable = stems.share(sum(stems.weight(term) for term in {term for _, _, term in words}))
    best = (-1.0, start, start)
    found: list[tuple[int, str]] = []
    """The question's words (start, term) not yet scored, in a stretch starting at ``low``."""
    low = start
    for word_start, word_end, term in words:
        if found and word_end - MAX_QUOTE_CHARS > found[-1][0] + MAX_QUOTE_CHARS:
            # Too far from the last word for a window to hold both: score the stretch so far.
            scored = _score_windows(
                text, (start, end), (low, found[-1][0] + 1), found, stems=stems, reachable=reachable
            )
            best = max(best, scored, key=lambda b: b[0])
            found = []
        elif len(found) >= _STRETCH_WORDS and found[-1][0] - MAX_QUOTE_CHARS > low:
            # Dense: windows starting before ``cut`` can only hold the words already found.
            cut = found[-1][0] - MAX_QUOTE_CHARS
            scored = _score_windows(text, (start, end), (low, cut), found, stems=stems, reachable=reachable)
            best = max(best, scored, key=lambda b: b[0])
            low, found = cut, [f for f in found if f[0] >= cut]
        if best[0] >= reachable:
            return best
        if not found:
            low = max(start, word_end - MAX_QUOTE_CHARS)
        found.append((word_start, term))
    if found:
        scored = _score_windows(
            text, (start, end), (low, found[-1][0] + 1), found, stems=stems, reachable=reachable
        )
        best = max(best, scored, key=lambda b: b[0])
    if best[0] > 0:
        return best
    # Nothing of the question in reach: the first window that fits, covering nothing.
    chunks = _CHUNK.finditer(text, start, end)
    for chunk in chunks:
        a, b = chunk.span()
        if b - a > MAX_QUOTE_CHARS:
            continue
        for following in chunks:
            if following.end() - a > MAX_QUOTE_CHARS:
                break
            b = following.end()
        return 0.0, a, b
    return 0.0, start, start + MAX_QUOTE_CHARS


_STRETCH_WORDS = 128
"""How many of the question's words a dense stretch collects before its first windows are scored."""


def _score_windows(
    text: str,
    bounds: tuple[int, int],
    firsts: tuple[int, int],
    found: list[tuple[int, str]],
    *,
    stems: Stems,
    reachable: float,
) -> tuple[float, int, int]:
    """The earliest best window of ``text[bounds]`` starting in ``firsts`` (a range of offsets),
    ``found`` being every word of the question those windows can hold; one pass, two ends,
    stopping at a window that covers all the question's words the text holds (``reachable``)."""
    start, end = bounds
    low, before = firsts
    high = min(end, before + MAX_QUOTE_CHARS)
    spans = [m.span() for m in _CHUNK.finditer(text, low, high)]
    # A chunk cut off at an edge is not whole there: the windows of the other side take it.
    if spans and spans[0][0] == low and low > start and not text[low - 1].isspace():
        spans.pop(0)
    if spans and spans[-1][1] == high and high < end and not text[high].isspace():
        spans.pop()
    starts = [a for a, _ in spans]
    terms: dict[int, list[str]] = {}
    for word_start, term in found:
        chunk = terms.setdefault(bisect.bisect_right(starts, word_start) - 1, [])
        if term not in chunk:
            chunk.append(term)
    in_window: dict[str, int] = {}
    covered = 0
    best = (-1.0, start, start)
    last = -1
    for first in range(bisect.bisect_left(starts, before)):
        if last < first:
            last = first - 1  # the window is empty: the previous chunk alone was too long
        while last + 1 < len(spans) and spans[last + 1][1] - spans[first][0] <= MAX_QUOTE_CHARS:
            last += 1
            for term in terms.get(last, ()):
                in_window[term] = in_window.get(term, 0) + 1
                if in_window[term] == 1:
                    covered += stems.weight(term)
        if last < first:
            continue  # a single "word" longer than a quote: skip it
        share = stems.share(covered)
        if share > best[0]:
            best = (share, spans[first][0], spans[last][1])
            if share >= reachable:
                break
        for term in terms.get(first, ()):
            in_window[term] -= 1
            if in_window[term] == 0:
                covered -= stems.weight(term)
    return best
