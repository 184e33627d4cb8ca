"""Scoring text against a question: the index's own stems, which of the question's words a
passage covers (each weighed by how rare it is in the article), and the best window of an
over-long sentence. Plain computation, used by the answers."""

from __future__ import annotations

import bisect
import functools
import math
import re
import threading
import unicodedata
from collections.abc import Iterator, Mapping

import snowballstemmer

from bot.articles.scrape import MONTHS

MAX_QUOTE_CHARS = 400
"""The longest quote shown: a longer sentence is quoted by its best window."""


_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CHUNK = re.compile(r"\S+")
_STEMMERS = threading.local()
"""Snowball's stemmer keeps the word it is stemming in itself, so one shared by threads mixes up
their words (an ``IndexError``, or a wrong stem memoised for good): one per thread, since answers
are ranked in threads of their own (``asyncio.to_thread``), thirty at once in a burst of asks."""
_MAX_STEMMED = 64
"""FTS5's porter leaves tokens shorter than 3 or longer than 64 characters as they are."""


def _fold(char: str) -> str:
    """One character as FTS5's unicode61 tokenizer (``remove_diacritics 1``) indexes it: a Latin
    letter with one diacritic loses it; letters with two, and other scripts, keep theirs."""
    if char == "ς":
        return "σ"  # unicode61 folds Greek's final sigma too
    if char.isascii():
        return char
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) == 2 and decomposed[0] < "\u0250" and unicodedata.combining(decomposed[1]):
        return decomposed[0]
    return char


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """The stem FTS5's ``porter`` tokenizer indexes for ``word`` (lowercased), so a passage the
    index matched covers the question's words here too (died and dies: di; policies: polici).

    Snowball's ``porter`` is the original algorithm; FTS5 follows Porter's later revision, which
    in step 2 turns "bli" into "ble" and "logi" into "log" (assembly: assembl, ideology: ideolog):
    the two are applied here. Memoised: the same few thousand words come back in every passage."""
    if not word.isascii():
        word = "".join(map(_fold, word))
    if len(word) < 3 or len(word) > _MAX_STEMMED:
        return word
    porter = _porter()
    stemmed: str = porter.stemWord(word)
    if stemmed.endswith("bli"):
        stemmed = porter.stemWord(stemmed[:-3] + "ble")
    elif stemmed.endswith("logi") and _measure(stemmed[:-4]) > 0:
        stemmed = stemmed[:-1]
    return stemmed


def _porter() -> snowballstemmer.PorterStemmer:
    """This thread's stemmer (:data:`_STEMMERS`)."""
    porter: snowballstemmer.PorterStemmer | None = getattr(_STEMMERS, "porter", None)
    if porter is None:
        porter = _STEMMERS.porter = snowballstemmer.stemmer("porter")
    return porter


def _measure(stem_: str) -> int:
    """Porter's m: how many vowel-consonant sequences ``stem_`` holds."""
    pattern = "".join("v" if _is_vowel(stem_, i) else "c" for i in range(len(stem_)))
    return len(re.findall("v+c+", pattern))


def _is_vowel(word: str, index: int) -> bool:
    char = word[index]
    if char in "aeiou":
        return True
    return char == "y" and index > 0 and not _is_vowel(word, index - 1)


def idf(frequency: int, passages: int) -> float:
    """How much covering a word says, as BM25 weighs it: high for a word few of the article's
    ``passages`` hold (``frequency`` of them), low for one most hold, never zero."""
    return math.log(1 + (passages - frequency + 0.5) / (frequency + 0.5))


UNSEEN_WEIGHT = 1.0
"""Added to a weighted question's whole weight, as if it held one more word no passage covers."""


class AnswerKind:
    """What a question word asks for, and whether a passage holds one: "how many" a number,
    "when" a date, "who" and "where" a name. Cheap signs, not parsing: digits and number words;
    month and day names, years and centuries; a capitalised word that does not start a sentence.
    Words the question itself holds do not count (the name asked about is not the answer)."""

    NUMBER = "number"
    DATE = "date"
    NAME = "name"

    _ASKS = (
        (
            NUMBER,
            re.compile(
                r"\bhow (?:many|much|long|old|far|large|big|high|tall|often|deep|wide)\b"
                r"|\b(?:what|which) (?:percentage|percent|number|amount|size|population)\b"
            ),
        ),
        (
            DATE,
            re.compile(
                r"\bwhen\b|\b(?:what|which|in what) (?:year|years|date|day|month|century|decade|time|era|period)\b"
            ),
        ),
        (
            NAME,
            re.compile(
                r"\b(?:who|whom|whose|where)\b"
                r"|\b(?:what|which) (?:country|countries|city|state|place|region|town|company|team|person|people|organi[sz]ation|university|river|name)\b"
            ),
        ),
    )
    _NUMBER_WORDS = frozenset(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
            "thirty",
            "forty",
            "fifty",
            "sixty",
            "seventy",
            "eighty",
            "ninety",
            "hundred",
            "hundreds",
            "thousand",
            "thousands",
            "million",
            "millions",
            "billion",
            "billions",
            "trillion",
            "dozen",
            "dozens",
            "half",
            "third",
            "quarter",
            "percent",
        ]
    )
    _DATE_WORDS = frozenset(
        [
            *MONTHS,
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "century",
            "centuries",
            "decade",
            "decades",
            "bc",
            "ad",
            "bce",
            "ce",
        ]
    )
    _YEAR = re.compile(r"^(?:1\d{3}|20\d{2}|\d{1,4}(?:st|nd|rd|th|s))$")
    _CAPITALISED = re.compile(r"(?<=[^\s.!?\"“(\[])\s+[\"“(]?([A-Z][^\W_]*)")

    @classmethod
    def asked(cls, question: str) -> str | None:
        """The kind of answer ``question`` asks for, or None (what, why, how: anything)."""
        lowered = question.lower()
        for kind, pattern in cls._ASKS:
            if pattern.search(lowered):
                return kind
        return None

    @classmethod
    def held(cls, kind: str, text: str, question_words: frozenset[str]) -> bool:
        """Whether ``text`` holds an answer of this kind that the question does not already hold."""
        if kind == cls.NAME:
            return any(
                stem(m.group(1).lower()) not in question_words for m in cls._CAPITALISED.finditer(text)
            )
        for word in _WORD.findall(text.lower()):
            if stem(word) in question_words:
                continue
            if kind == cls.NUMBER and (word[0].isdigit() or word in cls._NUMBER_WORDS):
                return True
            if kind == cls.DATE and (word in cls._DATE_WORDS or cls._YEAR.match(word)):
                return True
        return False


