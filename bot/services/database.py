"""Whole-database actions: copying a library and its archive from one database to another
(SQLite to PostgreSQL and back, or to a new database of the same kind)."""

from __future__ import annotations

from bot.domain.database import Database
from bot.store.copy import CopyReport, copy_store


async def copy_database(source: Database, target: Database) -> CopyReport:
    """Copy everything ``source`` holds into ``target`` (a new or empty database), verified by
    per-table row counts and checksums before it is committed.

    Refused in one line, changing nothing, when the two are the same database, the source holds
    no Readalong database or a newer one, or the target already holds data. A bot may keep
    running on the source: the copy reads one consistent snapshot of it.
    """
    return await copy_store(source, target)
