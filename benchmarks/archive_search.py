"""What searching the original comments adds to archive search.

A store holds the 6,000-comment scrape of ``event_loop.py`` (imported in one server) and
20,000 readers' messages in that server's threads. Random two-word queries from the same words go
through ``archive.search`` (the path of ``/archive search`` and ``readalong archive search``:
readers' messages and the original comments, for a member's view). Baseline, in the same run: the
same queries over readers' messages alone (what archive search did before).

    .venv/bin/python benchmarks/archive_search.py [--messages 20000] [--queries 300]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from event_loop import WORDS, many_comments

from bot.articles import Article, parse_article
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.search.query import match_expression
from bot.services import archive as archive_service
from bot.store import Store

GUILD, CHANNEL = 10, 100
THREADS = list(range(101, 121))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{statistics.median(ordered) * 1000:6.2f} / {p95 * 1000:6.2f} ms"


async def fill(store: Store, rng: random.Random, messages: int) -> tuple[Article, Viewer]:
    """The benchmark's data in ``store``: the 6,000-comment scrape imported in one server and
    ``messages`` readers' messages of random words in its threads; and a member who sees them."""
    article = await store.articles.add(
        parse_article(many_comments(rng), source="comments.txt"), guild_id=GUILD
    )
    rows = [
        StoredMessage(
            id=10_000 + n,
            guild_id=GUILD,
            channel_id=rng.choice(THREADS),
            parent_id=CHANNEL,
            article_id=article.id,
            section=1,
            author_id=1 + n % 50,
            author_name=f"reader{n % 50}",
            author_bot=False,
            webhook_id=None,
            content=" ".join(rng.choice(WORDS) for _ in range(20)) + ".",
            created_at="2026-11-25T10:00:00+00:00",
        )
        for n in range(messages)
    ]
    for start in range(0, len(rows), 1000):
        await store.messages.record_many(rows[start : start + 1000])
    return article, Viewer.member(GUILD, 1, {CHANNEL, *THREADS})


async def run(messages: int, queries: int) -> None:
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as folder:
        async with Store(Path(folder) / "bench.db") as store:
            article, viewer = await fill(store, rng, messages)
            asked = [f"{rng.choice(WORDS)} {rng.choice(WORDS)}" for _ in range(queries)]
            both: list[float] = []
            readers: list[float] = []
            found_comments = 0
            for query in asked:
                match = match_expression(query)
                assert match is not None
                began = time.perf_counter()
                await store.search.search_messages(match, viewer=viewer, limit=100)
                readers.append(time.perf_counter() - began)
                began = time.perf_counter()
                hits = await archive_service.search(store, query, viewer=viewer, article_id=None, limit=100)
                both.append(time.perf_counter() - began)
                found_comments += sum(1 for h in hits if h.comment is not None)
    print(f"{len(article.comments):,} original comments, {messages:,} readers' messages, {queries} queries")
    print("p50 / p95 per search:")
    print(f"  archive search, readers and comments:   {percentiles(both)}")
    print(f"  baseline: readers' messages alone:      {percentiles(readers)}")
    print(f"  comments among the results (of 100 per query): {found_comments / queries:.1f} on average")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.messages, args.queries))


if __name__ == "__main__":
    main()
