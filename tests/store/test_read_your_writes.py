"""Read-your-writes (issue 28, finding 4): six admins posting at once, each is answered with the
posting just committed. On SQLite the read connection is shared by every coroutine; a statement
left open on it by one of them (a cursor not yet read to its end) used to hold the connection's
snapshot from before the others' commits, so ``/article post`` answered "no posting N" for a
posting it had just recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.domain.database import Database
from bot.services.articles import import_article, parse_file
from bot.store import Store
from tests.conftest import both_backends
from tests.postings import record_posting

ADMINS = 6
ROUNDS = 20


@both_backends
@pytest.mark.slow(seconds=1)
async def test_six_postings_at_once_each_read_back_twenty_times(
    database: Database, sample_path: Path
) -> None:
    async with Store(database) as store:
        article = (await import_article(store, parse_file(sample_path, 1800))).article
        guilds = [1000 + n for n in range(ADMINS)]
        reading = asyncio.Event()

        async def publisher_reading(guild_id: int) -> None:
            """What runs beside the commands: the publisher's workers and the status pages reading."""
            while not reading.is_set():
                for posting in await store.postings.for_guild(guild_id):
                    await store.postings.items(posting.id)
                    await store.postings.next_item(posting.id)
                await asyncio.sleep(0)

        async def post(guild_id: int, channel_id: int) -> int:
            posting = await record_posting(
                store, article, guild_id=guild_id, channel_id=channel_id, with_comments=True
            )
            return posting.id

        readers = [asyncio.create_task(publisher_reading(guild_id)) for guild_id in guilds]
        try:
            for round_ in range(ROUNDS):
                created = await asyncio.gather(
                    *(post(guild_id, 10_000 * round_ + guild_id) for guild_id in guilds),
                    return_exceptions=True,
                )
                failed = [str(result) for result in created if isinstance(result, BaseException)]
                assert not failed, f"round {round_ + 1}: {failed}"
                assert len(set(created)) == ADMINS
        finally:
            reading.set()
            await asyncio.gather(*readers)
        for guild_id in guilds:
            assert len(await store.postings.for_guild(guild_id)) == ROUNDS
