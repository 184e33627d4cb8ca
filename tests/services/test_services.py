"""The services behind ``/article status|list|settings``, ``/archive threads|show`` and the thread
suggestions, over a real database (SQLite and PostgreSQL): what they find, as plain values, and the replies written
from them."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.articles import Article
from bot.discordfmt.articles import listing_message, purge_setting_message, status_message
from bot.discordfmt.posting import section_label
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.errors import NotFoundError, ReadalongError
from bot.services import archive as archive_service
from bot.services import articles as articles_service
from bot.services import posting as posting_service
from bot.services import settings as settings_service
from bot.store import Store
from tests.conftest import both_backends
from tests.postings import record_posting

GUILD, CHANNEL, SECTION_THREAD, COMMENTS_THREAD = 1, 10, 500, 600


async def post_first_section(store: Store, parsed: Article) -> tuple[Article, int]:
    """The article imported in the server, posted into CHANNEL: its intro, first section (with its
    thread) and comments thread header sent, the rest pending."""
    article = (await articles_service.import_article(store, parsed, guild_id=GUILD)).article
    posting = await record_posting(
        store, article, guild_id=GUILD, channel_id=CHANNEL, pace_minutes=60, with_comments=True
    )
    for item in await store.postings.items(posting.id):
        thread = {"section": SECTION_THREAD, "comments": COMMENTS_THREAD}.get(item.kind)
        if item.kind == "intro" or (item.kind == "section" and item.section == 1) or item.kind == "comments":
            await store.postings.record_message(posting.id, item.seq, 9000 + item.seq, CHANNEL)
            await store.postings.mark_done(posting.id, item.seq, thread)
    return article, posting.id


@both_backends
async def test_status_counts_the_sections_posted_and_links_them(database: Database, parsed: Article) -> None:
    async with Store(database) as store:
        with pytest.raises(ReadalongError, match="has not been posted in this server yet"):
            await posting_service.status(store, GUILD, (await store.articles.add(parsed, guild_id=GUILD)).id)
        article, posting_id = await post_first_section(store, parsed)
        stored, statuses = await posting_service.status(store, GUILD, article.id)
        items = await store.postings.items(posting_id)
    (status,) = statuses
    first_pending = next(row for row in items if row.status != "done")
    assert [row.section for row in status.posted] == [1]
    assert status.next_due == first_pending.due_at
    assert status.total_sections == len(article.sections)
    text = status_message(stored, statuses, {posting_id: "Discord is slow"})
    assert f"sections posted 1/{len(article.sections)}" in text
    assert f"](https://discord.com/channels/{GUILD}/{CHANNEL}/{status.posted[0].message_id})" in text
    assert "⏳ Discord is slow" in text


@both_backends
async def test_listing_says_where_an_article_is_posted_in_the_server_only(
    database: Database, parsed: Article
) -> None:
    async with Store(database) as store:
        article, _ = await post_first_section(store, parsed)
        in_server = await articles_service.listing(store, GUILD)
        operator = await articles_service.listing(store)
        elsewhere = await articles_service.listing(store, GUILD + 1)
    assert [(a.id, [p.channel_id for p in a.postings]) for a in in_server] == [(article.id, [CHANNEL])]
    assert [(a.id, a.postings) for a in operator] == [(article.id, ())]
    assert elsewhere == []
    assert f"· <#{CHANNEL}> (active)" in listing_message(in_server)


@both_backends
async def test_purge_setting_is_shown_then_changed(database: Database) -> None:
    async with Store(database) as store:
        shown = await settings_service.purge_deleted(store, GUILD, None)
        changed = await settings_service.purge_deleted(store, GUILD, True)
        again = await settings_service.purge_deleted(store, GUILD, None)
    assert (shown.purge_deleted, shown.changed) == (False, False)
    assert (changed.purge_deleted, changed.changed, changed.purged_now) == (True, True, 0)
    assert purge_setting_message(again.purge_deleted, changed=again.changed, purged_now=0).startswith(
        "Deleted messages' words: **forgotten**"
    )


@both_backends
async def test_one_label_per_thread_in_the_listing_and_the_suggestions(
    database: Database, parsed: Article
) -> None:
    """The suggestions of ``/archive show`` and ``/archive threads`` label a thread alike (the
    suggestions name the article in the comments thread's, as they span articles)."""
    viewer = Viewer.member(GUILD, 5, {CHANNEL, SECTION_THREAD, COMMENTS_THREAD})
    async with Store(database) as store:
        article, _ = await post_first_section(store, parsed)
        listing = await archive_service.threads(store, viewer, article.id)
        (group,) = listing.groups
        rows = group.rows
        choices = await archive_service.thread_choices(store, viewer, "", limit=25)
        sections_only = await archive_service.thread_choices(store, viewer, "§", limit=25)
        none = await archive_service.thread_choices(store, viewer, "", limit=0)
        hidden = await archive_service.thread_choices(store, Viewer.member(GUILD, 6, {CHANNEL}), "", limit=25)
        with pytest.raises(NotFoundError, match=f"<#{SECTION_THREAD}> is not the thread"):
            await archive_service.transcript(store, Viewer.member(GUILD, 6, {CHANNEL}), SECTION_THREAD)
    section = section_label(article, article.sections[0])
    assert [(r.thread_id, r.label) for r in rows] == [
        (SECTION_THREAD, section),
        (COMMENTS_THREAD, "Comments"),
    ]
    assert choices == [(SECTION_THREAD, section), (COMMENTS_THREAD, f"Comments: {article.display_title}")]
    assert sections_only == [(SECTION_THREAD, section)]
    assert none == [] and hidden == []


@both_backends
async def test_the_archive_follows_the_articles_channel_from_the_posting_on_and_its_threads_whole(
    database: Database, parsed: Article
) -> None:
    async with Store(database) as store:
        await post_first_section(store, parsed)
        (posting,) = await store.postings.for_guild(GUILD)
        tracked = await archive_service.tracked_channels(store, GUILD)
        assert await archive_service.tracked_channels(store, GUILD + 1) == []
    assert [(t.channel_id, t.since) for t in tracked] == [
        (CHANNEL, dt.datetime.fromisoformat(posting.created_at)),
        (SECTION_THREAD, None),
        (COMMENTS_THREAD, None),
    ]


@both_backends
async def test_archive_search_fails_with_its_searchs_own_error_not_a_group(database: Database) -> None:
    """Readers' messages and the comments are searched at once; one that fails fails the search
    with its own error (what the command tree shows or logs), not an ``ExceptionGroup``."""
    store = Store(database)
    async with store:
        member = Viewer.member(GUILD, 2, {CHANNEL})
        assert await archive_service.search(store, "soup", viewer=member, article_id=None, limit=5) == []
    with pytest.raises(RuntimeError, match="not open"):
        await archive_service.search(store, "soup", viewer=member, article_id=None, limit=5)
