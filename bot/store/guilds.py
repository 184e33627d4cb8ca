"""Per-server settings, and what they do to the archive."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.answer import QUOTED_DELETED

if TYPE_CHECKING:
    from bot.store.connection import Connection
    from bot.store.db import Store
    from bot.store.dialect import Dialect

_PURGED_TARGETS = (
    "SELECT m.id FROM messages m JOIN guild_settings g ON g.guild_id = m.guild_id"
    " WHERE g.purge_deleted = 1 AND m.deleted_at IS NOT NULL"
    " AND (CAST(?1 AS BIGINT) IS NULL OR m.guild_id = ?1) AND (CAST(?2 AS BIGINT) IS NULL OR m.id = ?2)"
)


@dataclass(frozen=True, slots=True)
class KnownThread:
    """A thread the archive holds messages of (or the bot opened), archived or not."""

    id: int
    parent_id: int
    private: bool


class GuildQueries:
    """Per-server settings, and the threads of a server the archive knows of."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def threads(self, guild_id: int) -> list[KnownThread]:
        """Every thread of the server the archive knows: those it recorded messages in, and the
        bot's own section threads and forum posts (public, in the posting's channel). Discord does
        not send archived threads over the gateway; this is how their visibility is still known."""
        async with self._store.db.execute(
            "SELECT id, parent_id, private FROM threads WHERE guild_id = ?"
            " UNION SELECT i.thread_id, p.channel_id, 0 FROM posting_items i"
            " JOIN postings p ON p.id = i.posting_id"
            " WHERE p.guild_id = ? AND i.thread_id IS NOT NULL"
            " AND i.thread_id NOT IN (SELECT id FROM threads)",
            (guild_id, guild_id),
        ) as cursor:
            return [KnownThread(r[0], r[1], bool(r[2])) for r in await cursor.fetchall()]

    async def purge_deleted(self, guild_id: int) -> bool:
        """Whether the server asked for deleted messages' words to be purged from the archive (off by
        default)."""
        async with self._store.db.execute(
            "SELECT purge_deleted FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row and row["purge_deleted"])

    async def set_purge_deleted(self, guild_id: int, purge: bool) -> int:
        """Turn purging on or off; turning it on also purges what was deleted before, in the same
        transaction. Returns how many deleted messages lost their words now."""
        async with self._store.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, purge_deleted) VALUES (?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET purge_deleted = excluded.purge_deleted",
                (guild_id, int(purge)),
            )
            if not purge:
                return 0
            return await purge_deleted_words(db, self._store.dialect, guild_id=guild_id)

    async def reminders(self, guild_id: int) -> tuple[int | None, bool]:
        """The server's reminder role (None until an admin names one) and whether reminders are on."""
        async with self._store.db.execute(
            "SELECT reminder_role_id, reminders FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return (None, True) if row is None else (row["reminder_role_id"], bool(row["reminders"]))

    async def set_reminders(self, guild_id: int, *, role_id: int | None, on: bool | None) -> None:
        """Name the reminder role (``role_id``) and/or turn reminders on or off (``on``); None keeps it."""
        async with self._store.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,)
            )
            if role_id is not None:
                await db.execute(
                    "UPDATE guild_settings SET reminder_role_id = ? WHERE guild_id = ?", (role_id, guild_id)
                )
            if on is not None:
                await db.execute(
                    "UPDATE guild_settings SET reminders = ? WHERE guild_id = ?", (int(on), guild_id)
                )


async def purge_deleted_words(
    db: Connection, dialect: Dialect, *, guild_id: int | None = None, message_id: int | None = None
) -> int:
    """Forget the words of deleted messages (of one server, or one message) where the server
    purges; returns how many lost words now. Runs inside the caller's transaction."""
    parameters = (guild_id, message_id)
    await db.execute(f"DELETE FROM message_edits WHERE message_id IN ({_PURGED_TARGETS})", parameters)
    await db.execute(f"DELETE FROM message_files WHERE message_id IN ({_PURGED_TARGETS})", parameters)
    # A question asked by mentioning the bot is the member's message too: its words go as well.
    await db.execute(
        f"UPDATE asks SET question = '' WHERE message_id IN ({_PURGED_TARGETS}) AND question != ''",
        parameters,
    )
    # So are the answers that quoted it (the quotes kept with them too, and what re-renders them).
    await db.execute(
        "UPDATE asks SET answer = ?3, quotes = '[]', rendering = NULL WHERE answer IS DISTINCT FROM ?3 AND EXISTS (SELECT 1"
        f" FROM {dialect.ids_from_json('asks.quoted_messages', 'q')} WHERE q.value IN ({_PURGED_TARGETS}))",
        (*parameters, QUOTED_DELETED),
    )
    cursor = await db.execute(
        "UPDATE messages SET content = '', attachments = '[]', embeds = ''"
        f" WHERE id IN ({_PURGED_TARGETS}) AND (content != '' OR attachments != '[]' OR embeds != '')",
        parameters,
    )
    return cursor.rowcount
