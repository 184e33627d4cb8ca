"""Migrations on real SQLite files: in order, tracked, and all-or-nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.store import MigrationError, Store, load_migrations


async def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    async with Store(tmp_path / "r.db") as store:
        assert await store.schema_version() == len(load_migrations())
        async with store.db.execute("PRAGMA journal_mode") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [("wal",)]
        async with store.db.execute("PRAGMA foreign_keys") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [(1,)]
    async with Store(tmp_path / "r.db") as store:  # reopening applies nothing twice
        assert await store.schema_version() == len(load_migrations())


async def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_one.sql").write_text("CREATE TABLE a (x INTEGER);")
    async with Store(tmp_path / "r.db", load_migrations(folder)):
        pass
    with sqlite3.connect(tmp_path / "r.db") as connection:
        before = list(connection.iterdump())
    (folder / "0002_two.sql").write_text("CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);")
    with pytest.raises(MigrationError, match="0002_two failed"):
        async with Store(tmp_path / "r.db", load_migrations(folder)):
            pass
    with sqlite3.connect(tmp_path / "r.db") as connection:
        assert list(connection.iterdump()) == before
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1


def test_a_gap_in_numbering_is_refused(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("SELECT 1;")
    (tmp_path / "0003_c.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="0002 is missing"):
        load_migrations(tmp_path)
