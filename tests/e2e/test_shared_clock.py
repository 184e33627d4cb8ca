"""The bot and the sandbox on one clock the test moves on (issue 27): a post the blog publishes
"tomorrow" by that clock is not in its feed today, and once the clock gets there the bot's
poller (waiting on the same clock, not on real minutes) finds it and posts it, its messages
stamped with the clock's time, their ids made of it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.discord.client import ReadalongBot
from bot.domain.clock import ManualClock
from bot.sandbox import Sandbox, Seed
from bot.sandbox.state import iso, snowflake_time
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import page, serving
from tests.e2e.test_feeds import route
from tests.services.test_feeds import FEED, OLD, serve_scheduled_feed

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's world and the ``bot`` fixture both run on it."""
    return ManualClock(START)


async def until(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not so after {within:.0f} s")
        await asyncio.sleep(0.02)


async def test_a_post_published_tomorrow_is_posted_once_the_shared_clock_gets_there(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, clock: ManualClock
) -> None:
    async with serving() as site:
        route(bot, site)
        serve_scheduled_feed(
            site, "lemire.me", "/blog/feed/", clock, [(OLD, START - DAY), (LEMIRE, START + DAY)]
        )
        site.html("lemire.me", LEMIRE.removeprefix("https://lemire.me"), page("lemire.me.json.html"))
        followed = await sandbox.run_command(
            "ada", "general", "feed follow", {"url": FEED, "channel": "general", "pace": 0}
        )
        assert "Following **Lemire**" in followed.text
        (feed,) = await bot.store.feeds.for_guild(int(seed.guild_id))
        every = dt.timedelta(minutes=bot.settings.feed_poll_minutes)
        assert feed.next_poll_at == START + every  # followed at the shared clock's time

        # Past the next poll, still today: the poller looks (woken by the clock, not by real
        # minutes passing) and the blog's feed has nothing new yet.
        clock.advance(every + dt.timedelta(minutes=1))

        async def polled_at(moment: dt.datetime) -> bool:
            (now,) = await bot.store.feeds.for_guild(int(seed.guild_id))
            return now.last_poll_at == moment

        await until(lambda: polled_at(clock.now()))
        await sandbox.wait_idle()
        assert sandbox.messages("general") == []

        # Tomorrow by the clock the blog and the bot share: the post is out and is posted.
        clock.advance(DAY)
        await until(lambda: polled_at(clock.now()))
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 1, within=30)
        await sandbox.wait_idle()
        intro = sandbox.messages("general")[0]
        assert intro["timestamp"] == iso(clock.now()) and snowflake_time(intro["id"]) == clock.now()
        await sandbox.wait_until(
            lambda: any("Comments" in str(t["name"]) for t in sandbox.threads("general")), within=30
        )
        (after,) = await bot.store.feeds.for_guild(int(seed.guild_id))
        assert after.posted == 1
