"""Queries on the messages of tracked discussions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from bot.domain.answer import QUOTED_DELETED
from bot.domain.files import KeptFile
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.store.connection import Connection, Row
from bot.store.files import forget_files, write_files
from bot.store.guilds import purge_deleted_words

if TYPE_CHECKING:
    from bot.store.db import Store
    from bot.store.dialect import Dialect


def visible_to(viewer: Viewer, dialect: Dialect, alias: str = "messages") -> tuple[str, tuple[object, ...]]:
    """The SQL condition (and its parameters) that keeps only messages ``viewer`` may see: their
    server, and the channels and threads they can view. Every read of readers' words uses it."""
    if viewer.everything:
        return "TRUE", ()
    return (
        f"({alias}.guild_id = ? AND {alias}.channel_id IN (SELECT j.value FROM {dialect.ids_from_json('?')}))",
        (viewer.guild_id, json.dumps(sorted(viewer.channel_ids))),
    )


def visible_to_array(viewer: Viewer, alias: str = "messages") -> tuple[str, tuple[object, ...]]:
    """:func:`visible_to` for PostgreSQL, the channels as one array parameter (``= ANY``): the
    planner can then read the rows through any index (or none) and test each row's channel in a
    hash of the array, where ``IN (SELECT … FROM json)`` made it visit the channels one by one.
    The array goes as text, cast on the server: asyncpg would look up ``bigint[]`` on each new
    connection (:data:`bot.store.postgres_connection._AS_TEXT`)."""
    if viewer.everything:
        return "TRUE", ()
    return (
        f"({alias}.guild_id = ? AND {alias}.channel_id = ANY(CAST(CAST(? AS TEXT[]) AS BIGINT[])))",
        (viewer.guild_id, [str(channel) for channel in sorted(viewer.channel_ids)]),
    )


