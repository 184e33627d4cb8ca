"""``/feed`` through the sandbox with the real bot (issue 27): a blog followed by its page's address
posts nothing old; a new post appears in its feed and is posted with its comments once, also after
the bot is restarted on the same database; ``/feed list`` reports it. The blog is a local server
under its own name (the address guard on); polls are triggered with the time wanted."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import CommandRejected, Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services.feeds import poll_due
from bot.services.webfetch import Fetcher
from bot.settings import Settings
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import Site, page, serving
from tests.services.test_feeds import FEED, OLD, rss, serve_feed

LATER = dt.timedelta(minutes=16)


def route(bot: ReadalongBot, site: Site) -> None:
    """The bot's poller fetches from the test site (names routed to 127.0.0.1, guard still on)."""
    poller = bot.feed_poller
    assert poller is not None and not poller.options.fetcher.allow_private
    poller.options = dataclasses.replace(
        poller.options, fetcher=Fetcher(resolve=site.resolve, tls=site.client_tls)
    )


def comment_threads(sandbox: Sandbox) -> list[dict[str, object]]:
    return [t for t in sandbox.threads("general") if "Comments" in str(t.get("name"))]


async def test_follow_posts_a_new_entry_with_its_comments_once_across_a_restart(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    async with serving() as site, running_bot(settings) as bot:
        route(bot, site)
        site.html(
            "lemire.me",
            "/blog/",
            '<html><head><link rel="alternate" type="application/atom+xml" href="/blog/feed/"></head></html>',
        )
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )

        refused = await sandbox.run_command(
            "ada", "general", "feed follow", {"url": "https://lemire.me/nowhere", "channel": "general"}
        )
        assert refused.messages[-1]["content"] == "lemire.me/nowhere: not found (HTTP 404); check the address"
        followed = await sandbox.run_command(
            "ada",
            "general",
            "feed follow",
            {"url": "https://lemire.me/blog/", "channel": "general", "pace": 0},
        )
        said = str(followed.messages[-1]["content"])
        assert (
            followed.ephemeral
            and "Following **Lemire**" in said
            and "Nothing already in it is posted" in said
        )

        serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
        now = dt.datetime.now(dt.UTC)
        report = await poll_due(bot.store, bot.feed_poller.options, now + LATER)  # type: ignore[union-attr]
        assert len(report.posted) == 1
        posting = await bot.store.postings.get(report.posted[0])
        assert posting.notify_channel_id == int(
            seed.general_id
        )  # a refusal is reported where /feed follow was used
        await sandbox.wait_until(lambda: len(comment_threads(sandbox)) == 1, within=30)
        thread = comment_threads(sandbox)[0]
        await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 5, within=30)  # type: ignore[arg-type]
        posted = [str(m.get("content")) for m in sandbox.messages(thread["id"])]  # type: ignore[arg-type]
        assert any("vcpkg has simdjson in its repo" in text for text in posted)
        await sandbox.wait_idle()
        listed = await sandbox.run_command("ada", "general", "feed list", {})
        assert "1 posted" in str(listed.messages[-1]["content"])
        intros = len(sandbox.messages("general"))

    async with serving() as site, running_bot(settings) as restarted:
        route(restarted, site)
        serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        again = await poll_due(restarted.store, restarted.feed_poller.options, now + 2 * LATER)  # type: ignore[union-attr]
        assert again.polled == 1 and again.posted == ()
        await sandbox.wait_idle()
        assert len(comment_threads(sandbox)) == 1 and len(sandbox.messages("general")) == intros


async def test_follow_is_for_admins_refuses_in_one_line_and_list_shows_a_failing_feed(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    async with serving() as site, running_bot(settings) as bot:
        route(bot, site)
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        with pytest.raises(CommandRejected, match="permission"):
            await sandbox.run_command("ben", "general", "feed follow", {"url": FEED, "channel": "general"})
        with pytest.raises(CommandRejected, match="permission"):
            await sandbox.run_command("ben", "general", "feed list")

        world = sandbox.world
        forum = world.channel(seed.forum_id)
        world.channels[seed.forum_id]["flags"] = 1 << 4  # REQUIRE_TAG
        world.emit("CHANNEL_UPDATE", forum)
        await sandbox.wait_idle()
        untagged = await sandbox.run_command(
            "ada", "general", "feed follow", {"url": FEED, "channel": "reading-room"}
        )
        assert "requires a tag" in untagged.text and "\n" not in untagged.text.strip()
        tagged_text = await sandbox.run_command(
            "ada", "general", "feed follow", {"url": FEED, "channel": "general", "tag": "Readalong"}
        )
        assert "forum" in tagged_text.text and "\n" not in tagged_text.text.strip()
        assert await bot.store.feeds.for_guild(int(seed.guild_id)) == []

        await sandbox.run_command("ada", "general", "feed follow", {"url": FEED, "channel": "general"})
        site.html("lemire.me", "/blog/feed/", "down", status=500)
        await poll_due(bot.store, bot.feed_poller.options, dt.datetime.now(dt.UTC) + LATER)  # type: ignore[union-attr]
        listed = (await sandbox.run_command("ada", "general", "feed list")).text
        assert "**Lemire**" in listed and "HTTP 500" in listed and "next <t:" in listed
        paused = await sandbox.run_command("ada", "general", "feed pause", {"feed": "#1"})
        assert "Paused Lemire" in paused.text
        assert "paused" in (await sandbox.run_command("ada", "general", "feed list")).text
