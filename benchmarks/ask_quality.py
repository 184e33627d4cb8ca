"""How often /ask's top quote contains the answer: SQuAD v1.1 dev, all 48 articles, 10,570 questions.

Each article is imported as a plain-text file through the same parser as ``/article import``, and
every question goes through ``answer_question``, the code path of ``/ask``. hit@1: a gold answer
(SQuAD-normalised) inside the top quote; quotes are at most 400 characters. Baselines in the same
run, over the very same sentences: plain BM25 (rank_bm25's BM25Okapi, lower-cased words) and
bm25s, each taking its best sentence; and the FTS5 BM25 ranking alone, before re-ranking and
widening (what the extra steps add, measured).

Calibration of the not-found threshold: every fifth question is also asked of another article,
which does not answer it; the table shows, per threshold, how many real questions are still
answered and how many foreign ones are wrongly answered.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/ask_quality.py [--articles 48]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from pathlib import Path

import bm25s
import numpy as np
import squad
from rank_bm25 import BM25Okapi

from bot.answers.extractive import ANSWER_COVERAGE, answer_question
from bot.articles.passages import article_passages
from bot.domain.viewer import Viewer
from bot.search.query import match_expression
from bot.search.ranking import MAX_QUOTE_CHARS
from bot.store import Store

_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


async def run(limit: int) -> None:
    articles = squad.load()[:limit]
    total = sum(len(a.questions) for a in articles)
    hits = {"readalong": 0, "fts5 bm25 alone": 0, "rank_bm25": 0, "bm25s": 0}
    answered = answered_hit = 0
    own: list[float] = []
    foreign: list[float] = []
    longest = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "squad.db") as store:
            stored = [await store.articles.add(a.parse()) for a in articles]
            for article in stored:
                await store.search.ensure_index(article)
            for index, (source, article) in enumerate(zip(articles, stored, strict=True)):
                sentences = [p.text for p in article_passages(article)]
                plain = BM25Okapi([words(s) for s in sentences])
                fast = bm25s.BM25()
                fast.index(bm25s.tokenize(sentences, show_progress=False), show_progress=False)
                for number, question in enumerate(source.questions):
                    answer = await answer_question(store, article, question.text, viewer=Viewer.operator())
                    top = answer.quotes[0].text if answer.quotes else ""
                    longest = max(longest, len(top))
                    hit = squad.contains_answer(top, question.answers)
                    hits["readalong"] += hit
                    answered += answer.answered
                    answered_hit += answer.answered and hit
                    own.append(answer.quotes[0].coverage if answer.quotes else 0.0)

                    match = match_expression(question.text)
                    fts = await store.search.search([article.id], match, 1) if match else []
                    hits["fts5 bm25 alone"] += bool(fts) and squad.contains_answer(
                        fts[0].passage.text, question.answers
                    )

                    scores = plain.get_scores(words(question.text))
                    hits["rank_bm25"] += squad.contains_answer(
                        sentences[int(np.argmax(scores))], question.answers
                    )

                    tokens = bm25s.tokenize([question.text], show_progress=False)
                    found, _ = fast.retrieve(tokens, k=1, show_progress=False)
                    hits["bm25s"] += squad.contains_answer(sentences[int(found[0][0])], question.answers)

                    if number % 5 == 0:
                        other = stored[(index + 1) % len(stored)]
                        wrong = await answer_question(store, other, question.text, viewer=Viewer.operator())
                        foreign.append(wrong.quotes[0].coverage if wrong.quotes else 0.0)
    elapsed = time.perf_counter() - started

    print(f"SQuAD v1.1 dev: {len(articles)} articles, {total:,} questions ({elapsed:.0f} s)")
    print(f"longest top quote: {longest} characters (limit {MAX_QUOTE_CHARS})")
    print()
    print(f"{'ranking':<18}{'hit@1':>8}")
    baseline = hits["rank_bm25"] / total
    for name, count in hits.items():
        print(f"{name:<18}{count / total:>8.1%}   {count / total / baseline:.3f}× plain BM25 (rank_bm25)")
    print(
        f"\nreadalong answered {answered / total:.1%} (threshold {ANSWER_COVERAGE}); "
        f"hit@1 among answered {answered_hit / max(answered, 1):.1%}"
    )
    print(f"\nnot-found threshold (coverage of the question's words), {len(foreign):,} foreign questions:")
    print(f"{'threshold':>10}{'own answered':>14}{'foreign answered':>18}")
    for threshold in (0.3, 0.32, 0.34, 0.36, 0.38, 0.4, 0.42, 0.44, 0.46, 0.48, 0.5, 0.6):
        mine = sum(c >= threshold for c in own) / len(own)
        theirs = sum(c >= threshold for c in foreign) / len(foreign)
        mark = "  ← in use" if abs(threshold - ANSWER_COVERAGE) < 1e-9 else ""
        print(f"{threshold:>10.2f}{mine:>14.1%}{theirs:>18.1%}{mark}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=48, help="how many of the 48 articles (default all)")
    args = parser.parse_args()
    asyncio.run(run(args.articles))


if __name__ == "__main__":
    main()
