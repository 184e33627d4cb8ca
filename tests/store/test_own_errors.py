"""The store speaks its own errors: a driver's exception (sqlite3's, asyncpg's) never leaves it.

Whatever the backend, a statement the database refuses comes out of the store as one of
:mod:`bot.store.errors`, one line naming the database (its file, or its server without the
password), with the driver's exception kept as its cause for the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import asyncpg
import pytest

from bot.domain.database import Database, PostgresUrl
from bot.store import (
    DatabaseBusyError,
    ForeignDatabaseError,
    NewerDatabaseError,
    Store,
    StoreError,
    WriteRefusedError,
    describe_trouble,
    is_busy_error,
    is_read_only_error,
)
from tests.conftest import both_backends

DRIVERS = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)


@both_backends
async def test_a_refused_statement_is_the_stores_error_naming_the_database(store: Store) -> None:
    async with store.transaction() as db:
        await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (1,))
    with pytest.raises(StoreError) as refused:
        async with store.transaction() as db:
            await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (1,))
    error = refused.value
    assert not isinstance(error, DRIVERS) and isinstance(error.__cause__, DRIVERS)
    assert str(error).startswith(store.shown) and "\n" not in str(error)
    assert not is_busy_error(error)  # a constraint does not pass: never retried forever
    # The read connection speaks the same errors.
    with pytest.raises(StoreError) as unknown:
        await store.db.execute_fetchall("SELECT nothing FROM no_such_table")
    assert not isinstance(unknown.value, DRIVERS) and str(unknown.value).startswith(store.shown)
    # So does a query module's read inside a transaction (``store.db`` is then the transaction's).
    with pytest.raises(StoreError) as inside:
        async with store.transaction():
            await store.db.execute_fetchall("SELECT nothing FROM no_such_table")
    assert not isinstance(inside.value, DRIVERS)
    # Nothing was written by the refused transaction.
    rows = await store.db.execute_fetchall("SELECT count(*) FROM guild_settings")
    assert next(iter(rows))[0] == 1


async def test_a_locked_sqlite_file_is_busy_named_by_its_path(tmp_path: Path) -> None:
    path = tmp_path / "readalong.db"
    async with Store(path, busy_timeout=0.1) as store:
        other = sqlite3.connect(path, isolation_level=None)
        with contextlib.closing(other):
            other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
            with pytest.raises(DatabaseBusyError) as busy:
                async with store.transaction() as db:
                    await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (2,))
            other.execute("ROLLBACK")
        error = busy.value
        assert isinstance(error.__cause__, sqlite3.OperationalError)
        assert str(error) == f"{path}: database is locked by another process; try again"
        assert is_busy_error(error) and describe_trouble(error).startswith("the database is busy")
        # The lock gone, the same write goes through.
        async with store.transaction() as db:
            await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (2,))


async def test_a_sqlite_file_made_read_only_under_the_store_refuses_writes_its_own_way(
    tmp_path: Path,
) -> None:
    async with Store(tmp_path / "readalong.db") as store:
        async with store.transaction() as db:
            await db.execute("PRAGMA query_only = ON")  # as a file made read-only under the bot
        with pytest.raises(WriteRefusedError) as refused:
            async with store.transaction() as db:
                await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (3,))
        assert is_read_only_error(refused.value) and is_busy_error(refused.value)
        assert describe_trouble(refused.value) == "the database is read-only"


async def test_a_postgres_lock_not_granted_is_busy_named_without_the_password(
    postgres_url: PostgresUrl,
) -> None:
    database: Database = postgres_url
    async with Store(database) as store:
        async with store.transaction() as db:
            await db.execute("INSERT INTO guild_settings (guild_id) VALUES (?)", (4,))
        other = await asyncpg.connect(postgres_url.reveal())
        try:
            async with other.transaction():
                await other.execute("UPDATE guild_settings SET purge_deleted = 1 WHERE guild_id = 4")
                with pytest.raises(DatabaseBusyError) as busy:
                    async with store.transaction() as db:
                        await db.execute("SET LOCAL lock_timeout = '100ms'")
                        await db.execute(
                            "UPDATE guild_settings SET purge_deleted = 0 WHERE guild_id = ?", (4,)
                        )
        finally:
            await other.close()
        error = busy.value
        assert isinstance(error.__cause__, asyncpg.LockNotAvailableError)
        assert str(error).startswith(postgres_url.shown) and is_busy_error(error)


@pytest.mark.slow
def test_the_sandbox_names_its_own_database_when_it_is_locked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sandbox's database is in its own folder, not the command line's default: the store
    names it in its own error, so the sandbox catches nothing to say which file it was."""
    from bot.cli import main

    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "readalong.db"
    asyncio.run(_create(path))
    other = sqlite3.connect(path, isolation_level=None)
    with contextlib.closing(other):
        other.execute("BEGIN IMMEDIATE")  # another process writing, past the store's 5 s wait
        assert main(["sandbox", "--data", str(folder), "--script", str(_script(tmp_path))]) == 2
        other.execute("ROLLBACK")
    err = capsys.readouterr().err
    assert err == f"readalong: error: {path}: database is locked by another process; try again\n", err


async def _create(path: Path) -> None:
    async with Store(path):
        pass


def _script(folder: Path) -> Path:
    script = folder / "script.txt"
    script.write_text("", encoding="utf-8")
    return script


async def test_a_foreign_or_newer_database_is_refused_as_such_on_both_backends(
    tmp_path: Path, postgres_url: PostgresUrl
) -> None:
    """Foreign and future are the store's own kinds of refusal, whichever backend says them."""
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(ForeignDatabaseError, match="is not a Readalong database"):
        await Store(other).open()
    (tmp_path / "text.db").write_text("not SQLite at all\n" * 10, encoding="utf-8")
    with pytest.raises(ForeignDatabaseError, match="not an SQLite file"):
        await Store(tmp_path / "text.db").open()
    newer = tmp_path / "newer.db"
    async with Store(newer):
        pass
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute("PRAGMA user_version = 999")
    with pytest.raises(NewerDatabaseError, match="newer Readalong"):
        await Store(newer).open()

    connection = await asyncpg.connect(postgres_url.reveal())
    try:
        await connection.execute("CREATE TABLE invoices (id BIGINT PRIMARY KEY)")
        with pytest.raises(ForeignDatabaseError, match="is not a Readalong database"):
            await Store(postgres_url).open()
        await connection.execute("DROP TABLE invoices")
        async with Store(postgres_url):
            pass
        await connection.execute("UPDATE readalong_schema SET version = 999")
        with pytest.raises(NewerDatabaseError, match="newer Readalong"):
            await Store(postgres_url).open()
    finally:
        await connection.close()
