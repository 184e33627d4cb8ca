"""How often /ask's top quote contains the answer: SQuAD v1.1 dev, all 48 articles, 10,570 questions.

Each article is imported as a plain-text file through the same parser as ``/article import``, and
every question goes through ``answer_question``, the code path of ``/ask``. hit@1: a gold answer
(SQuAD-normalised) inside the top quote; quotes are at most 400 characters. Baselines in the same
run, over the very same sentences: plain BM25 (rank_bm25's BM25Okapi, lower-cased words) and
bm25s, each taking its best sentence; and the FTS5 BM25 ranking alone, before re-ranking and
widening (what the extra steps add, measured); and the previous ranking (before issue 13:
a crude suffix stemmer disagreeing with FTS5's, every question word counting alike, no answer
kinds, threshold 0.5), kept below as ``previous_top``.

hit@1 is reported on all questions and on the low-overlap ones: at most a third of the
question's content words (stemmed) in the sentence that holds its answer.

Trust, counted over every answer: quotes that are not an exact slice of the stored text (target
0), and answers that quote the asker's own message (target 0). For the second, every tenth
question's words with its answer are first posted in the article's discussion by the member
who then asks it, and by another reader in a second run: the other reader's message is quotable (so the count can catch a
leak), the asker's own never is.

Calibration of the not-found threshold: every fifth question is also asked of another article,
which does not answer it ("foreign"); the table shows, per threshold, how many real questions are
still answered and how many foreign ones are wrongly answered (target: at most 3% of foreign
ones while at least 90% of real ones are answered).

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/ask_quality.py [--articles 48]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import squad
from rank_bm25 import BM25Okapi

from bot.answers.extractive import ANSWER_COVERAGE, answer_question
from bot.articles import Article
from bot.articles.passages import article_passages, source_text
from bot.domain.answer import Answer
from bot.domain.message import StoredMessage
from bot.domain.passage import Passage
from bot.domain.viewer import Viewer
from bot.search.query import EVENT_WORDS, MAX_TERMS, STOP_WORDS, match_expression, query_terms
from bot.search.ranking import MAX_QUOTE_CHARS, Stems
from bot.store import Store

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


# -- the previous ranking (before issue 13), the baseline -------------------------------------

PREVIOUS_COVERAGE = 0.5
_PREVIOUS_STOP_WORDS = STOP_WORDS - EVENT_WORDS
_PREVIOUS_WORD = re.compile(r"[^\W_]+")


def previous_stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)]
    return word


async def previous_top(store: Store, article: Article, question: str) -> tuple[str, float]:
    """The previous ranking's top quote and its coverage: FTS5's best 20 sentences re-ranked by
    the share of the question's words (crudely stemmed, each counting once) they cover, widened
    to a neighbour when that covers more; an over-long sentence by its best window."""
    unique = list(dict.fromkeys(w.lower() for w in _PREVIOUS_WORD.findall(question)))
    terms = ([w for w in unique if w not in _PREVIOUS_STOP_WORDS] or unique)[:MAX_TERMS]
    if not terms:
        return "", 0.0
    wanted = Counter(previous_stem(t) for t in terms)

    def covered(text: str) -> float:
        found = {previous_stem(w) for w in _PREVIOUS_WORD.findall(text.lower())}
        return sum(wanted[w] for w in found if w in wanted) / len(terms)

    hits = await store.search.search([article.id], " OR ".join(f'"{t}"' for t in terms), 20)
    top_bm25 = max((h.score for h in hits), default=1.0) or 1.0
    best = ("", 0.0, -1.0)
    for hit in hits:
        text = source_text(article, hit.passage.source, hit.passage.comment)
        span = _previous_span(text, hit.passage, [hit.before, hit.after], covered)
        weight = 1.0 if hit.passage.source == "body" else 0.85
        quote = text[span[1] : span[2]]
        score = weight * (span[0] + 0.25 * hit.score / top_bm25)
        if score > best[2]:
            best = (quote, span[0], score)
    return best[0], best[1]


def _previous_span(
    text: str, passage: Passage, around: list[Passage | None], covered: Callable[[str], float]
) -> tuple[float, int, int]:
    start, end = passage.start, passage.end
    if end - start > MAX_QUOTE_CHARS:
        spans = [m.span() for m in re.finditer(r"\S+", text[start:end])]
        windows = [
            (covered(text[start + a : start + b]), start + a, start + b)
            for i, (a, _) in enumerate(spans)
            for b in [max(e for s, e in spans[i:] if e - a <= MAX_QUOTE_CHARS)]
            if spans[i][1] - a <= MAX_QUOTE_CHARS
        ]
        return max(windows, key=lambda w: w[0], default=(0.0, start, start + MAX_QUOTE_CHARS))
    best = (covered(text[start:end]), start, end)
    for other in around:
        if other is None or other.section != passage.section:
            continue
        low, high = min(start, other.start), max(end, other.end)
        if high - low <= MAX_QUOTE_CHARS and (widened := covered(text[low:high])) > best[0]:
            best = (widened, low, high)
    return best


# -- the run ------------------------------------------------------------------------------------


def low_overlap(question: squad.Question, sentences: list[str]) -> bool | None:
    """Whether at most a third of the question's content words (stemmed) are in the sentence that
    holds its answer (the first of its paragraph's sentences holding a gold answer); None when no
    sentence can be told to hold it."""
    holding = next(
        (s for s in sentences if s in question.context and squad.contains_answer(s, question.answers)), None
    )
    content = [t for t in query_terms(question.text) if t not in STOP_WORDS]
    if holding is None or not content:
        return None
    found = Stems.words(holding)
    stems = {w for t in content for w in Stems.words(t)}
    return len(stems & found) <= len(stems) / 3


async def run(limit: int) -> None:
    articles = squad.load()[:limit]
    total = sum(len(a.questions) for a in articles)
    names = ["readalong", "readalong before issue 13", "fts5 bm25 alone", "rank_bm25", "bm25s"]
    hits = dict.fromkeys(names, 0)
    low_hits = dict.fromkeys(names, 0)
    lows = 0
    answered = answered_hit = 0
    own: list[float] = []
    foreign: list[float] = []
    own_before: list[float] = []
    foreign_before: list[float] = []
    longest = 0
    wrong_quotes = quotes_shown = 0
    own_quoted = others_quoted = 0
    to_plant: list[tuple[Article, str]] = []
    said: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "squad.db") as store:
            stored = [await store.articles.add(a.parse()) for a in articles]
            for index, (source, article) in enumerate(zip(articles, stored, strict=True)):
                sentences = [p.text for p in article_passages(article)]
                plain = BM25Okapi([words(s) for s in sentences])
                fast = bm25s.BM25()
                fast.index(bm25s.tokenize(sentences, show_progress=False), show_progress=False)
                for number, question in enumerate(source.questions):
                    found: dict[str, bool] = {}
                    answer = await answer_question(store, article, question.text, viewer=Viewer.operator())
                    wrong_quotes += not_verbatim(article, answer)
                    quotes_shown += len(answer.quotes)
                    top = answer.quotes[0].text if answer.quotes else ""
                    longest = max(longest, len(top))
                    found["readalong"] = squad.contains_answer(top, question.answers)
                    answered += answer.answered
                    answered_hit += answer.answered and found["readalong"]
                    own.append(answer.quotes[0].coverage if answer.quotes else 0.0)

                    before, coverage = await previous_top(store, article, question.text)
                    found["readalong before issue 13"] = squad.contains_answer(before, question.answers)
                    own_before.append(coverage)

                    match = match_expression(question.text)
                    fts = await store.search.search([article.id], match, 1) if match else []
                    found["fts5 bm25 alone"] = bool(fts) and squad.contains_answer(
                        fts[0].passage.text, question.answers
                    )

                    scores = plain.get_scores(words(question.text))
                    found["rank_bm25"] = squad.contains_answer(
                        sentences[int(np.argmax(scores))], question.answers
                    )

                    tokens = bm25s.tokenize([question.text], show_progress=False)
                    best, _ = fast.retrieve(tokens, k=1, show_progress=False)
                    found["bm25s"] = squad.contains_answer(sentences[int(best[0][0])], question.answers)

                    low = low_overlap(question, sentences)
                    lows += bool(low)
                    for name, hit in found.items():
                        hits[name] += hit
                        low_hits[name] += bool(low) and hit

                    if number % 10 == 0:
                        to_plant.append((article, question.text))
                        said.append(f"{question.text.rstrip('?')}: {question.answers[0]}, I read.")

                    if number % 5 == 0:
                        other = stored[(index + 1) % len(stored)]
                        wrong = await answer_question(store, other, question.text, viewer=Viewer.operator())
                        foreign.append(wrong.quotes[0].coverage if wrong.quotes else 0.0)
                        foreign_before.append((await previous_top(store, other, question.text))[1])
            # After the measures above, so that the messages posted here change none of them.
            for number, ((article, text), written) in enumerate(zip(to_plant, said, strict=True)):
                own_quoted += await posted_then_asked(
                    store, article, text, written, message_id=2 * number + 1, author=ASKER
                )
                others_quoted += await posted_then_asked(
                    store, article, text, written, message_id=2 * number + 2, author=OTHER_READER
                )
    elapsed = time.perf_counter() - started

    print(f"SQuAD v1.1 dev: {len(articles)} articles, {total:,} questions ({elapsed:.0f} s)")
    print(f"longest top quote: {longest} characters (limit {MAX_QUOTE_CHARS})")
    print(
        f"low-overlap questions (at most a third of their content words in the answer's sentence): {lows:,}"
    )
    print(f"quotes not verbatim: {wrong_quotes} of {quotes_shown:,} (target 0)")
    print(
        f"answers quoting the asker's own message: {own_quoted} of {len(to_plant):,} (target 0); the same words"
        f" posted by another reader quoted in {others_quoted} of {len(to_plant):,} (the check can see a leak)"
    )
    print()
    print(f"{'ranking':<28}{'hit@1':>8}{'low-overlap':>13}")
    baseline = hits["rank_bm25"] / total
    for name in names:
        print(
            f"{name:<28}{hits[name] / total:>8.1%}{low_hits[name] / max(lows, 1):>13.1%}"
            f"   {hits[name] / total / baseline:.3f}× plain BM25 (rank_bm25)"
        )
    print(
        f"\nreadalong answered {answered / total:.1%} (threshold {ANSWER_COVERAGE}); "
        f"hit@1 among answered {answered_hit / max(answered, 1):.1%}"
    )
    print(f"\nreal and foreign questions answered ({len(foreign):,} foreign; target ≥ 90% and ≤ 3%):")
    for name, real, alien, cut in (
        ("readalong", own, foreign, ANSWER_COVERAGE),
        ("readalong before issue 13", own_before, foreign_before, PREVIOUS_COVERAGE),
    ):
        print(
            f"  {name:<28}threshold {cut:<6}real {sum(c >= cut for c in real) / len(real):7.2%}"
            f"   foreign {sum(c >= cut for c in alien) / len(alien):6.2%}"
        )
    print("\nreadalong's not-found threshold (weighted coverage of the question's words):")
    print(f"{'threshold':>10}{'own answered':>14}{'foreign answered':>18}")
    near = [round(ANSWER_COVERAGE + step / 1000, 3) for step in range(-6, 8, 2)]
    for threshold in sorted({0.3, 0.32, 0.34, 0.38, 0.4, 0.45, 0.5, 0.6, *near}):
        mine = sum(c >= threshold for c in own) / len(own)
        theirs = sum(c >= threshold for c in foreign) / len(foreign)
        mark = "  ← in use" if abs(threshold - ANSWER_COVERAGE) < 1e-9 else ""
        print(f"{threshold:>10.3f}{mine:>14.2%}{theirs:>18.2%}{mark}")


GUILD, CHANNEL, ASKER, OTHER_READER = 1, 2, 77, 78


def not_verbatim(article: Article, answer: Answer) -> int:
    """How many of the answer's quotes are not the exact slice of stored text they claim to be."""
    wrong = 0
    for quote in answer.quotes:
        stored = quote.reader.content if quote.reader else source_text(article, quote.source, quote.comment)
        wrong += stored[quote.start : quote.end] != quote.text
    return wrong


async def posted_then_asked(
    store: Store, article: Article, question: str, said: str, *, message_id: int, author: int
) -> bool:
    """Whether ``ASKER`` asking ``question`` is answered with the message ``said`` that ``author``
    posted just before (the question's words and its answer, as a reader would write them)."""
    await store.messages.record(
        StoredMessage(
            id=message_id,
            guild_id=GUILD,
            channel_id=CHANNEL,
            parent_id=None,
            article_id=article.id,
            section=None,
            author_id=author,
            author_name=f"member {author}",
            author_bot=False,
            webhook_id=None,
            content=said,
            created_at="2026-11-25T12:00:00+00:00",
        )
    )
    viewer = Viewer.member(GUILD, ASKER, {CHANNEL})
    answer = await answer_question(store, article, question, viewer=viewer)
    return any(q.reader is not None and q.reader.message_id == message_id for q in answer.quotes)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=48, help="how many of the 48 articles (default all)")
    args = parser.parse_args()
    asyncio.run(run(args.articles))


if __name__ == "__main__":
    main()
