"""Ranking by meaning beside ranking by words: passage vectors, cosine, and the fusion.

Plain computation, no I/O (the vectors come from :mod:`bot.answers.embeddings`). Vectors are kept
at unit length, so a cosine is a dot product. The fusion is a weighted sum of min-max-normalised
scores over one question's candidates: the lexical score (coverage of the question's words plus
a share of BM25, as :mod:`bot.answers.extractive` scores it) and the cosine of the question's
vector with the passage's. On SQuAD dev with all-MiniLM-L6-v2, reciprocal-rank fusion added
nothing over BM25 at hit@1 while the weighted sum did (``benchmarks/semantic.py``).

Whether the article answers at all stays an absolute test, as without vectors: a quote answers
when it holds ``WORDS_ALONE`` of the question's (weighted) words, or when its *support*, a blend
of that share and its cosine, reaches ``SUPPORT_THRESHOLD``; its ``coverage`` is rescaled so that
``ANSWER_COVERAGE`` stays the one threshold the caller checks. The rule was calibrated on SQuAD's
questions, each also put to the wrong article (see the benchmark), for the most real questions
answered while no more than 3% of the foreign ones are. Cosines differ between models: the
calibration is all-MiniLM-L6-v2's, and ``benchmarks/semantic.py`` redoes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import operator
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.answer import Quote
from bot.domain.passage import Hit, Passage

SEMANTIC_WEIGHT = 0.3
"""Weight of the normalised cosine in the fused score (the rest is the lexical score's). On all of
SQuAD dev with all-MiniLM-L6-v2, hit@1 at 0.2 / 0.3 / 0.5 / 0.7: 78.9 / 79.1 / 77.6 / 74.8%
(words alone 77.1%)."""
SEMANTIC_CANDIDATES = 10
"""The passages nearest the question by meaning that join BM25's candidates."""
WORDS_ALONE = 0.45
"""Weighted coverage at which a quote answers by its words alone, with vectors at hand (without
them, :data:`bot.answers.extractive.ANSWER_COVERAGE`, 0.362, decides): with the cosine to vouch
for the rest, the words alone may be asked for more."""
SUPPORT_WORDS = 0.3
"""In a quote's support, the weight of the share of the question's words it holds; the cosine
has the rest."""
SUPPORT_THRESHOLD = 0.35
"""Support at which a quote answers the question (mapped onto ``ANSWER_COVERAGE``). Chosen with
``WORDS_ALONE`` and ``SUPPORT_WORDS`` on all of SQuAD dev with all-MiniLM-L6-v2
(``benchmarks/semantic.py``, the rule with the most real questions answered while at most 3% of
questions put to another article are): 98.9% of real questions answered and 2.6% of foreign ones
(by words alone: 90.1% and 3.0%)."""


def text_hash(text: str) -> bytes:
    """The key a passage's vector is stored under, with the model's name."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def normalised(vector: Sequence[float]) -> list[float]:
    """``vector`` at unit length (a zero vector stays zero)."""
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else [0.0 for _ in vector]


def pack(vector: Sequence[float]) -> bytes:
    """A unit vector as float32 bytes: 4 bytes a dimension."""
    return array("f", normalised(vector)).tobytes()


def unpack(blob: bytes) -> list[float]:
    """The vector ``pack`` stored, as a list (Python multiplies lists faster than arrays)."""
    values = array("f")
    values.frombytes(blob)
    return values.tolist()


@dataclass(frozen=True, slots=True)
class PassageVectors:
    """An article's passages with their vectors, in id order, kept per article and model."""

    ids: tuple[int, ...]
    passages: tuple[Passage, ...]
    vectors: tuple[list[float], ...]
    article_id: str

    def hit(self, index: int) -> Hit:
        """Passage ``index`` as a retrieval hit (BM25 score 0), with its neighbours in its text."""
        passage = self.passages[index]

        def neighbour(at: int) -> Passage | None:
            if not 0 <= at < len(self.passages) or self.ids[at] != self.ids[index] + (at - index):
                return None
            other = self.passages[at]
            same = other.source == passage.source and other.comment == passage.comment
            return other if same else None

        return Hit(self.ids[index], self.article_id, passage, 0.0, neighbour(index - 1), neighbour(index + 1))


class Meaning:
    """One question's vector against one article's passages: extra candidates, then the fusion.

    Made per question; its methods run in ranking's worker thread (the cosines cost a few
    milliseconds for a long article)."""

    def __init__(
        self, passages: PassageVectors, question: Sequence[float], *, weight: float = SEMANTIC_WEIGHT
    ):
        self.passages = passages
        self.question = normalised(question)
        self.weight = weight
        self._cosines: list[float] | None = None
        self._spans: dict[tuple[str, int | None], list[tuple[int, int, float]]] = {}

    @property
    def cosines(self) -> list[float]:
        """The cosine of every passage with the question, in the passages' order."""
        if self._cosines is None:
            q = self.question
            self._cosines = [sum(map(operator.mul, q, v)) for v in self.passages.vectors]
            for passage, cosine in zip(self.passages.passages, self._cosines, strict=True):
                key = (passage.source, passage.comment)
                self._spans.setdefault(key, []).append((passage.start, passage.end, cosine))
        return self._cosines

    def with_nearest(self, hits: list[Hit], count: int = SEMANTIC_CANDIDATES) -> list[Hit]:
        """BM25's hits, then the passages nearest the question by meaning that it did not find."""
        cosines = self.cosines
        have = {h.id for h in hits}
        order = sorted(range(len(cosines)), key=cosines.__getitem__, reverse=True)
        extra = [self.passages.hit(i) for i in order if self.passages.ids[i] not in have][:count]
        return hits + extra

    def cosine(self, quote: Quote) -> float | None:
        """A quote's cosine: the best of the passages it spans (a widened quote spans two); None
        for a reader's message, which has no vector (readers' words are never sent to the
        endpoint, and the hybrid never adds one: they come only from the viewer's search)."""
        if quote.reader is not None or quote.article_id != self.passages.article_id:
            return None
        _ = self.cosines
        inside = [
            cosine
            for start, end, cosine in self._spans.get((quote.source, quote.comment), ())
            if quote.start <= start and end <= quote.end
        ]
        return max(inside, default=None)

    def fuse(self, scored: list[Quote], answer_coverage: float) -> list[Quote]:
        """The quotes rescored: ``weight`` × normalised cosine + the rest × normalised lexical
        score, and each quote's coverage raised to its support where that is higher, on the scale
        of ``answer_coverage``. Order is left to the caller."""
        if not scored:
            return scored
        cosines = [self.cosine(q) for q in scored]
        known = [c for c in cosines if c is not None]
        low_c, high_c = (min(known), max(known)) if known else (0.0, 0.0)
        low_l, high_l = min(q.score for q in scored), max(q.score for q in scored)
        fused = []
        for quote, cosine in zip(scored, cosines, strict=True):
            lexical = (quote.score - low_l) / (high_l - low_l) if high_l > low_l else 1.0
            meaning = (
                0.0 if cosine is None else (cosine - low_c) / (high_c - low_c) if high_c > low_c else 1.0
            )
            score = (1 - self.weight) * lexical + self.weight * meaning
            coverage = quote.coverage if cosine is None else support(quote.coverage, cosine, answer_coverage)
            fused.append(dataclasses.replace(quote, score=score, coverage=coverage))
        return fused


def support(coverage: float, cosine: float, answer_coverage: float) -> float:
    """How well a quote answers, from its words and its meaning, on the scale where
    ``answer_coverage`` is the threshold: it reaches it when the words alone reach
    ``WORDS_ALONE``, or their blend with the cosine reaches ``SUPPORT_THRESHOLD``."""
    blended = SUPPORT_WORDS * coverage + (1 - SUPPORT_WORDS) * max(cosine, 0.0)
    return answer_coverage * max(coverage / WORDS_ALONE, blended / SUPPORT_THRESHOLD)
