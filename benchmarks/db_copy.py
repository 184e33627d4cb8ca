"""How fast ``readalong db copy`` moves a library: the sample article and 10,000 readers' messages
(a tenth of them edited), in each direction between SQLite and PostgreSQL.

Reported per direction: rows per second for the whole command (checks, schema, copy, verification
and commit). Baselines, measured in the same run: SQLite's online backup of the same file (page
copies, no rows: the floor of a file-to-file copy) and the checksum pass alone on each backend
(reading every row in key order and hashing it, which the copy does twice: the source as it reads
it, the target before it commits).

    .venv/bin/python benchmarks/db_copy.py [--messages 10000] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from scratch_postgres import add_server_option, scratch_schema

from bot.articles import parse_article, read_article_file
from bot.domain.database import Database
from bot.domain.message import StoredMessage
from bot.services.database import copy_database
from bot.store import Store
from bot.store.copy import table_checksums

SAMPLE = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


async def populate(path: Path, messages: int) -> int:
    article = parse_article(read_article_file(SAMPLE), source=SAMPLE.name)
    async with Store(path) as store:
        stored = await store.articles.add(article, guild_id=1)
        rows = [
            StoredMessage(
                id=(1 << 50) + n,
                guild_id=1,
                channel_id=10 + n % 7,
                parent_id=None,
                article_id=stored.id,
                section=1 + n % 6,
                author_id=100 + n % 50,
                author_name=f"reader {n % 50}",
                author_bot=False,
                webhook_id=None,
                content=f"Message {n}: what the strike in Zhanaozen tells us about the oil workers' pay",
                created_at=f"2026-11-25T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
            )
            for n in range(messages)
        ]
        for start in range(0, messages, 1000):
            await store.messages.record_many(rows[start : start + 1000])
        for n in range(0, messages, 10):
            await store.messages.record_edit(rows[n].id, "edited", "2026-11-26T00:00:00+00:00")
    return sum(t.rows for t in (await table_checksums(path)).values())


async def timed(run: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await run()
    return time.perf_counter() - started


async def main(messages: int, server: str) -> None:
    async with scratch_schema(server) as first, scratch_schema(server) as second:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            source = root / "source.db"
            rows = await populate(source, messages)
            print(f"{rows:,} rows (the sample article, {messages:,} messages, {messages // 10:,} edits)")

            def backup() -> None:
                with sqlite3.connect(source) as src, sqlite3.connect(root / "backup.db") as dst:
                    src.backup(dst)

            started = time.perf_counter()
            await asyncio.to_thread(backup)
            floor = time.perf_counter() - started
            steps: list[tuple[str, Database, Database]] = [
                ("SQLite -> PostgreSQL", source, first),
                ("PostgreSQL -> SQLite", first, root / "back.db"),
                ("SQLite -> SQLite", source, root / "copy.db"),
                ("PostgreSQL -> PostgreSQL", first, second),
            ]
            for name, origin, target in steps:
                seconds = await timed(lambda o=origin, t=target: copy_database(o, t))  # type: ignore[misc]
                print(f"  db copy {name:<26} {seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s")
            print("baselines (same run):")
            print(f"  SQLite online backup (pages)     {floor:6.2f} s  {rows / floor:>9,.0f} rows/s")
            for name, database in (("SQLite", source), ("PostgreSQL", first)):
                seconds = await timed(lambda d=database: table_checksums(d))  # type: ignore[misc]
                print(f"  checksum pass alone, {name:<11} {seconds:6.2f} s  {rows / seconds:>9,.0f} rows/s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=10_000)
    add_server_option(parser)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.postgres))
