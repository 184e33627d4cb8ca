"""Readers' attachments kept in the archive (table ``message_files``): written with their message,
read apart from it (only exports need the bytes), forgotten with it.

Every read takes a Viewer and filters in the query, through the message the file belongs to: a
file is shown exactly where its message may be, and never once the message is deleted (its rows
go in the deletion's transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.domain.files import DEFAULT_FILE_CAP_MIB, DEFAULT_SERVER_CAP_MIB, FileCaps, KeptFile
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.store.connection import Connection

if TYPE_CHECKING:
    from bot.store.db import Store

_INSERT = (
    "INSERT INTO message_files (message_id, idx, guild_id, name, content_type, size, data, note)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (message_id, idx) DO NOTHING"
)
_READ_BATCH = 500
"""Message ids per query when reading an export's files (a bounded IN list)."""


async def write_files(db: Connection, messages: Iterable[StoredMessage]) -> None:
    """The messages' kept files, inside the caller's transaction (the messages' own): a message
    and its files are acknowledged together or not at all."""
    rows = [
        (m.id, f.index, m.guild_id, f.name, f.content_type, f.size, f.data, f.note)
        for m in messages
        for f in m.files
    ]
    if rows:
        await db.executemany(_INSERT, rows)


async def forget_files(db: Connection, message_id: int) -> None:
    """A deleted message's files, gone in the deletion's transaction (whatever the server's
    purge setting: a deleted message shows no files anywhere, so none are kept)."""
    await db.execute("DELETE FROM message_files WHERE message_id = ?", (message_id,))


class FileQueries:
    """Kept files: what a server keeps (for its cap), and the files of messages a viewer may see."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def used(self, guild_id: int | None) -> int:
        """Bytes the server keeps now (what counts against its cap)."""
        async with self._store.db.execute(
            "SELECT coalesce(sum(size), 0) AS used FROM message_files"
            " WHERE guild_id IS NOT DISTINCT FROM ? AND data IS NOT NULL",
            (guild_id,),
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["used"]) if row is not None else 0

    async def of_messages(self, message_ids: Sequence[int], viewer: Viewer) -> dict[int, list[KeptFile]]:
        """Message id → its files (bytes included), for the messages ``viewer`` may see that are
        not deleted; in attachment order."""
        from bot.store.messages import visible_to  # one module's helper; imported late against a cycle

        found: dict[int, list[KeptFile]] = {}
        ids = sorted(set(message_ids))
        for start in range(0, len(ids), _READ_BATCH):
            batch = ids[start : start + _READ_BATCH]
            visible, scope = visible_to(viewer, self._store.dialect)
            marks = ", ".join("?" * len(batch))
            async with self._store.db.execute(
                "SELECT f.message_id, f.idx, f.name, f.content_type, f.size, f.data, f.note"
                " FROM message_files f JOIN messages ON messages.id = f.message_id"
                f" WHERE f.message_id IN ({marks}) AND messages.deleted_at IS NULL AND {visible}"
                " ORDER BY f.message_id, f.idx",
                (*batch, *scope),
            ) as cursor:
                for row in await cursor.fetchall():
                    data = row["data"]
                    found.setdefault(row["message_id"], []).append(
                        KeptFile(
                            row["idx"],
                            row["name"],
                            row["size"],
                            row["content_type"],
                            None if data is None else bytes(data),
                            row["note"],
                        )
                    )
        return found

    async def count(self, message_id: int) -> int:
        """Rows held for one message, kept or not (for checks that a deletion forgot them)."""
        async with self._store.db.execute(
            "SELECT count(*) AS n FROM message_files WHERE message_id = ?", (message_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row["n"]) if row is not None else 0

    async def caps(self, guild_id: int | None) -> FileCaps:
        """The server's caps (the defaults where it set none)."""
        if guild_id is None:
            return FileCaps()
        async with self._store.db.execute(
            "SELECT file_cap_mib, server_cap_mib FROM guild_settings WHERE guild_id = ?", (guild_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return FileCaps()
        return FileCaps(int(row["file_cap_mib"]), int(row["server_cap_mib"]))

    async def set_caps(self, guild_id: int, *, file_mib: int | None, server_mib: int | None) -> FileCaps:
        """Change one cap or both (None keeps it); returns the caps now. Files kept already stay."""
        async with self._store.transaction() as db:
            await db.execute(
                "INSERT INTO guild_settings (guild_id, file_cap_mib, server_cap_mib) VALUES (?, ?, ?)"
                " ON CONFLICT (guild_id) DO UPDATE SET"
                " file_cap_mib = coalesce(CAST(? AS BIGINT), guild_settings.file_cap_mib),"
                " server_cap_mib = coalesce(CAST(? AS BIGINT), guild_settings.server_cap_mib)",
                (
                    guild_id,
                    DEFAULT_FILE_CAP_MIB if file_mib is None else file_mib,
                    DEFAULT_SERVER_CAP_MIB if server_mib is None else server_mib,
                    file_mib,
                    server_mib,
                ),
            )
        return await self.caps(guild_id)
