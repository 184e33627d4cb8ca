"""The SQLite backend: the two connections to a file, its migrations, its transactions.

Reads go through a read-only connection, which sees only committed data (everything committed
before the read: :class:`Reader`); writes go through a second connection, one ``BEGIN IMMEDIATE``
transaction at a time (:class:`Writer`). Both turn SQLite's exceptions into the store's own,
naming the file. What the file is before it is opened, and the one-bot-per-file lock, are
:mod:`bot.store.sqlite_file`'s.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.errors import ReadOnlyDatabaseError
from bot.store.errors import NewerDatabaseError, Notice, StoreError, describe_database_error, driver_errors
from bot.store.schema import check_sqlite
from bot.store.sqlite_file import (
    APPLICATION_ID,
    DatabaseLock,
    Inspection,
    Kind,
    can_write,
    inspect_database,
    side_file,
)

if TYPE_CHECKING:
    from bot.domain.shards import ShardSet
    from bot.store.migration import Migration

log = logging.getLogger(__name__)

BUSY_TIMEOUT_SECONDS = 5.0
"""How long a write waits for another process's write lock before giving up."""


async def connect(
    target: Path | str,
    *,
    uri: bool = False,
    busy_timeout_ms: int = int(BUSY_TIMEOUT_SECONDS * 1000),
    pragmas: Sequence[str] = (),
) -> aiosqlite.Connection:
    """A connection in autocommit mode (every transaction is begun explicitly) that waits up to
    ``busy_timeout_ms`` for another process's lock, with ``pragmas`` set; closed again if setting
    them fails, so a refused file leaves no connection open."""
    db = await aiosqlite.connect(target, isolation_level=None, uri=uri)
    try:
        for pragma in (f"busy_timeout = {busy_timeout_ms}", *pragmas):
            await db.execute(f"PRAGMA {pragma}")
    except BaseException:
        await db.close()
        raise
    return db


class _Rows:
    """A read statement's result, read in full: the statement is over before anyone sees a row."""

    def __init__(self, rows: list[aiosqlite.Row]) -> None:
        self._rows = rows
        self.rowcount = len(rows)

    async def fetchone(self) -> aiosqlite.Row | None:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[aiosqlite.Row]:
        """Every row."""
        return self._rows

    async def __aiter__(self) -> AsyncIterator[aiosqlite.Row]:
        for row in self._rows:
            yield row


