"""New blog comments come along (issue 27), through the sandbox with the real bot: a blog post posted
from a followed feed gains a comment on its page; the next poll posts it into the post's Comments
thread under its author's name, once; a comment edited on the blog is edited there, one deleted is
deleted there; and a restart on the same database posts nothing again. The
blog is a local server under its own name; polls are triggered with the time wanted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services.feeds import PollReport, poll_due
from bot.settings import Settings
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import Site, page, serving
from tests.conftest import both_backends
from tests.e2e.conftest import wait_posting_state
from tests.e2e.test_feeds import LATER, comment_threads, route
from tests.services.test_feeds import OLD, rss, serve_feed

POST = "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/"
NEW_COMMENT = (
    '<li id="comment-999001" class="comment even thread-even depth-1">'
    '<article id="div-comment-999001" class="comment-body"><footer class="comment-meta">'
    '<div class="comment-author vcard"><b class="fn">Zed Newcomer</b> <span class="says">says:</span></div>'
    '<div class="comment-metadata"><a href="#comment-999001"><time datetime="2019-08-09T10:00:00+00:00">'
    "August 9, 2019 at 10:00 am</time></a></div></footer>"
    '<div class="comment-content"><p>Came late to this: simdjson 0.2 is out and even faster.</p></div>'
    "</article></li>"
)


EDITED = "Thanks, for posting this. (Edited: and for the numbers.)"


def serve_blog(site: Site, *, with_new_comment: bool, edited: bool = False) -> None:
    serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
    html = page("lemire.me.json.html")
    if edited:
        html = html.replace("<p>Thanks, for posting this.</p>", f"<p>{EDITED}</p>", 1)
    if with_new_comment:
        html = html.replace('<ol class="comment-list">', '<ol class="comment-list">' + NEW_COMMENT, 1)
    site.html("lemire.me", POST, html)


async def follow_and_post(sandbox: Sandbox, site: Site, bot: ReadalongBot, now: dt.datetime) -> PollReport:
    """ada follows the blog's feed in #general; its post (as yet without the new comment) is
    imported and posted by the poll after the first."""
    assert bot.feed_poller is not None
    serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
    await sandbox.run_command(
        "ada",
        "general",
        "feed follow",
        {"url": "https://lemire.me/blog/feed/", "channel": "general", "pace": 0},
    )
    serve_blog(site, with_new_comment=False)
    return await poll_due(bot.store, bot.feed_poller.options, now + LATER)


def authors(sandbox: Sandbox, thread_id: str) -> list[str]:
    return [str(m["author"]["username"]) for m in sandbox.messages(thread_id)]


async def test_a_new_blog_comment_reaches_the_comments_thread_once_across_a_restart(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    now = dt.datetime.now(dt.UTC)
    async with serving() as site, running_bot(settings) as bot:
        route(bot, site)
        poller = bot.feed_poller
        assert poller is not None and poller.options.comment_follow_hours == 48
        report = await follow_and_post(sandbox, site, bot, now)
        assert len(report.posted) == 1
        await sandbox.wait_until(lambda: len(comment_threads(sandbox)) == 1, within=30)
        thread = str(comment_threads(sandbox)[0]["id"])
        await sandbox.wait_until(lambda: len(sandbox.messages(thread)) >= 5, within=30)
        await sandbox.wait_idle()
        before = authors(sandbox, thread)
        assert "Zed Newcomer" not in before and "degski" in before

        # Nothing new on the page: nothing is posted.
        assert await poller.follow_comments(now + LATER) == 0

        serve_blog(site, with_new_comment=True)
        assert await poller.follow_comments(now + 2 * LATER) == 1
        await sandbox.wait_until(lambda: "Zed Newcomer" in authors(sandbox, thread), within=30)
        await sandbox.wait_idle()
        added = [m for m in sandbox.messages(thread) if m["author"]["username"] == "Zed Newcomer"]
        assert len(added) == 1
        assert str(added[0]["content"]).endswith("\nCame late to this: simdjson 0.2 is out and even faster.")
        assert authors(sandbox, thread)[: len(before)] == before
        stored = await bot.store.articles.get((await bot.store.postings.get(report.posted[0])).article_id)
        assert stored.comments[-1].author == "Zed Newcomer"
        # Fetched again: the comment is known by its author and time, not queued twice.
        assert await poller.follow_comments(now + 3 * LATER) == 0

        # degski edits theirs on the blog: the same message, edited.
        serve_blog(site, with_new_comment=True, edited=True)
        assert await poller.follow_comments(now + 4 * LATER) == 1
        await sandbox.wait_until(
            lambda: any(EDITED in str(m["content"]) for m in sandbox.messages(thread)), within=30
        )
        assert authors(sandbox, thread) == [*before, "Zed Newcomer"]

        # The blog deletes Zed's comment: its message goes; nothing else does.
        serve_blog(site, with_new_comment=False, edited=True)
        assert await poller.follow_comments(now + 5 * LATER) == 1
        await sandbox.wait_until(lambda: "Zed Newcomer" not in authors(sandbox, thread), within=30)
        await sandbox.wait_idle()
        assert authors(sandbox, thread) == before
        stored = await bot.store.articles.get(stored.id)
        assert "Zed Newcomer" not in [c.author for c in stored.comments]
        assert any(c.text.startswith(EDITED) for c in stored.comments)
        count = len(sandbox.messages(thread))
        intros = len(sandbox.messages("general"))

    async with serving() as site, running_bot(settings) as restarted:
        route(restarted, site)
        serve_blog(site, with_new_comment=False, edited=True)
        assert restarted.feed_poller is not None
        assert await restarted.feed_poller.follow_comments(now + 6 * LATER) == 0
        await sandbox.wait_idle()
        assert len(sandbox.messages(thread)) == count and len(sandbox.messages("general")) == intros


def quotes(answer: str) -> list[str]:
    """The verbatim quotes of an answer (its ``> `` lines, without the marker)."""
    return [line[2:] for line in answer.splitlines() if line.startswith("> ")]


REWORDED = "Came late to this: simdjson 0.3 adds an on-demand parser that skips what you never read."


@both_backends
async def test_comments_added_or_edited_later_are_quoted_by_ask(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    """A comment the blog gained after the import is found by ``/ask`` once it is stored, quoted
    verbatim from the stored comment; edited on the blog, its new words are found and the old
    ones no longer are (the passages follow in the transaction that stores the comment)."""
    now = dt.datetime.now(dt.UTC)
    async with serving() as site, running_bot(dataclasses.replace(settings, ask_cooldown_seconds=0.0)) as bot:
        route(bot, site)
        poller = bot.feed_poller
        assert poller is not None
        report = await follow_and_post(sandbox, site, bot, now)
        # Every section sent first: /ask withholds a section not posted yet ("§2, not posted
        # yet"), and on a loaded machine the posting may still be under way.
        await wait_posting_state(bot, report.posted[0], "done", within=30)
        article_id = (await bot.store.postings.get(report.posted[0])).article_id
        question = "/ask question:Is simdjson 0.2 out and even faster?"
        before = await sandbox.run("ben", "general", question)
        assert not any("simdjson 0.2" in q for q in quotes(before.text)), before.text

        serve_blog(site, with_new_comment=True)
        assert await poller.follow_comments(now + 2 * LATER) == 1
        answer = await sandbox.run("ben", "general", question)
        stored = (await bot.store.articles.get(article_id)).comments[-1]
        assert stored.author == "Zed Newcomer"
        found = [q for q in quotes(answer.text) if "simdjson 0.2 is out" in q]
        assert found and all(q in stored.text for q in found), answer.text

        html = page("lemire.me.json.html").replace(
            '<ol class="comment-list">',
            '<ol class="comment-list">'
            + NEW_COMMENT.replace("Came late to this: simdjson 0.2 is out and even faster.", REWORDED),
            1,
        )
        site.html("lemire.me", POST, html)
        assert await poller.follow_comments(now + 3 * LATER) == 1
        edited = await sandbox.run("ben", "general", "/ask question:Which simdjson adds an on-demand parser?")
        stored = (await bot.store.articles.get(article_id)).comments[-1]
        assert stored.text == REWORDED
        found = [q for q in quotes(edited.text) if "on-demand parser" in q]
        assert found and all(q in stored.text for q in found), edited.text
        again = await sandbox.run("ben", "general", question)
        assert not any("simdjson 0.2 is out" in q for q in quotes(again.text)), again.text


async def test_a_finished_posting_another_keeps_from_reopening_is_refused_in_one_line(
    sandbox: Sandbox, seed: Seed, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The article's feed posting has finished; an admin posts it again in the same channel (one
    posting under way per article and channel). A new blog comment then cannot reopen the finished
    one: its admin is told so in one line, the comment reaches the channel through the posting
    under way, and nothing is logged as a failure."""
    now = dt.datetime.now(dt.UTC)
    async with serving() as site, running_bot(settings) as bot:
        route(bot, site)
        poller = bot.feed_poller
        assert poller is not None
        report = await follow_and_post(sandbox, site, bot, now)
        first = report.posted[0]
        await wait_posting_state(bot, first, "done", within=30)
        slug = (await bot.store.postings.get(first)).article_slug
        again = await sandbox.run_command(
            "ada", "general", "article post", {"article": slug, "channel": "general", "pace": 60}
        )
        assert "Posting" in again.text, again.text
        [second] = [p for p in await bot.store.postings.for_guild(int(seed.guild_id)) if p.id != first]
        await sandbox.wait_idle()
        said = len(sandbox.messages("general"))

        serve_blog(site, with_new_comment=True)
        with caplog.at_level(logging.INFO):
            assert await poller.follow_comments(now + 2 * LATER) == 1
            await sandbox.wait_until(lambda: len(sandbox.messages("general")) > said, within=10)
        notice = str(sandbox.messages("general")[-1]["content"])
        assert notice == (
            f"⚠️ New comments on the blog post of `{slug}` were not added to its finished posting in"
            f" <#{seed.general_id}>: another posting of `{slug}` is under way there (one at a time per"
            " channel); that posting brings them."
        )
        assert not [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.WARNING], (
            caplog.text
        )
        assert (await bot.store.postings.get(first)).state == "done"
        items = await bot.store.postings.items(second.id)
        added = (await bot.store.articles.get(second.article_id)).comments[-1]
        assert added.author == "Zed Newcomer" and any(i.comment == added.index for i in items)
        assert not any(i.comment == added.index for i in await bot.store.postings.items(first))
