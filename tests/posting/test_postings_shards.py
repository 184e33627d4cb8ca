"""A process picks only the postings of the servers on its shards, from a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from bot.articles import Article
from bot.domain.database import Database
from bot.domain.shards import ShardSet, shard_of
from bot.store import Store
from tests.conftest import both_backends
from tests.postings import record_posting

# Two server ids on different shards of 2: the shard is (id >> 22) % 2.
ON_ZERO = (1_000 << 22) | 7
ON_ONE = (1_001 << 22) | 7


@both_backends
async def test_active_postings_are_filtered_by_the_shards_held(
    database: Database, sample_article: Article
) -> None:
    assert (shard_of(ON_ZERO, 2), shard_of(ON_ONE, 2)) == (0, 1)
    parsed = sample_article
    async with Store(database) as store:
        ids = {}
        for guild_id in (ON_ZERO, ON_ONE):
            article = await store.articles.add(parsed, guild_id=guild_id)
            posting = await record_posting(store, article, guild_id=guild_id, channel_id=guild_id + 1)
            ids[guild_id] = posting.id
        assert await store.postings.active_ids() == [ids[ON_ZERO], ids[ON_ONE]]  # one process: all
        assert await store.postings.active_ids(ShardSet.parse("0-1", 2)) == [ids[ON_ZERO], ids[ON_ONE]]
        assert await store.postings.active_ids(ShardSet.parse("0", 2)) == [ids[ON_ZERO]]
        assert await store.postings.active_ids(ShardSet.parse("1", 2)) == [ids[ON_ONE]]
        # Four shards: the servers fall on shards 0 (1000 % 4) and 1 (1001 % 4).
        assert await store.postings.active_ids(ShardSet.parse("2-3", 4)) == []
