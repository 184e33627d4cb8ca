"""Issue 21, finding 4: the archived copy of a bot's answer quoting a reader's message loses the
words when that message is deleted, in the deletion's own transaction, even where the log does
not know where the answer was posted (answers from before it kept that): the JSON export, which
carries the bot's messages, then has none of them. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.archive.export.common import ExportContext
from bot.archive.export.dce import to_dce
from bot.articles import Article
from bot.discordfmt.answers import QUOTE_DELETED
from bot.discordfmt.links import jump_url
from bot.domain.answer import QUOTED_DELETED, Quote, Reader, Rendering
from bot.domain.database import Database
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.services.recording import redact_answers
from bot.store import Store
from tests.archive.test_export import CHANNEL, THREAD_1, message
from tests.conftest import both_backends

WORDS = "The zebra committee settled it in secret."


@both_backends
async def test_an_archived_answer_quoting_a_deleted_message_loses_its_words(
    database: Database, sample_article: Article
) -> None:
    article = sample_article
    async with Store(database) as store:
        article = await store.articles.add(article, "zh")
        said = message(3001, THREAD_1, 1, "ben", WORDS)
        link = jump_url(1, THREAD_1, 3001)
        answer = message(
            3002,
            CHANNEL,
            None,
            "Readalong",
            f"**Q:** Who settled it?\n> {WORDS}\n"
            f"-# — ben, a reader in this discussion (not the article) · [their message]({link})",
            author_bot=True,
        )
        other = message(3003, CHANNEL, None, "Readalong", "> Sixteen dead\n-# — §1", author_bot=True)
        for row in (said, answer, other):
            assert await store.messages.record(row)
        await store.messages.record_edit(3002, answer.content + "\n(edited)", "2026-11-20T10:59:00+00:00")

        def exported(rows: list[StoredMessage]) -> str:
            files = to_dce(article, rows, ExportContext(guild_id=1), exported_at="2026-11-21T00:00:00+00:00")
            return "\n".join(files.values())

        before = await store.messages.in_article("zh", Viewer.operator())
        assert "zebra" in exported([m for m in before if m.id != 3001])  # control
        assert await store.messages.mark_deleted(3001, "2026-11-20T12:00:00+00:00")
        after = {m.id: m for m in await store.messages.in_article("zh", Viewer.operator())}
        assert after[3002].content == QUOTED_DELETED and after[3002].history == ()
        assert after[3003].content == other.content  # an answer quoting only the article stays
        assert "zebra" not in exported(list(after.values()))


def _reader_quote(message_id: int) -> Quote:
    reader = Reader(message_id, THREAD_1, 1, "ben", WORDS)
    return Quote(WORDS, "comment", 1, None, 0, len(WORDS), 0.9, 0.9, "zh", reader)


async def _log_words(store: Store) -> str:
    """Everything the log of questions holds, as text."""
    async with store.db.execute("SELECT answer, quotes, quoted_messages, rendering FROM asks") as cursor:
        return "\n".join(str(tuple(r)) for r in await cursor.fetchall())


@both_backends
@pytest.mark.parametrize("purge", [False, True], ids=["kept", "purged"])
async def test_the_log_forgets_a_deleted_quote_posted_or_not(
    database: Database, sample_article: Article, purge: bool
) -> None:
    article = sample_article
    async with Store(database) as store:
        await store.articles.add(article, "zh")
        if purge:
            await store.guilds.set_purge_deleted(1, True)
        assert await store.messages.record(message(3001, THREAD_1, 1, "ben", WORDS))
        posted_answer = message(3002, CHANNEL, None, "Readalong", f"**Q:** Who?\n> {WORDS}", author_bot=True)
        assert await store.messages.record(posted_answer)
        quote = _reader_quote(3001)
        for posted in (True, False):
            ask_id = await store.asks.record(
                article_id="zh",
                question="Who settled it?",
                answered=True,
                quotes=[quote.to_json()],
                latency_ms=1.0,
                guild_id=1,
                channel_id=CHANNEL,
                public=True,
                answer=f"> {WORDS}",
                quoted_messages=[3001],
                rendering=Rendering((quote,), True),
            )
            if posted:
                await store.asks.note_posted(ask_id, CHANNEL, 3002, "**Q:** Who?\n")
        assert "zebra" in await _log_words(store)  # control
        assert await store.messages.mark_deleted(3001, "2026-11-20T12:00:00+00:00")
        edits = await redact_answers(store, 3001)
        assert [(e.channel_id, e.message_id) for e in edits] == [(CHANNEL, 3002)]  # the posted one only
        assert edits[0].content == f"**Q:** Who?\n*{QUOTE_DELETED}*"
        assert "zebra" not in await _log_words(store)
        stored = await store.messages.get(3002, Viewer.operator())
        assert stored is not None and stored.content == edits[0].content
        assert await redact_answers(store, 3001) == []  # done once
