"""How long /ask takes to find its quotes: p50 and p95 per question.

- one article: every SQuAD v1.1 dev question asked of its own article through ``answer_question``
  (the code path of ``/ask``: FTS5, re-ranking, widening, rendering);
- a library of about 1k, 10k and 100k passages searched at once (``ranked_quotes`` over every
  article in the store). SQuAD dev has about 10k sentences; the 100k library holds ten copies of
  it under different ids, so its term statistics are those of a ten times larger corpus of the
  same kind.

Baselines in the same run, over the very same sentences: rank_bm25 (BM25Okapi.get_scores, then
the best) and bm25s (retrieve k=1), per question, on an index built beforehand (build time not
counted for anyone). In the stores, the ranking alone (``ranked_quotes``: the document
frequencies, FTS5, re-ranking, widening; no rendering) is timed next to the previous ranking
(before issue 13, kept in ask_quality.py as ``previous_top``) on the same questions.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/ask_speed.py [--questions 500]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bm25s
import numpy as np
import squad
from ask_quality import previous_top, words
from rank_bm25 import BM25Okapi

from bot.answers.extractive import answer_question, best_of, ranked_quotes
from bot.articles import Article
from bot.articles.passages import article_passages
from bot.domain.viewer import Viewer
from bot.store import Store

LIBRARIES = (1_000, 10_000, 100_000)


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(call: Callable[[], object], samples: list[float]) -> None:
    started = time.perf_counter()
    call()
    samples.append((time.perf_counter() - started) * 1000)


def row(name: str, samples: list[float]) -> str:
    p50, p95 = percentiles(samples)
    return f"  {name:<46}p50 {p50:8.2f} ms   p95 {p95:8.2f} ms"


def baselines(sentences: list[str], questions: list[str]) -> tuple[list[float], list[float]]:
    plain = BM25Okapi([words(s) for s in sentences])
    fast = bm25s.BM25()
    fast.index(bm25s.tokenize(sentences, show_progress=False), show_progress=False)
    plain_ms: list[float] = []
    fast_ms: list[float] = []
    for question in questions:

        def best(q: str = question) -> int:
            return int(np.argmax(plain.get_scores(words(q))))

        timed(best, plain_ms)

        def with_bm25s(q: str = question) -> None:
            tokens = bm25s.tokenize([q], show_progress=False)
            fast.retrieve(tokens, k=1, show_progress=False)

        timed(with_bm25s, fast_ms)
    return plain_ms, fast_ms


async def one_article(folder: Path, library: list[squad.SquadArticle], sample: int) -> None:
    async with Store(folder / "one.db") as store:
        asked: list[tuple[Article, str]] = []
        for source in library:
            article = await store.articles.add(source.parse())
            asked += [(article, q.text) for q in source.questions]
        random.Random(7).shuffle(asked)
        asked = asked[:sample]
        ours: list[float] = []
        for article, question in asked:
            answer = await answer_question(store, article, question, viewer=Viewer.operator())
            ours.append(answer.latency_ms)
    plain_ms: list[float] = []
    fast_ms: list[float] = []
    grouped: dict[str, tuple[Article, list[str]]] = {}
    for article, question in asked:
        grouped.setdefault(article.id, (article, []))[1].append(question)
    for article, questions in grouped.values():
        plain, fast = baselines([p.text for p in article_passages(article)], questions)
        plain_ms += plain
        fast_ms += fast
    print(f"one article (each SQuAD question asked of its own article; {len(asked)} questions):")
    print(row("readalong", ours))
    print(row("rank_bm25", plain_ms))
    print(row("bm25s", fast_ms))


async def library_of(folder: Path, library: list[squad.SquadArticle], size: int, sample: int) -> None:
    async with Store(folder / f"library-{size}.db") as store:
        articles: list[Article] = []
        sentences: list[str] = []
        asked: list[tuple[Article, str]] = []
        while len(sentences) < size:
            for source in library:  # again and again: each copy is stored under a fresh id
                article = await store.articles.add(source.parse())
                articles.append(article)
                sentences += [p.text for p in article_passages(article)]
                asked += [(article, q.text) for q in source.questions]
                if len(sentences) >= size:
                    break
        random.Random(13).shuffle(asked)
        asked = asked[:sample]
        one: list[float] = []
        ranking: list[float] = []
        previous: list[float] = []
        everywhere: list[float] = []
        for article, question in asked:
            answer = await answer_question(store, article, question, viewer=Viewer.operator())
            one.append(answer.latency_ms)
            started = time.perf_counter()
            best_of(await ranked_quotes(store, [article], question), 3)
            ranking.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await previous_top(store, article, question)
            previous.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            best_of(await ranked_quotes(store, articles, question, everywhere=True), 3)
            everywhere.append((time.perf_counter() - started) * 1000)
    plain_ms, fast_ms = baselines(sentences, [q for _, q in asked])
    print(f"library of {len(sentences):,} passages ({len(articles)} articles), {len(asked)} questions:")
    print(row("readalong /ask (its article, in this store)", one))
    print(row("  its ranking alone", ranking))
    print(row("  the previous ranking (before issue 13)", previous))
    print(row("readalong, all passages at once", everywhere))
    print(row("rank_bm25, all passages at once", plain_ms))
    print(row("bm25s, all passages at once", fast_ms))


async def run(sample: int) -> None:
    library = squad.load()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        await one_article(folder, library, sample)
        for size in LIBRARIES:
            await library_of(folder, library, size, sample)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=500, help="questions timed per case (default 500)")
    args = parser.parse_args()
    asyncio.run(run(args.questions))


if __name__ == "__main__":
    main()
