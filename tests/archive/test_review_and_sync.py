"""Transcripts, pagination and backfill reconciliation against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from bot.archive.sync import SyncCounts, reconcile_channel
from bot.articles import Article
from bot.discordfmt.transcripts import paginate, summarise, transcript_lines
from bot.domain.database import Database
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.store import Store
from tests.conftest import both_backends
from tests.messages import reader_message


def row(mid: int, author: str, content: str, **extra: object) -> StoredMessage:
    fields: dict[str, object] = {
        "channel_id": 77,
        "parent_id": 70,
        "article_id": "zh",
        "section": 2,
        "author_id": len(author),
        "author_name": author,
        "created_at": f"2026-11-20T09:{mid % 60:02d}:00+00:00",
    }
    return reader_message(mid, content, **{**fields, **extra})


def test_transcript_marks_replies_edits_and_deletions() -> None:
    messages = [
        row(1, "ana", "What about the commission?"),
        row(2, "ben", "It took three months.", reply_to=1, edited_at="2026-11-20T10:00:00+00:00"),
        row(3, "cy", "gone", deleted_at="2026-11-20T11:00:00+00:00"),
    ]
    blocks = transcript_lines(messages)
    assert blocks[0] == "**ana** · 2026-11-20 09:01\nWhat about the commission?"
    assert blocks[1].startswith("**ben** · 2026-11-20 09:02 · *edited*\n-# ↪ replying to ana: What about")
    assert blocks[2].endswith("*(deleted)*") and "gone" not in blocks[2]
    summary = summarise(messages)[0]
    assert (summary.messages, summary.participants, summary.section) == (2, ("ana", "ben"), 2)


def test_pages_respect_the_limit_and_keep_every_block() -> None:
    blocks = [f"block {i} " + "x" * 300 for i in range(40)] + ["y" * 5000]
    pages = paginate(blocks, limit=1000)
    assert all(len(page) <= 1000 for page in pages)
    joined = "\n\n".join(pages)
    assert all(f"block {i} " in joined for i in range(40))
    assert paginate([]) == ["*(nothing here yet)*"]


@both_backends
async def test_backfill_adds_edits_and_deletes_once(database: Database, sample_article: Article) -> None:
    article = sample_article
    async with Store(database) as store:
        await store.articles.add(article, "zh")
        await store.messages.record_many(
            [row(1, "ana", "first"), row(2, "ben", "second"), row(3, "cy", "third")]
        )
        history = [
            row(1, "ana", "first, edited while the bot was down"),
            row(3, "cy", "third"),
            row(4, "dee", "new"),
        ]
        assert await reconcile_channel(store, 77, history) == SyncCounts(added=1, edited=1, deleted=1)
        assert await reconcile_channel(store, 77, history) == SyncCounts()  # idempotent
        stored = {m.id: m for m in await store.messages.in_channel(77, Viewer.operator())}
        assert stored[1].content == "first, edited while the bot was down"
        assert stored[2].deleted_at is not None and stored[2].content == "second"  # kept for moderators
        assert stored[4].author_name == "dee"
        async with store.db.execute("SELECT content FROM message_edits WHERE message_id = 1") as cursor:
            assert [r["content"] for r in await cursor.fetchall()] == ["first"]