class MessageQueries:
    """Readers' messages as recorded from Discord; every read takes a Viewer and filters in the query."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(self, message: StoredMessage) -> bool:
        """Store a new message; False if it was stored already (backfill runs are idempotent)."""
        return await self.record_many([message]) == 1

    async def record_many(self, messages: list[StoredMessage]) -> int:
        """Store new messages in one transaction and one statement (a burst is one round trip to
        the database thread, not one per message); returns how many were new."""
        if not messages:
            return 0
        threads = {
            m.channel_id: (m.channel_id, m.guild_id, m.parent_id, int(m.thread_private))
            for m in messages
            if m.parent_id is not None
        }
        async with self._store.transaction() as db:
            if threads:
                await db.executemany(_INSERT_THREAD, list(threads.values()))
            cursor = await db.executemany(_INSERT, [_row(m) for m in messages])
            added: int = cursor.rowcount
            await write_files(db, messages)
        self._store.search.note_discussed(m.article_id for m in messages if not m.author_bot)
        return added

    async def record_edit(self, message_id: int, content: str, edited_at: str) -> bool:
        """Keep the old content in the history, then store the new; False if unknown or unchanged."""
        async with self._store.transaction() as db:
            async with db.execute("SELECT content FROM messages WHERE id = ?", (message_id,)) as cursor:
                row = await cursor.fetchone()
            if row is None or row["content"] == content:
                return False
            await db.execute(
                "INSERT INTO message_edits (message_id, edited_at, content) VALUES (?, ?, ?)"
                " ON CONFLICT (message_id, edited_at) DO NOTHING",
                (message_id, edited_at, row["content"]),
            )
            await db.execute(
                "UPDATE messages SET content = ?, edited_at = ? WHERE id = ?",
                (content, edited_at, message_id),
            )
            return True

    async def mark_deleted(self, message_id: int, deleted_at: str) -> bool:
        """Mark a message deleted (kept, so the archive shows a gap, not a silence); in a server
        that purges deleted content, its words go in the same transaction."""
        async with self._store.transaction() as db:
            cursor = await db.execute(
                "UPDATE messages SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (deleted_at, message_id),
            )
            marked = cursor.rowcount == 1
            if marked:
                await forget_files(db, message_id)
                await purge_deleted_words(db, self._store.dialect, message_id=message_id)
                await _forget_quoting_answers(db, message_id)
            return marked

    async def in_article(self, article_id: str, viewer: Viewer) -> list[StoredMessage]:
        """Every stored message of an article that ``viewer`` may see, oldest first, with its edit history."""
        return await self._select("messages.article_id = ?", (article_id,), viewer)

    async def in_channel(self, channel_id: int, viewer: Viewer) -> list[StoredMessage]:
        """Every stored message of one channel or thread, if ``viewer`` may see it, oldest first."""
        return await self._select("messages.channel_id = ?", (channel_id,), viewer)

    async def ids_in_channel(self, channel_id: int) -> set[int]:
        """The ids of the messages archived in one channel or thread (no words: the bot's own
        bookkeeping, which messages a backfill need not fetch files for)."""
        async with self._store.db.execute(
            "SELECT id FROM messages WHERE channel_id = ?", (channel_id,)
        ) as cursor:
            return {row["id"] for row in await cursor.fetchall()}

    async def get(self, message_id: int, viewer: Viewer) -> StoredMessage | None:
        """The message ``message_id`` if ``viewer`` may see it, else None (as if it did not exist)."""
        found = await self._select("messages.id = ?", (message_id,), viewer)
        return found[0] if found else None

    async def author_names(self, author_ids: Iterable[int], viewer: Viewer) -> dict[int, str]:
        """The name each of these members last wrote under, in messages ``viewer`` may see: what
        the archive knows of the people a message mentions (webhooks' names left out: a comment
        persona is no member)."""
        wanted = sorted(set(author_ids))
        if not wanted:
            return {}
        visible, scope = visible_to(viewer, self._store.dialect)
        names: dict[int, str] = {}
        async with self._store.db.execute(
            "SELECT author_id, author_name FROM messages WHERE webhook_id IS NULL AND author_id IN"
            f" (SELECT w.value FROM {self._store.dialect.ids_from_json('?', 'w')}) AND {visible}"
            " ORDER BY id",
            (json.dumps(wanted), *scope),
        ) as cursor:
            async for row in cursor:
                names[row["author_id"]] = row["author_name"]
        return names

    async def _select(
        self, condition: str, parameters: tuple[object, ...], viewer: Viewer
    ) -> list[StoredMessage]:
        db = self._store.db
        visible, scope = visible_to(viewer, self._store.dialect)
        where = f"{condition} AND {visible}"
        parameters += scope
        history: dict[int, list[tuple[str, str]]] = {}
        async with db.execute(
            f"SELECT message_id, edited_at, content FROM message_edits WHERE message_id IN "
            f"(SELECT id FROM messages WHERE {where}) ORDER BY edited_at",
            parameters,
        ) as cursor:
            async for row in cursor:
                history.setdefault(row["message_id"], []).append((row["edited_at"], row["content"]))
        not_kept: dict[int, list[KeptFile]] = {}
        async with db.execute(
            "SELECT message_id, idx, name, size, content_type, note FROM message_files WHERE data IS NULL"
            f" AND message_id IN (SELECT id FROM messages WHERE {where}) ORDER BY message_id, idx",
            parameters,
        ) as cursor:
            async for row in cursor:
                not_kept.setdefault(row["message_id"], []).append(
                    KeptFile(row["idx"], row["name"], row["size"], row["content_type"], None, row["note"])
                )
        async with db.execute(
            "SELECT messages.*, coalesce(t.private, 0) AS thread_private FROM messages"
            f" LEFT JOIN threads t ON t.id = messages.channel_id WHERE {where} ORDER BY messages.id",
            parameters,
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            _stored(row, tuple(history.get(row["id"], ())), tuple(not_kept.get(row["id"], ())))
            for row in rows
        ]


async def _forget_quoting_answers(db: Connection, message_id: int) -> None:
    """The archived copies of the bot's answers that quote the deleted message (each reader's
    quote links to its message: ``…/{message_id})``) lose their words in the deletion's
    transaction, whether or not the answer's question is in the log (answers posted before the
    log kept where, or whose posting was not noted): what the bot posted is archived, and a
    deleted message's words are shown nowhere. An answer the log knows is then rendered again
    without the quote (:func:`bot.services.recording.redact_answers`), here and on Discord."""
    # Among the article's messages (its index): an answer quotes the discussion of its article.
    quoting = (
        "SELECT id FROM messages WHERE article_id = (SELECT article_id FROM messages WHERE id = ?)"
        " AND author_bot = 1 AND webhook_id IS NULL AND deleted_at IS NULL AND content LIKE ?"
    )
    pattern = (message_id, f"%/{message_id})%")
    await db.execute(f"DELETE FROM message_edits WHERE message_id IN ({quoting})", pattern)
    await db.execute(
        f"UPDATE messages SET content = ?, attachments = '[]', embeds = '' WHERE id IN ({quoting})",
        (QUOTED_DELETED, *pattern),
    )


def _stored(
    r: Row, history: tuple[tuple[str, str], ...] = (), not_kept: tuple[KeptFile, ...] = ()
) -> StoredMessage:
    return StoredMessage(
        id=r["id"],
        guild_id=r["guild_id"],
        channel_id=r["channel_id"],
        parent_id=r["parent_id"],
        article_id=r["article_id"],
        section=r["section"],
        author_id=r["author_id"],
        author_name=r["author_name"],
        author_bot=bool(r["author_bot"]),
        webhook_id=r["webhook_id"],
        content=r["content"],
        created_at=r["created_at"],
        reply_to=r["reply_to"],
        attachments=tuple((a["name"], a["url"], a["size"]) for a in json.loads(r["attachments"])),
        embeds=r["embeds"],
        edited_at=r["edited_at"],
        deleted_at=r["deleted_at"],
        history=history,
        to_bot=bool(r["to_bot"]),
        thread_private=bool(r["thread_private"]),
        files=not_kept,
    )


_INSERT = (
    "INSERT INTO messages (id, guild_id, channel_id, parent_id, article_id, section, author_id,"
    " author_name, author_bot, webhook_id, content, attachments, embeds, reply_to, created_at, edited_at,"
    " to_bot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
_INSERT_THREAD = (
    "INSERT INTO threads (id, guild_id, parent_id, private) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET private = CASE WHEN excluded.private > threads.private"
    " THEN excluded.private ELSE threads.private END"
)


def _row(message: StoredMessage) -> tuple[object, ...]:
    return (
        message.id,
        message.guild_id,
        message.channel_id,
        message.parent_id,
        message.article_id,
        message.section,
        message.author_id,
        message.author_name,
        int(message.author_bot),
        message.webhook_id,
        message.content,
        json.dumps([{"name": n, "url": u, "size": s} for n, u, s in message.attachments]),
        message.embeds,
        message.reply_to,
        message.created_at,
        message.edited_at,
        int(message.to_bot),
    )
