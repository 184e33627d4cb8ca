"""A followed feed with two bots on one PostgreSQL database (issue 27: "posts a new entry with its
comments once ... with two processes on PostgreSQL"). Two real bots in this event loop, one shard
each of two, each with its own store (its own connection pool) and its own feed poller, both
polling the same feed at the same moment: the new entry becomes one posting, sent once by the bot
holding the server's shard, its comments once in one Comments thread. In-process bots rather than
``readalong run`` processes: what is shared is the database, and that is real here; the processes
themselves are tested in tests/e2e/test_sharded_processes.py."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections import Counter

from bot.domain.database import PostgresUrl
from bot.domain.shards import ShardSet, shard_of
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services.feeds import poll_due
from bot.settings import Settings
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import page, serving
from tests.e2e.test_feeds import LATER, comment_threads, route
from tests.services.test_feeds import OLD, rss, serve_feed

SHARDS = 2


async def test_two_bots_polling_one_feed_post_its_new_entry_and_comments_once(
    sandbox: Sandbox, seed: Seed, settings: Settings, postgres_url: PostgresUrl
) -> None:
    sandbox.gateway.max_concurrency = SHARDS  # each shard in its own IDENTIFY bucket: no 5 s wait
    shared = settings.with_db(postgres_url)
    one, two = (
        dataclasses.replace(shared, shards=ShardSet(frozenset({shard}), SHARDS)) for shard in range(SHARDS)
    )
    owner_shard = shard_of(int(seed.guild_id), SHARDS)
    async with serving() as site, running_bot(one) as first, running_bot(two) as second:
        bots = (first, second)
        owner = bots[owner_shard]
        assert first.store is not second.store
        assert first.feed_poller is not None and second.feed_poller is not None
        assert first.feed_poller is not second.feed_poller
        for bot in bots:
            route(bot, site)
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        followed = await sandbox.run_command(
            "ada",
            "general",
            "feed follow",
            {"url": "https://lemire.me/blog/feed/", "channel": "general", "pace": 0},
        )
        assert "Following **Lemire**" in str(followed.messages[-1]["content"])

        serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
        now = dt.datetime.now(dt.UTC)
        reports = await asyncio.gather(
            *(poll_due(bot.store, bot.feed_poller.options, now + LATER) for bot in bots)  # type: ignore[union-attr]
        )
        assert sum(len(r.posted) for r in reports) == 1, reports
        # The server's shard sends it, whichever bot made the posting (it looks at the database
        # every few seconds; woken here so that the test does not wait for that).
        owner.publisher.wake()
        await sandbox.wait_until(lambda: len(comment_threads(sandbox)) >= 1, within=30)
        thread = comment_threads(sandbox)[0]
        await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 5, within=30)  # type: ignore[arg-type]
        await sandbox.wait_idle()
        posted = len(sandbox.messages("general"))

        # Both poll again later: the entry is seen, never posted again.
        again = await asyncio.gather(
            *(poll_due(bot.store, bot.feed_poller.options, now + 2 * LATER) for bot in bots)  # type: ignore[union-attr]
        )
        assert all(r.posted == () for r in again), again
        owner.publisher.wake()
        await sandbox.wait_idle()
        assert len(comment_threads(sandbox)) == 1
        in_general = Counter(str(m.get("content")) for m in sandbox.messages("general"))
        assert len(sandbox.messages("general")) == posted and max(in_general.values()) == 1, in_general
        said = Counter(str(m.get("content")) for m in sandbox.messages(thread["id"]))  # type: ignore[arg-type]
        assert said and max(said.values()) == 1, said  # every comment once
        assert any("vcpkg has simdjson in its repo" in text for text in said)
        assert len(await first.store.postings.for_guild(int(seed.guild_id))) == 1
