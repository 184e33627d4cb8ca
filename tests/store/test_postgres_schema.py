"""PostgreSQL's counterparts of the SQLite file's own tests: a failing migration leaves the schema
as it was, two processes starting at once apply each migration once, and the shards' locks keep a
second bot off the same schema's servers (and only the same schema's)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
import pytest

from bot.domain.database import PostgresUrl
from bot.domain.shards import ShardSet
from bot.errors import DatabaseError
from bot.store import MigrationError, Store, load_migrations
from bot.store.dialect import POSTGRESQL


async def tables(url: PostgresUrl) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the test's schema with its rows: what a failed migration must leave as it was."""
    connection = await asyncpg.connect(url.reveal())
    try:
        names = [
            row[0]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                " ORDER BY table_name"
            )
        ]
        return {name: [tuple(r) for r in await connection.fetch(f"SELECT * FROM {name}")] for name in names}
    finally:
        await connection.close()


async def test_a_failing_migration_leaves_the_schema_as_it_was(
    postgres_url: PostgresUrl, tmp_path: Path
) -> None:
    (tmp_path / "0001_one.sql").write_text("CREATE TABLE a (x INTEGER);")
    async with Store(postgres_url, load_migrations(tmp_path)) as store:
        async with store.transaction() as db:
            await db.execute("INSERT INTO a VALUES (1)")
        assert await store.schema_version() == 1
    before = await tables(postgres_url)
    assert before == {"a": [(1,)], "readalong_schema": [("readalong", 1)]}
    (tmp_path / "0002_two.sql").write_text("CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(MigrationError, match="0002_two failed"):
        async with Store(postgres_url, load_migrations(tmp_path)):
            pass
    assert await tables(postgres_url) == before


OPEN_AND_REPORT = """
import asyncio, sys
from bot.domain.database import PostgresUrl
from bot.store import Store

async def main() -> None:
    async with Store(PostgresUrl(sys.argv[1])) as store:
        print(await store.schema_version())

asyncio.run(main())
"""


async def test_two_processes_starting_at_once_apply_each_migration_once(postgres_url: PostgresUrl) -> None:
    """Both processes open the same empty schema at once: one applies the migrations under the
    advisory lock, the other waits for it and finds them applied (a second ``CREATE TABLE`` would
    fail it)."""
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            OPEN_AND_REPORT,
            postgres_url.reveal(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = [await process.communicate() for process in processes]
    known = len(load_migrations(dialect=POSTGRESQL))
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err.decode()
        assert out.decode().strip() == str(known)
    assert (await tables(postgres_url))["readalong_schema"] == [("readalong", known)]


@pytest.mark.slow(seconds=3)
async def test_shards_are_held_by_one_process_per_schema(postgres_url: PostgresUrl) -> None:
    async with Store(postgres_url) as first, Store(postgres_url) as second, Store(postgres_url) as third:
        await first.hold_shards(ShardSet.parse("0", 2))
        await second.hold_shards(ShardSet.parse("1", 2))  # the other shard: allowed
        with pytest.raises(DatabaseError, match="shard 0 of 2 is already run by another Readalong process"):
            await third.hold_shards(ShardSet.parse("0-1", 2))
        with pytest.raises(DatabaseError, match="another Readalong process already runs"):
            await third.hold_shards(ShardSet.every())
    # Closing the stores released their locks: a bot running every shard may start now.
    async with Store(postgres_url) as alone:
        await alone.hold_shards(ShardSet.every())
        async with Store(postgres_url) as again:
            with pytest.raises(DatabaseError, match="a Readalong process running every shard already runs"):
                await again.hold_shards(ShardSet.parse("0", 2))
            with pytest.raises(DatabaseError, match="another Readalong process already runs"):
                await again.hold_shards(ShardSet.every())


async def test_a_bot_in_another_schema_of_the_database_is_another_bot(postgres_url: PostgresUrl) -> None:
    """Advisory locks are the database's; the shards' locks are keyed by the schema, so two
    Readalongs in two schemas of one database (two communities, or two tests) both run."""
    other_schema = f"{postgres_url.reveal().rsplit('search_path=', 1)[1]}_other"
    admin = await asyncpg.connect(postgres_url.reveal())
    await admin.execute(f"CREATE SCHEMA {other_schema}")
    try:
        other = PostgresUrl(
            postgres_url.reveal().rsplit("search_path=", 1)[0] + f"search_path={other_schema}"
        )
        async with Store(postgres_url) as here, Store(other) as there:
            await here.hold_shards(ShardSet.every())
            await there.hold_shards(ShardSet.every())
    finally:
        await admin.execute(f"DROP SCHEMA {other_schema} CASCADE")
        await admin.close()
