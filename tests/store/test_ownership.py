"""The store never touches a file that is not its own: foreign and future files are refused byte
for byte unchanged (header included, no -wal or -shm left beside them); an empty file is created;
a Readalong database made before the mark is adopted. Reads see only committed data, on either
backend."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.database import Database
from bot.store import APPLICATION_ID, Store, load_migrations
from tests.conftest import both_backends


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` with its bytes: what a refusal must leave exactly as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def header(db: Path) -> tuple[int, int, int]:
    """(application id, user version, write format) read from the file's 100-byte header."""
    raw = db.read_bytes()[:100]
    return int.from_bytes(raw[68:72], "big"), int.from_bytes(raw[60:64], "big"), raw[18]


def foreign_rollback(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.executescript("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")


def foreign_wal(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.execute("PRAGMA journal_mode = WAL")
        c.executescript("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")


def foreign_marked(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.executescript("PRAGMA application_id = 1234; CREATE TABLE articles (id TEXT);")


def not_sqlite(db: Path) -> None:
    db.write_bytes(b"a shopping list, not a database\n" * 10)


def future(db: Path) -> None:
    """A Readalong database from a newer version, in rollback-journal mode (as a newer version
    might leave it): the old code switched it to WAL before refusing it."""
    with contextlib.closing(sqlite3.connect(db)) as c:
        for migration in load_migrations():
            c.executescript(migration.sql)
        c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        c.execute(f"PRAGMA user_version = {len(load_migrations()) + 5}")
        c.commit()


def future_unmarked(db: Path) -> None:
    with contextlib.closing(sqlite3.connect(db)) as c:
        for migration in load_migrations():
            c.executescript(migration.sql)
        c.execute(f"PRAGMA user_version = {len(load_migrations()) + 5}")
        c.commit()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (foreign_rollback, "is not a Readalong database"),
        (foreign_wal, "is not a Readalong database"),
        (foreign_marked, "is not a Readalong database"),
        (not_sqlite, "is not a Readalong database"),
        (future, "newer Readalong"),
        (future_unmarked, "newer Readalong"),
    ],
    ids=["foreign", "foreign-wal", "foreign-marked", "not-sqlite", "future", "future-unmarked"],
)
@pytest.mark.parametrize("command", [["list"], ["show", "x"], ["import", "<sample>"], ["ask", "x", "why?"]])
def test_a_file_that_is_not_ours_is_refused_unchanged(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], None],
    message: str,
    command: list[str],
    sample_path: Path,
) -> None:
    command = [str(sample_path) if arg == "<sample>" else arg for arg in command]
    db = tmp_path / "other.db"
    make(db)
    before = snapshot(tmp_path)
    assert main(["--db", str(db), *command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err, err
    assert snapshot(tmp_path) == before  # the header (journal mode, version) and every byte


async def test_the_store_refuses_before_changing_anything(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    foreign_wal(db)
    before = snapshot(tmp_path)
    with pytest.raises(Exception, match="is not a Readalong database"):
        await Store(db).open(exclusive=True)
    assert snapshot(tmp_path) == before  # no lock file, no -wal, no -shm


@pytest.mark.parametrize("empty", ["missing", "zero-bytes", "empty-sqlite"])
def test_an_empty_file_becomes_a_marked_readalong_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], empty: str, sample_path: Path
) -> None:
    db = tmp_path / "r.db"
    if empty == "zero-bytes":
        db.write_bytes(b"")
    elif empty == "empty-sqlite":
        with contextlib.closing(sqlite3.connect(db)) as c:
            c.execute("PRAGMA user_version = 0")
            c.execute("VACUUM")
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "the-lessons-of-zhanaozen"
    assert header(db) == (APPLICATION_ID, len(load_migrations()), 2)


async def test_a_database_made_before_the_mark_is_adopted(tmp_path: Path) -> None:
    """Readalong 0005 databases have no application id: they are Readalong's all the same."""
    db = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(db)) as c:
        c.execute("PRAGMA journal_mode = WAL")
        for migration in load_migrations()[:5]:
            c.executescript(migration.sql)
        c.execute("INSERT INTO guild_settings (guild_id, purge_deleted) VALUES (7, 1)")
        c.execute("PRAGMA user_version = 5")
        c.commit()
    assert header(db)[:2] == (0, 5)
    async with Store(db) as store:
        assert await store.schema_version() == len(load_migrations())
        async with store.db.execute("SELECT purge_deleted FROM guild_settings WHERE guild_id = 7") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [(1,)]
    assert header(db)[:2] == (APPLICATION_ID, len(load_migrations()))


@both_backends
async def test_reads_see_only_committed_rows(database: Database) -> None:
    async with Store(database) as store:
        inserted, release = asyncio.Event(), asyncio.Event()

        async def write() -> None:
            async with store.transaction() as db:
                await db.execute("INSERT INTO guild_settings (guild_id, purge_deleted) VALUES (1, 1)")
                # Inside the transaction, the store's reads are the transaction's own.
                async with store.db.execute("SELECT count(*) FROM guild_settings") as cursor:
                    assert [tuple(row) for row in await cursor.fetchall()] == [(1,)]
                inserted.set()
                await release.wait()

        async def count() -> int:
            async with store.db.execute("SELECT count(*) FROM guild_settings") as cursor:
                ((found,),) = await cursor.fetchall()
                return int(found)

        writer = asyncio.create_task(write())
        await inserted.wait()
        assert await count() == 0  # not yet committed: not seen
        release.set()
        await writer
        assert await count() == 1


@both_backends
async def test_a_failed_transaction_is_not_seen_either(database: Database) -> None:
    async with Store(database) as store:
        with pytest.raises(RuntimeError, match="changed my mind"):
            async with store.transaction() as db:
                await db.execute("INSERT INTO guild_settings (guild_id, purge_deleted) VALUES (1, 1)")
                raise RuntimeError("changed my mind")
        async with store.db.execute("SELECT count(*) FROM guild_settings") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [(0,)]