class Stems:
    """The question's stemmed terms and their weights, and each passage's stemmed words, worked
    out once per question.

    Without ``weights`` every term counts once (per time the question holds it). With them (a
    weight per term, usually its :func:`idf` in the article), coverage is the share of the
    question's weight a passage holds: covering only its most common word is not an answer."""

    def __init__(
        self,
        terms: list[str],
        weights: Mapping[str, float] | None = None,
        *,
        question: str = "",
        unseen: frozenset[str] = frozenset(),
    ) -> None:
        self._wanted = [stem(t.lower()) for t in terms]
        self.unseen = frozenset(stem(t.lower()) for t in unseen)
        """The stems of the question's terms that no passage of the article holds."""
        self.kind = AnswerKind.asked(question)
        """What the question asks for (:class:`AnswerKind`), or None."""
        self.question = question
        self.asked = frozenset(stem(w) for w in _WORD.findall(question.lower()))
        """The stems of all the question's words: none of them is what it asks for."""
        self._weights: dict[str, float] = {}
        for term, stemmed in zip(terms, self._wanted, strict=True):
            weight = 1.0 if weights is None else weights.get(term, weights.get(term.lower(), 1.0))
            self._weights[stemmed] = self._weights.get(stemmed, 0.0) + weight
        # Weighted, the whole is one word's weight more than the question's: one or two words
        # covered are less evidence than many (on SQuAD dev, fewer foreign questions answered).
        self._total = sum(self._weights.values()) + (UNSEEN_WEIGHT if weights is not None else 0.0)
        self._prefixes: re.Pattern[str] | None = None
        self._seen: dict[str, frozenset[str]] = {}

    @staticmethod
    def words(text: str) -> frozenset[str]:
        """The stems of ``text``'s words, made as the index makes them (see :func:`stem`)."""
        return frozenset(map(stem, set(_WORD.findall(text.lower()))))

    def of(self, text: str) -> frozenset[str]:
        """``words(text)``, remembered: a passage comes back as a hit and as a neighbour."""
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self.words(text)
        return found

    def covered(self, words: frozenset[str]) -> float:
        """Share of the question's (weighted) terms among ``words``."""
        # Summed in the question's order, not the set's (which varies with string hashing): the
        # same words always weigh exactly the same, so a pair covering no more is never "more".
        return self.share(sum(weight for term, weight in self._weights.items() if term in words))

    def missing(self, words: frozenset[str]) -> float:
        """The largest share of the question's weight that one of its terms absent from
        ``words`` carries (0 when all are there): the word a near miss hangs on weighs most."""
        return self.share(max((w for t, w in self._weights.items() if t not in words), default=0.0))

    def absent(self) -> float:
        """The largest share of the question's weight that one term no passage holds carries:
        a word the article never uses is the likeliest thing a near miss hangs on."""
        return self.share(max((w for t, w in self._weights.items() if t in self.unseen), default=0.0))

    def heaviest(self, words: frozenset[str]) -> str | None:
        """The question's heaviest term among ``words`` (the first of equals), or None."""
        held = [(w, t) for t, w in self._weights.items() if t in words]
        return max(held, key=lambda pair: pair[0])[1] if held else None

    def answers_kind(self, text: str) -> bool:
        """Whether ``text`` holds the kind of answer the question asks for (False if it asks none)."""
        return self.kind is not None and AnswerKind.held(self.kind, text, self.asked)

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

    def weight(self, term: str) -> float:
        """What ``term`` (a stem) weighs in the question; 0 if the question does not hold it."""
        return self._weights.get(term, 0.0)

    def share(self, covered: float) -> float:
        """``covered`` weight of the question's terms as a share of their whole weight."""
        return covered / self._total if self._total else 0.0


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
    covered = 0.0
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
