"""The posting outbox in a real database (SQLite and PostgreSQL): order, durability across reopen, pause and resume."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import pytest

from bot.articles import Article
from bot.domain.database import Database
from bot.domain.posting import PostingState
from bot.errors import ConflictError
from bot.store import Store
from bot.store.errors import StoreError
from bot.store.postings import utcnow
from tests.conftest import both_backends
from tests.postings import record_posting


@pytest.fixture
def article(sample_article: Article) -> Article:
    return sample_article


async def create(store: Store, article: Article, pace: int = 0) -> int:
    """Store the article if it is new, and plan its posting into channel 10."""
    if not article.id:
        article = await store.articles.add(article)
    posting = await record_posting(
        store, article, guild_id=1, channel_id=10, pace_minutes=pace, with_comments=True
    )
    return posting.id


@both_backends
async def test_items_come_out_in_order_and_survive_a_reopen(database: Database, article: Article) -> None:
    path = database
    async with Store(path) as store:
        posting_id = await create(store, article)
        found = await store.postings.next_item()
        assert found is not None and found[1].seq == 1 and found[1].kind == "intro"
        await store.postings.mark_sending(posting_id, 1)
        await store.postings.record_message(posting_id, 1, 1001, 10)
    async with Store(path) as store:  # as after a kill: the intent and the message id are there
        found = await store.postings.next_item()
        assert found is not None
        _, item = found
        assert (item.seq, item.status, item.message_id, item.container_id) == (1, "sending", 1001, 10)
        await store.postings.mark_done(posting_id, 1, None)
        found = await store.postings.next_item()
        assert found is not None and found[1].seq == 2 and found[1].section == 1


@both_backends
async def test_a_posting_is_done_with_its_last_item(database: Database, article: Article) -> None:
    async with Store(database) as store:
        posting_id = await create(store, article)
        for row in await store.postings.items(posting_id):
            await store.postings.mark_sending(posting_id, row.seq)
            await store.postings.record_message(posting_id, row.seq, 2000 + row.seq, 10)
            await store.postings.mark_done(
                posting_id, row.seq, 2000 + row.seq if row.kind == "section" else None
            )
        assert (await store.postings.get(posting_id)).state == "done"
        assert await store.postings.next_item() is None
        placement = await store.postings.placement(2002)
        assert placement is not None and placement.section == 1
        assert (await store.postings.section_links(posting_id))[6] == (10, 2007)


@both_backends
async def test_a_posting_still_going_refuses_another_in_its_channel_and_an_ended_one_does_not(
    database: Database, article: Article
) -> None:
    """Issue 22, finding 6: a cancelled or finished posting can be posted again in the same
    channel (``UNIQUE (article_id, channel_id)`` forbade it); one still going, active or paused,
    refuses in one line naming it, and changes nothing."""
    async with Store(database) as store:
        first = await create(store, article)
        again = dataclasses.replace(article, id="the-lessons-of-zhanaozen")
        states: tuple[PostingState, ...] = ("active", "paused")
        for state in states:
            await store.postings.set_state(first, state)
            before = await store.postings.for_guild(1)
            with pytest.raises(ConflictError) as refused:
                await create(store, again)
            message = str(refused.value)
            assert "\n" not in message and "'the-lessons-of-zhanaozen'" in message and "<#10>" in message
            assert ("paused" in message) is (state == "paused")
            assert f"/article cancel article:the-lessons-of-zhanaozen#{first}`" in message
            assert await store.postings.for_guild(1) == before
        assert await store.postings.cancel(first)
        second = await create(store, again)
        assert second != first
        # Each keeps its own items: the cancelled one's are not touched by the new one's.
        assert len(await store.postings.items(first)) == len(await store.postings.items(second))
        for row in await store.postings.items(second):
            await store.postings.mark_done(second, row.seq, None)
        assert (await store.postings.get(second)).state == "done"
        third = await create(store, again)  # after a finished one too
        assert [p.id for p in await store.postings.for_guild(1)] == [third, second, first]
        # The database itself refuses a second posting still going (not only the check above).
        with pytest.raises(StoreError, match=r"(?i)unique|duplicate key"):
            async with store.transaction() as db:
                await db.execute("UPDATE postings SET state = 'active' WHERE id = ?", (second,))


@both_backends
async def test_pause_holds_items_and_resume_reschedules_them_from_now(
    database: Database, article: Article
) -> None:
    async with Store(database) as store:
        posting_id = await create(store, article, pace=60)
        await store.postings.set_state(posting_id, "paused")
        assert await store.postings.next_item() is None
        await store.postings.set_state(posting_id, "active", reschedule_pace=60)
        rows = await store.postings.items(posting_id)
        sections = [r.due_at for r in rows if r.kind == "section"]
        now = utcnow()
        # The pace is kept: the next section one interval after resuming, not at once.
        assert abs((sections[0] - now).total_seconds() - 3600) < 5
        assert [round((b - a) / dt.timedelta(minutes=1)) for a, b in itertools.pairwise(sections)] == [60] * 5


@both_backends
async def test_a_refused_posting_keeps_its_reason_until_resumed_and_postings_are_read_one_by_one(
    database: Database, article: Article
) -> None:
    path = database
    async with Store(path) as store:
        first = await create(store, article)
        stored = (await store.postings.get(first)).article_id
        second = (
            await record_posting(
                store,
                article,
                article_id=stored,
                guild_id=2,
                channel_id=20,
                created_by=6,
                notify_channel_id=21,
            )
        ).id
        assert await store.postings.active_ids() == [first, second]
        found = await store.postings.next_item(second)
        assert found is not None and found[0].id == second and found[0].notify_channel_id == 21
        await store.postings.halt(first, "I am missing these permissions in <#10>: Send Messages")
    async with Store(path) as store:  # the reason survives a restart
        paused = await store.postings.get(first)
        assert paused.state == "paused" and paused.paused_reason is not None
        assert "Send Messages" in paused.paused_reason
        assert await store.postings.active_ids() == [second] and await store.postings.next_item(first) is None
        await store.postings.set_state(first, "active", reschedule_pace=0)
        resumed = await store.postings.get(first)
        assert resumed.state == "active" and resumed.paused_reason is None


@both_backends
async def test_the_chosen_forum_tag_is_kept_with_the_posting(database: Database, article: Article) -> None:
    path = database
    async with Store(path) as store:
        stored = await store.articles.add(article)
        posting = await record_posting(
            store, stored, guild_id=1, channel_id=20, channel_kind="forum", tag_id=777
        )
        untagged = await create(store, stored)
    async with Store(path) as store:  # a restart applies the same tag
        assert (await store.postings.get(posting.id)).tag_id == 777
        assert (await store.postings.get(untagged)).tag_id is None