class _Read:
    """``execute``'s result: awaited, or used in ``async with``, as aiosqlite's is."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, _Rows]:
        return self._run().__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> _Rows:
        rows: _Rows = await self._run()
        return rows

    async def __aexit__(self, *exc: object) -> None:
        return None


class Reader:
    """The read connection, shared by every coroutine, with read-your-writes.

    SQLite's snapshot lasts as long as any statement on the connection is open: a cursor one
    coroutine has not read to its end (between aiosqlite's ``execute`` and its ``fetchone``)
    would hold every other coroutine's reads to what was committed before it began, so a command
    could not find the posting it had just committed ("no posting N"). Here each statement is
    run and read to its end in one call on the connection's thread, so no statement is left open
    between two calls and every read sees everything committed before it (as PostgreSQL's
    statements do). SQLite's exceptions leave as the store's own, naming the file."""

    def __init__(
        self, connection: aiosqlite.Connection, where: str = "the database", notice: Notice | None = None
    ) -> None:
        self.connection = connection
        self.where = where
        self.notice = notice

    def __repr__(self) -> str:
        return f"<Reader {self.connection!r}>"

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> _Read:
        """Run one statement, its rows read in full."""
        return _Read(lambda: self._rows(sql, parameters))

    async def _rows(self, sql: str, parameters: Sequence[object]) -> _Rows:
        return _Rows(await self.execute_fetchall(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Sequence[object] = (), /) -> list[aiosqlite.Row]:
        """Run one statement and return its rows."""
        with driver_errors(self.where, self.notice):
            return list(await self.connection.execute_fetchall(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[object]], /) -> _Rows:
        """Refused by the connection (``query_only``): the reader writes nothing."""
        with driver_errors(self.where, self.notice):
            await self.connection.executemany(sql, parameters)
        return _Rows([])

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()


class Writer:
    """The write connection inside a transaction, as the query modules see it: each statement run
    and read in full (its rows and the rows it changed), SQLite's exceptions turned into the
    store's own, naming the file."""

    def __init__(self, connection: aiosqlite.Connection, where: str, notice: Notice | None = None) -> None:
        self.connection = connection
        self.where = where
        self.notice = notice

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> _Read:
        """Run one statement; the cursor holds its rows and its row count."""
        return _Read(lambda: self._run(sql, parameters))

    async def _run(self, sql: str, parameters: Sequence[object]) -> _Rows:
        with driver_errors(self.where, self.notice):
            cursor = await self.connection.execute(sql, parameters)
            try:
                rows = _Rows(list(await cursor.fetchall()))
                rows.rowcount = cursor.rowcount
            finally:
                await cursor.close()
        return rows

    async def execute_fetchall(self, sql: str, parameters: Sequence[object] = (), /) -> list[aiosqlite.Row]:
        """Run one statement and return its rows."""
        with driver_errors(self.where, self.notice):
            return list(await self.connection.execute_fetchall(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[object]], /) -> _Rows:
        """Run one statement once per row of parameters; the row count is their total."""
        with driver_errors(self.where, self.notice):
            cursor = await self.connection.executemany(sql, parameters)
            rows = _Rows([])
            rows.rowcount = cursor.rowcount
            await cursor.close()
        return rows


class SqliteBackend:
    """The connections to one SQLite file: a read-only one, and one for writes (absent when the
    file cannot be written), and, for the bot, the file's lock."""

    def __init__(
        self,
        path: Path,
        migrations: Sequence[Migration],
        *,
        busy_timeout: float,
        notice: Notice | None = None,
    ) -> None:
        self.path = path
        self._notice = notice
        self._migrations = migrations
        self._busy_timeout_ms = int(busy_timeout * 1000)
        self.reader: Reader | None = None
        self.writer: aiosqlite.Connection | None = None
        self._lock: DatabaseLock | None = None

    async def open(self, *, exclusive: bool) -> None:
        """Inspect the file, then connect, switch on WAL, apply pending migrations (marking the file).

        ``exclusive`` (the bot): hold the database's lock for as long as the store is open, taken
        before anything is written, so a second bot on the same file is refused.
        """
        if self.reader is not None:
            if exclusive and self._lock is None:
                if self.writer is None:
                    raise ReadOnlyDatabaseError(f"{self.path} is read-only: the bot needs to write to it")
                self._lock = await asyncio.to_thread(DatabaseLock.acquire, self.path)
            return
        migrations = self._migrations
        found = await asyncio.to_thread(inspect_database, self.path, migrations)
        writable = await asyncio.to_thread(can_write, self.path)
        if not writable:
            if exclusive:
                raise ReadOnlyDatabaseError(f"{self.path} is read-only: the bot needs to write to it")
            if found.kind is Kind.NEW:
                raise ReadOnlyDatabaseError(f"cannot create database {self.path}: its folder is read-only")
            if found.version < len(migrations):
                raise ReadOnlyDatabaseError(
                    f"{self.path} needs upgrading to schema {len(migrations)}, but it is read-only"
                )
        lock = await asyncio.to_thread(DatabaseLock.acquire, self.path) if exclusive else None
        writer: aiosqlite.Connection | None = None
        try:
            if writable:
                writer = await self._connect(self.path, uri=False)
                await writer.execute("PRAGMA journal_mode = WAL")
                await writer.execute("PRAGMA synchronous = NORMAL")
                await self._migrate(writer, migrations, found)
            self.reader = Reader(
                await self._connect(self._reader_uri(writable), uri=True), str(self.path), self._notice
            )
            await self.reader.execute("PRAGMA query_only = ON")
            # One read now, so a damaged schema is refused at open rather than mid-command.
            await self.reader.execute_fetchall("SELECT count(*) FROM sqlite_schema")
            if writer is None:  # not migrated, so not checked yet: what it lacks is named now
                await check_sqlite(
                    self.reader.connection, str(self.path), migrations, found.version, repair=False
                )
        except BaseException as error:
            if self.reader is not None:
                await self.reader.close()
                self.reader = None
            if writer is not None:
                await writer.close()
            if lock is not None:
                lock.release()
            cause = error.__cause__ if isinstance(error, StoreError) else error
            if isinstance(cause, sqlite3.Error):  # refused on opening: said as such
                raise describe_database_error(cause, self.path) from None
            raise
        self.writer, self._lock = writer, lock

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Reader]:
        """A read connection of its own, in one read transaction: every statement reads the file
        as it was at the first (``readalong db copy`` reads a running bot's file this way)."""
        reader = Reader(
            await self._connect(self._reader_uri(self.writer is not None), uri=True), str(self.path)
        )
        try:
            await reader.execute("PRAGMA query_only = ON")
            await reader.execute("BEGIN")
            yield reader
        finally:
            await reader.close()  # ends the read transaction with it

    def _reader_uri(self, writable: bool) -> str:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        if not writable and not side_file(self.path, "-wal").exists():
            # Without a WAL the file holds everything, and a read-only folder cannot hold the
            # ``-shm`` a WAL reader needs.
            uri += "&immutable=1"
        return uri

    async def _connect(self, target: Path | str, *, uri: bool) -> aiosqlite.Connection:
        db = await connect(
            target, uri=uri, busy_timeout_ms=self._busy_timeout_ms, pragmas=("foreign_keys = ON",)
        )
        db.row_factory = aiosqlite.Row
        return db

    async def close(self) -> None:
        """Close both connections (the reader first, so the writer can checkpoint and remove the WAL) and
        release the lock, even when a close fails."""
        # The reader first: the last connection to close checkpoints and removes the WAL, which a
        # read-only one cannot do.
        reader, self.reader = self.reader, None
        writer, self.writer = self.writer, None
        lock, self._lock = self._lock, None
        try:
            if reader is not None:
                await reader.close()
            if writer is not None:
                await writer.close()
        finally:
            if lock is not None:
                lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Writer]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises; SQLite's
        exceptions (a lock not granted, a full disk at the commit) as the store's own."""
        db = self.writer
        assert db is not None
        where = str(self.path)
        with driver_errors(where):
            await db.execute("BEGIN IMMEDIATE")
        try:
            yield Writer(db, where, self._notice)
        except BaseException:
            if db.in_transaction:
                with driver_errors(where):
                    await db.execute("ROLLBACK")
            raise
        else:
            with driver_errors(where):
                await db.execute("COMMIT")

    async def write_one(self, sql: str, parameters: Sequence[object]) -> list[aiosqlite.Row]:
        """One statement in a transaction of its own (as :meth:`transaction`); its rows."""
        async with self.transaction() as db:
            return await db.execute_fetchall(sql, parameters)

    # The coordination of several bot processes (see ``PostgresBackend``): one bot holds an SQLite
    # file (its lock), so there is never another process to leave shards, postings or IDENTIFY
    # slots to.

    async def hold_shards(self, shards: ShardSet) -> None:
        """Nothing to take: the file's lock already makes this the only bot."""

    async def identify_wait(self, bucket: int, window: float) -> float:
        """No other process identifies: the bot's own pacing is enough."""
        return 0.0

    async def lease_posting(self, posting_id: int) -> bool:
        """Every posting is this process's to send."""
        return True

    async def release_posting(self, posting_id: int) -> None:
        """Nothing was taken."""

    async def ping(self) -> None:
        """Read the file's schema through the read connection (no lock a writer could be holding
        for long): raises the store's :class:`DatabaseUnavailableError` if its disk fails."""
        if self.reader is not None:
            await self.reader.execute_fetchall("SELECT count(*) FROM sqlite_schema")

    async def schema_version(self) -> int:
        """The number of the last migration applied (``PRAGMA user_version``)."""
        assert self.reader is not None
        async with self.reader.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(
        self, db: aiosqlite.Connection, migrations: Sequence[Migration], found: Inspection
    ) -> None:
        from bot.store.migration import MigrationError

        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > len(migrations):  # written since it was inspected
            raise NewerDatabaseError(
                f"{self.path} was written by a newer Readalong (schema {current}, this one knows {len(migrations)})"
            )
        # What the version claims is there before more is built on it (placeholders once stood in
        # for real migrations): repaired, or refused naming what is missing.
        await check_sqlite(db, str(self.path), migrations, current, repair=True)
        mark = f"PRAGMA application_id = {APPLICATION_ID};"
        if found.kind is Kind.UNMARKED:
            log.info("adopting %s (a Readalong database made before the mark)", self.path)
        if current == len(migrations) and found.kind is not Kind.OURS:
            await db.executescript(f"BEGIN IMMEDIATE;\n{mark}\nCOMMIT;")
        for migration in migrations[current:]:
            log.info("applying migration %04d_%s", migration.number, migration.name)
            script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.number};\n{mark}\nCOMMIT;"
            try:
                await db.executescript(script)
            except sqlite3.Error as error:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                code = getattr(error, "sqlite_errorcode", 0) & 0xFF
                if code in (
                    sqlite3.SQLITE_BUSY,
                    sqlite3.SQLITE_READONLY,
                    sqlite3.SQLITE_CORRUPT,
                    sqlite3.SQLITE_FULL,
                ):
                    raise
                raise MigrationError(
                    f"migration {migration.number:04d}_{migration.name} failed: {error}; the database is unchanged"
                ) from None
