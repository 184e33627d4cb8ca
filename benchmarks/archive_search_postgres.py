"""Archive search on PostgreSQL next to SQLite (issue 16): p50 / p95 per search, same data, same run.

The data of ``archive_search.py`` (the 6,000-comment scrape of ``event_loop.py`` imported in one
server, readers' messages in that server's threads) goes into a fresh SQLite file and a fresh
PostgreSQL schema; random two-word queries go through ``archive.search`` (the path of
``/archive search``: readers' messages and the original comments, for a member's view) on each.
How many queries find the same hits in the same order on both is counted too.

    .venv/bin/python benchmarks/archive_search_postgres.py --postgres postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from archive_search import fill
from event_loop import WORDS
from scratch_postgres import add_server_option, scratch_schema

from bot.domain.database import Database
from bot.services import archive as archive_service
from bot.store import Store

TARGET_RATIO = 2.0
"""Issue 26: archive search on PostgreSQL within twice SQLite's p50."""


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"p50 {statistics.median(ordered) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


async def searched(
    target: Database, messages: int, asked: list[str]
) -> tuple[list[float], list[list[tuple[object, ...]]]]:
    rng = random.Random(15)
    async with Store(target) as store:
        _, viewer = await fill(store, rng, messages)
        samples: list[float] = []
        found: list[list[tuple[object, ...]]] = []
        for query in asked:
            began = time.perf_counter()
            hits = await archive_service.search(store, query, viewer=viewer, article_id=None, limit=25)
            samples.append(time.perf_counter() - began)
            found.append([(h.message_id, h.article_id, h.comment) for h in hits])
    return samples, found


async def run(url: str, messages: int, queries: int) -> None:
    rng = random.Random(16)
    asked = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(queries)]
    with tempfile.TemporaryDirectory() as folder:
        lite_ms, lite_hits = await searched(Path(folder) / "bench.db", messages, asked)
    async with scratch_schema(url) as postgres:
        pg_ms, pg_hits = await searched(postgres, messages, asked)
    same = sum(a == b for a, b in zip(lite_hits, pg_hits, strict=True))
    print(
        f"{messages:,} readers' messages and the 6,000 original comments, {queries} two-word queries, 25 hits each"
    )
    print(f"  SQLite (FTS5)                {percentiles(lite_ms)}")
    print(f"  PostgreSQL (tsvector, GIN)   {percentiles(pg_ms)}")
    print(f"  same hits in the same order: {same} of {queries}")
    ratio = statistics.median(pg_ms) / statistics.median(lite_ms)
    print(
        f"  target (PostgreSQL's p50 <= {TARGET_RATIO}x SQLite's): {ratio:.2f}x:"
        f" {'target met' if ratio <= TARGET_RATIO else 'not met'}"
    )
    differing = sorted({q for q, a, b in zip(asked, lite_hits, pg_hits, strict=True) if a != b})
    if differing:
        print(f"  differing: {', '.join(differing)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_server_option(parser)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.postgres, args.messages, args.queries))


if __name__ == "__main__":
    main()
