"""/ask on PostgreSQL next to SQLite (issue 16): p50 and p95 per question, same questions, same run.

The sample article (bot/data/the-lessons-of-zhanaozen.txt) is imported into a fresh SQLite file
and a fresh PostgreSQL schema, alone and then in a library of ``--copies`` copies of it under
other ids (its term statistics then those of a larger library; ``--analyze``: PostgreSQL's planner
statistics gathered once filled, as autovacuum does soon after a large import); every question of
benchmarks/paraphrases.json and the article's other test questions is asked through
``bot.services.ask.Asker.ask`` (what /ask calls: search, re-ranking, rendering, the log),
``--rounds`` times, on each backend in turn (a round of each, then the next: the machine's load
falls on both alike), after a round that warms both. The answers are compared too: how many are the same
on both (quotes and order).

    .venv/bin/python benchmarks/ask_speed_postgres.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from scratch_postgres import add_server_option, scratch_schema

from bot.articles import Article, parse_article, read_article_file
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Answer
from bot.domain.viewer import Viewer
from bot.services.ask import Asker, Question
from bot.store import Store

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "bot" / "data" / "the-lessons-of-zhanaozen.txt"
EXTRA = [
    "How many people died?",
    "How many new jobs were created in 2012?",
    "How much is being spent on single-industry towns?",
    "Who recommended strengthening employment laws?",
    "What is the author's job?",
    "Were NGOs allowed to visit detainees?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "Who was it?",
    "What did the police eat?",
]
VIEWER = Viewer.member(1, 500, {2})
TARGET_RATIO = 1.5
"""Issue 26: /ask on PostgreSQL at most 1.5 times SQLite's p50 at 6,400 and 64,000 passages..."""
TARGET_SAME = 0.97
"""...with the same quotes for at least 97% of the questions."""


def questions() -> list[str]:
    paraphrased = json.loads((ROOT / "benchmarks" / "paraphrases.json").read_text(encoding="utf-8"))
    return list(dict.fromkeys([*EXTRA, *(q["question"] for q in paraphrased["questions"])]))


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


async def fill(store: Store, copies: int) -> Article:
    parsed = parse_article(read_article_file(SAMPLE), source=SAMPLE.name)
    article = await store.articles.add(parsed)
    for copy in range(1, copies):
        await store.articles.add(parsed, f"copy-{copy}")
    return article


async def timed(
    store: Store, article: Article, asked: list[str], rounds: int
) -> tuple[list[float], list[Answer]]:
    samples: list[float] = []
    answers: list[Answer] = []
    asker = Asker(store)
    for round_ in range(rounds):
        for question in asked:
            started = time.perf_counter()
            answer = (await asker.ask(Question(question, VIEWER, article=article.id), answer_text)).answer
            samples.append((time.perf_counter() - started) * 1000)
            if round_ == 0:
                answers.append(answer)
    return samples, answers


def shown(answer: Answer) -> tuple[object, ...]:
    return answer.answered, [(q.text, q.source, q.section, q.comment) for q in answer.quotes]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_server_option(parser)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--copies",
        default="100,1000",
        help="the libraries' sizes in copies of the article (64 passages each), comma-separated",
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE the PostgreSQL schema once filled (as autovacuum does soon after an import)",
    )
    args = parser.parse_args()
    asked = questions()
    print(f"{len(asked)} questions x {args.rounds} rounds through bot.services.ask.Asker.ask")
    met = True
    for copies in (1, *(int(c) for c in args.copies.split(","))):
        async with scratch_schema(args.postgres) as postgres:
            with tempfile.TemporaryDirectory() as folder:
                async with Store(Path(folder) / "bench.db") as lite, Store(postgres) as pg:
                    on_lite, on_pg = await fill(lite, copies), await fill(pg, copies)
                    if args.analyze:
                        async with pg.transaction() as db:
                            await db.execute("ANALYZE passages")
                    # Warm both with every question once (caches, prepared statements and the
                    # plans PostgreSQL keeps for them), as a bot that has been running is.
                    lite_answers = (await timed(lite, on_lite, asked, 1))[1]
                    pg_answers = (await timed(pg, on_pg, asked, 1))[1]
                    lite_ms, pg_ms = [], []
                    for _ in range(args.rounds):  # in turns: a busy machine's load falls on both alike
                        lite_ms += (await timed(lite, on_lite, asked, 1))[0]
                        pg_ms += (await timed(pg, on_pg, asked, 1))[0]
        same = sum(shown(a) == shown(b) for a, b in zip(lite_answers, pg_answers, strict=True))
        passages = copies * 64
        print(f"library of {copies} article(s), about {passages} passages:")
        for name, samples in (("SQLite (FTS5)", lite_ms), ("PostgreSQL (tsvector, GIN)", pg_ms)):
            p50, p95 = percentiles(samples)
            print(f"  {name:<28}p50 {p50:7.2f} ms   p95 {p95:7.2f} ms")
        print(f"  same quotes in the same order: {same} of {len(asked)}")
        if copies > 1:
            ratio = percentiles(pg_ms)[0] / percentiles(lite_ms)[0]
            ok = ratio <= TARGET_RATIO and same >= TARGET_SAME * len(asked)
            met = met and ok
            print(
                f"  target (p50 <= {TARGET_RATIO}x SQLite's, same quotes >= {TARGET_SAME:.0%}):"
                f" {ratio:.2f}x, {same / len(asked):.0%}: {'target met' if ok else 'not met'}"
            )
    print("all targets met" if met else "targets not met")


if __name__ == "__main__":
    asyncio.run(main())
