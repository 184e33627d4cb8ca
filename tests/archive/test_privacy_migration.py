"""Migration 0006 on an archive written before it: known threads become public threads of their
parent, and readers' messages that mention the bot are marked as addressed to it."""

from __future__ import annotations

from pathlib import Path

from bot.store import Store, load_migrations

_ROW = (
    "INSERT INTO messages (id, guild_id, channel_id, parent_id, author_id, author_name, author_bot,"
    " content, created_at) VALUES (?, 5, ?, ?, ?, ?, ?, ?, '2026-11-20T10:00:00+00:00')"
)


async def test_an_older_archive_is_brought_up_to_the_trust_model(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    before = [m for m in load_migrations() if m.number < 6]
    async with Store(path, before) as store, store.transaction() as db:
        await db.executemany(
            _ROW,
            [
                (1, 11, 10, 99, "Readalong", 1, "An answer"),
                (2, 11, 10, 7, "ben", 0, "<@99> how many died?"),
                (3, 11, 10, 7, "ben", 0, "<@!99> and why?"),
                (4, 10, None, 7, "ben", 0, "Nothing for the bot <@123>"),
            ],
        )
    async with Store(path) as store:
        rows = await store.db.execute_fetchall("SELECT id, to_bot FROM messages ORDER BY id")
        assert [tuple(r) for r in rows] == [(1, 0), (2, 1), (3, 1), (4, 0)]
        (thread,) = await store.guilds.threads(5)
        assert (thread.id, thread.parent_id, thread.private) == (11, 10, False)
