"""A followed feed with two ``readalong run`` processes on one PostgreSQL schema (issue 27:
"following a feed posts a new entry with its comments once, across a restart and with two
processes on PostgreSQL"). Each process runs one shard of two and its own feed poller; both poll
the same feed (its poll made due again and again, each time taken by whichever looks first,
until each process has taken some), the new entry becomes one posting, sent by the process
holding the server's shard, its comments once in one Comments thread; the process holding the
shard is then stopped and started again and the feed polled again: nothing is posted twice.

The blog is the test's web server on 127.0.0.1 (the processes use the system resolver, so
``READALONG_ALLOW_PRIVATE_URLS`` is on for them); the pollers look for due feeds every 0.1 s and
the publishers at the database every 0.5 s instead of 60 s and 5 s (module constants set in the
processes, as the IDENTIFY window is)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.shards import shard_of
from bot.sandbox import Sandbox, Seed
from bot.store import Store
from tests.articles.web_server import page, serving
from tests.e2e.test_feeds import comment_threads
from tests.harness import ReadalongProcess
from tests.services.test_feeds import rss, serve_feed

pytestmark = pytest.mark.slow(seconds=6)

SHARDS = 2
POST = "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/"
QUICK = {"bot.services.feeds.TICK_SECONDS": 0.1, "bot.discord.posting.worker.LOOK_EVERY": 0.5}
POLLED = re.compile(r"polled (\d+) feeds, (\d+) new entries, posted (\d+)")


def polls_taken(bot: ReadalongProcess, since: int = 0) -> int:
    """How many feed polls the process logged taking (after the first ``since`` characters of
    its log)."""
    return sum(int(m.group(1)) for m in POLLED.finditer(bot.log.read_text()[since:]))


@pytest.mark.slow(seconds=2)
async def test_two_processes_polling_one_feed_post_its_new_entry_and_comments_once(
    sandbox: Sandbox, seed: Seed, migrated_postgres_url: PostgresUrl, tmp_path: Path
) -> None:
    sandbox.handlers_running = None  # the bot runs in processes of its own
    sandbox.gateway.max_concurrency = SHARDS  # each shard in its own IDENTIFY bucket
    sandbox.gateway.identify_window = 0.25  # the restart is not about Discord's 5 s
    guild = int(seed.guild_id)
    async with serving() as site, Store(migrated_postgres_url) as store:
        base = f"http://127.0.0.1:{site.port}"
        old, new = f"{base}/blog/2019/07/01/an-older-post/", base + POST
        serve_feed(site, "127.0.0.1", "/blog/feed/", rss(old))
        site.html("127.0.0.1", POST, page("lemire.me.json.html"))
        bots = ReadalongProcess.one_per_shard(
            sandbox, seed.guild_id, migrated_postgres_url, tmp_path, SHARDS, patches=QUICK
        )
        for bot in bots:
            bot.environment["READALONG_ALLOW_PRIVATE_URLS"] = "1"
            await bot.start()
        owner = bots[shard_of(guild, SHARDS)]

        async def poll_again() -> None:
            """Make the feed due now and wait until one of the processes has polled it (and
            logged so: its poll is recorded, and the next one's due time will not be overwritten)."""
            [feed] = await store.feeds.for_guild(guild)
            taken = sum(map(polls_taken, bots))
            await store.feeds.set_state(feed.id, "active", dt.datetime.now(dt.UTC))
            for _ in range(200):
                await asyncio.sleep(0.05)
                if sum(map(polls_taken, bots)) > taken:
                    return
            raise AssertionError("the feed was not polled", [b.log.read_text() for b in bots])

        try:
            await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARDS, within=30)
            await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
            followed = await sandbox.run_command(
                "ada",
                "general",
                "feed follow",
                {"url": f"{base}/blog/feed/", "channel": "general", "pace": 0},
            )
            assert "Following **Lemire**" in followed.text, followed.text

            # The new post appears; the feed is polled (by either) until both processes have
            # taken polls of it: one posting, whoever found the entry and whoever claimed it.
            serve_feed(site, "127.0.0.1", "/blog/feed/", rss(new, old))
            for _ in range(60):
                await poll_again()
                if all(polls_taken(bot) for bot in bots):
                    break
            assert all(polls_taken(bot) for bot in bots), [b.log.read_text() for b in bots]
            await sandbox.wait_until(lambda: len(comment_threads(sandbox)) >= 1, within=30)
            thread = str(comment_threads(sandbox)[0]["id"])
            await sandbox.wait_until(lambda: len(sandbox.messages(thread)) >= 5, within=30)
            [posting] = await store.postings.for_guild(guild)
            for _ in range(200):
                if (await store.postings.get(posting.id)).state == "done":
                    break
                await asyncio.sleep(0.05)
            posted = len(sandbox.messages("general")), len(sandbox.messages(thread))

            # The shard's process stopped and started again; the feed polled again until the
            # restarted process has taken a poll: nothing new.
            await owner.stop()
            restarted = len(owner.log.read_text())
            await owner.start()
            await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARDS, within=30)
            for _ in range(60):
                await poll_again()
                if polls_taken(owner, restarted):
                    break
            assert polls_taken(owner, restarted), owner.log.read_text()
            await sandbox.wait_idle(quiet=0.6)  # over a publisher's look at the database
        finally:
            for bot in bots:
                await bot.stop()
                await bot.close()

        assert len(await store.postings.for_guild(guild)) == 1
        assert (len(sandbox.messages("general")), len(sandbox.messages(thread))) == posted
        assert len(comment_threads(sandbox)) == 1
        in_general = Counter(str(m.get("content")) for m in sandbox.messages("general"))
        assert max(in_general.values()) == 1, in_general
        said = Counter(str(m.get("content")) for m in sandbox.messages(thread))
        assert max(said.values()) == 1, said  # every comment once
        assert any("vcpkg has simdjson in its repo" in text for text in said)
        [feed] = await store.feeds.for_guild(guild)
        assert feed.posted == 1 and feed.last_error is None
    # Each posting's items were sent by the process holding the server's shard alone.
    assert "item 1 sent" in owner.log.read_text()
    assert "item 1 sent" not in next(b for b in bots if b is not owner).log.read_text()
