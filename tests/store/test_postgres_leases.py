"""Several bot processes on one PostgreSQL database: each shard is run by one process, each
posting sent by one process at a time, and both go with the process however it ends."""

from __future__ import annotations

import asyncio
import sys

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.shards import EVERY_SHARD, ShardSet
from bot.errors import DatabaseError
from bot.store import Store


async def test_a_shard_is_run_by_one_process_only(migrated_postgres_url: PostgresUrl) -> None:
    async with (
        Store(migrated_postgres_url) as first,
        Store(migrated_postgres_url) as second,
        Store(migrated_postgres_url) as third,
    ):
        await first.hold_shards(ShardSet.parse("0-1", 4))
        with pytest.raises(DatabaseError, match=r"^shard 1 of 4 is already run by another Readalong process"):
            await second.hold_shards(ShardSet.parse("1-2", 4))
        await second.hold_shards(ShardSet.parse("2-3", 4))  # nothing kept from the refusal
        with pytest.raises(
            DatabaseError,
            match=r"^another Readalong process already runs|^a Readalong process running every shard",
        ):
            await third.hold_shards(EVERY_SHARD)
        await first.close()
        await second.close()
        await third.hold_shards(EVERY_SHARD)
        async with Store(migrated_postgres_url) as fourth:
            with pytest.raises(DatabaseError, match="process running every shard already runs"):
                await fourth.hold_shards(ShardSet.parse("0", 4))


async def test_a_posting_is_sent_by_one_process_at_a_time(migrated_postgres_url: PostgresUrl) -> None:
    async with Store(migrated_postgres_url) as first, Store(migrated_postgres_url) as second:
        assert await first.lease_posting(1)
        assert await first.lease_posting(1)  # its own lease, again
        assert not await second.lease_posting(1)
        assert await second.lease_posting(2)
        await first.release_posting(1)
        assert await second.lease_posting(1)
        assert not await first.lease_posting(2)


async def test_a_killed_process_leaves_its_postings_and_shards_to_the_next(
    migrated_postgres_url: PostgresUrl,
) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import asyncio, sys\n"
        "from bot.domain.database import PostgresUrl\n"
        "from bot.domain.shards import ShardSet\n"
        "from bot.store import Store\n"
        "async def main():\n"
        "    store = Store(PostgresUrl(sys.argv[1]))\n"
        "    await store.open()\n"
        "    await store.hold_shards(ShardSet.parse('0', 2))\n"
        "    assert await store.lease_posting(7)\n"
        "    print('held', flush=True)\n"
        "    await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n",
        migrated_postgres_url.reveal(),
        stdout=asyncio.subprocess.PIPE,
    )
    assert holder.stdout is not None
    assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"held\n"
    async with Store(migrated_postgres_url) as store:
        assert not await store.lease_posting(7)
        holder.kill()
        await holder.wait()
        for _ in range(100):  # the server notices the closed connection at once; allow it a moment
            if await store.lease_posting(7):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the killed process's posting lease was never released")
        await store.hold_shards(ShardSet.parse("0", 2))


async def test_two_bots_in_two_schemas_of_one_database_do_not_collide(
    migrated_postgres_url: PostgresUrl,
) -> None:
    """Advisory locks are the whole database's: the keys name the schema too."""
    import asyncpg

    other = PostgresUrl(migrated_postgres_url.reveal().replace("search_path=", "search_path=other_"))
    schema = other.reveal().rsplit("search_path=", 1)[1]
    admin = await asyncpg.connect(migrated_postgres_url.reveal())
    await admin.execute(f"CREATE SCHEMA {schema}")
    try:
        async with Store(migrated_postgres_url) as first, Store(other) as second:
            await first.hold_shards(EVERY_SHARD)
            await second.hold_shards(EVERY_SHARD)
            assert await first.lease_posting(1) and await second.lease_posting(1)
    finally:
        await admin.execute(f"DROP SCHEMA {schema} CASCADE")
        await admin.close()


async def test_connections_the_server_closed_are_opened_again(migrated_postgres_url: PostgresUrl) -> None:
    """A PostgreSQL restart or a network cut closes the bot's connections: the next write opens
    the write connection again, and the locks are taken again on a new connection (a lease
    asked for again, as a worker does before each item, is given back only if still free)."""
    import asyncpg

    admin = await asyncpg.connect(migrated_postgres_url.reveal())
    named = PostgresUrl(migrated_postgres_url.reveal() + "&application_name=readalong_victim")
    try:
        async with Store(named) as store, Store(migrated_postgres_url) as rival:
            await store.hold_shards(ShardSet.parse("0", 2))
            assert await store.lease_posting(3) and await store.lease_posting(4)
            await store.guilds.set_purge_deleted(1, True)
            # Every connection of the store's process, as a server restart would.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'readalong_victim'"
            )
            await asyncio.sleep(0.2)
            assert await rival.lease_posting(4)  # free while the other's locks were gone
            await store.guilds.set_purge_deleted(2, True)  # the write connection, opened again
            assert await store.guilds.purge_deleted(2)
            assert await store.lease_posting(3)  # taken again
            assert not await store.lease_posting(4)  # the rival holds it now: not sent twice
            with pytest.raises(DatabaseError, match="shard 0 of 2 is already run"):
                await rival.hold_shards(ShardSet.parse("0", 2))
    finally:
        await admin.close()


async def test_a_process_whose_shards_were_taken_while_its_connection_was_down_stays_refused(
    migrated_postgres_url: PostgresUrl,
) -> None:
    """The locks go with a lost connection; if another process took the shards meanwhile, this one
    is refused every time it asks again, never handed a lease as if it still held them."""
    import asyncpg

    admin = await asyncpg.connect(migrated_postgres_url.reveal())
    named = PostgresUrl(migrated_postgres_url.reveal() + "&application_name=readalong_cut_off")
    try:
        async with Store(named) as store, Store(migrated_postgres_url) as rival:
            await store.hold_shards(ShardSet.parse("0", 8))
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'readalong_cut_off'"
            )
            await asyncio.sleep(0.2)
            await rival.hold_shards(ShardSet.parse("0", 8))
            for _ in range(2):
                with pytest.raises(DatabaseError, match="shard 0 of 8 is already run"):
                    await store.lease_posting(5)
            assert await rival.lease_posting(5)
    finally:
        await admin.close()


async def test_one_posting_asked_for_twice_at_once_is_locked_once(migrated_postgres_url: PostgresUrl) -> None:
    async with Store(migrated_postgres_url) as store, Store(migrated_postgres_url) as rival:
        assert list(await asyncio.gather(store.lease_posting(9), store.lease_posting(9))) == [True, True]
        await store.release_posting(9)
        assert await rival.lease_posting(9)  # one release frees it: it was taken once


async def test_processes_must_agree_on_the_shard_count(migrated_postgres_url: PostgresUrl) -> None:
    """With counts 8 and 2 both accepted, every server would be owned by two processes."""
    async with (
        Store(migrated_postgres_url) as first,
        Store(migrated_postgres_url) as second,
        Store(migrated_postgres_url) as third,
    ):
        await first.hold_shards(ShardSet.parse("0-3", 8))
        with pytest.raises(DatabaseError, match=r"use --shard-count 8; give this one the same count"):
            await second.hold_shards(ShardSet.parse("0-1", 2))
        await second.hold_shards(ShardSet.parse("4-7", 8))
        await first.close()
        await second.close()
        await third.hold_shards(ShardSet.parse("0-1", 2))  # all stopped: a new layout may start
