"""The SQLite backend: the file's inspection, the one-bot-per-file lock, the two connections.

The store never changes a file that is not its own: a Readalong database carries
``PRAGMA application_id`` :data:`APPLICATION_ID`, and a file is inspected read-only (its header,
mark, schema version and tables) before anything in it is touched, journal mode included, so a
foreign file or one from a newer Readalong is refused exactly as it was, byte for byte.

Reads go through a read-only connection, which sees only committed data (everything committed
before the read: :class:`Reader`); writes go through a second connection, one ``BEGIN IMMEDIATE``
transaction at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import socket
import sqlite3
import stat
import sys
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.errors import DatabaseError, DatabaseInUseError, ReadOnlyDatabaseError
from bot.store.schema import check_sqlite

if TYPE_CHECKING:
    from bot.domain.shards import ShardSet
    from bot.store.db import Migration

log = logging.getLogger(__name__)

APPLICATION_ID = 0x52414C47
"""``PRAGMA application_id`` of every Readalong database: "RALG". Files made before the mark (user
version 1 to 5, Readalong's tables, application id 0) are adopted and marked when opened."""
BUSY_TIMEOUT_SECONDS = 5.0
"""How long a write waits for another process's write lock before giving up."""
_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def describe_database_error(error: sqlite3.Error, path: Path) -> DatabaseError:
    """One line for an SQLite failure, by its result code rather than its wording."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in str(error):
        return DatabaseError(f"{path}: database is locked by another process; try again")
    if primary == sqlite3.SQLITE_READONLY:
        return ReadOnlyDatabaseError(f"{path} is read-only: this command needs to write to it")
    if primary == sqlite3.SQLITE_CORRUPT:
        return DatabaseError(f"{path} is damaged ({error}); restore it from a backup")
    if primary == sqlite3.SQLITE_NOTADB:
        return DatabaseError(f"{path} is not a Readalong database (not an SQLite file)")
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseError(
            f"{path}: the database's disk is full; nothing was written: free some space, then try again"
        )
    if primary == sqlite3.SQLITE_CANTOPEN:
        return DatabaseError(f"cannot open database {path}: {error}")
    return DatabaseError(f"{path}: {error}")


def is_read_only_error(error: BaseException) -> bool:
    """Whether a write failed only because the database cannot be written."""
    if isinstance(error, ReadOnlyDatabaseError):
        return True
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.Error) and isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_READONLY
    )


class _Kind(Enum):
    NEW = "new"
    """No file, an empty file, or an SQLite file with nothing in it: ours to create."""
    OURS = "ours"
    """Marked as Readalong's."""
    UNMARKED = "unmarked"
    """Readalong's tables, made before the mark: adopted (marked) when next migrated."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What an existing database file is (ours, ours from before the mark, or new) and its schema version;
    anything else is refused before it is touched."""

    kind: _Kind
    version: int


def _side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _expected_tables(migrations: Sequence[Migration]) -> set[str]:
    """The tables these migrations create, found by running them on an empty in-memory database."""
    with contextlib.closing(sqlite3.connect(":memory:")) as memory:
        try:
            for migration in migrations:
                memory.executescript(migration.sql)
        except sqlite3.Error:
            return set()
        return {row[0] for row in memory.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def inspect_database(path: Path, migrations: Sequence[Migration]) -> Inspection:
    """What ``path`` holds, read without changing it; a :class:`DatabaseError` if it is not ours.

    Reads the header directly, then opens SQLite read-only (``immutable`` when there is no WAL,
    so no ``-wal`` or ``-shm`` file appears); any side file the look created is removed again when
    the file is refused.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise DatabaseError(f"database folder {path.parent} does not exist") from None
        return Inspection(_Kind.NEW, 0)
    except OSError as error:
        raise DatabaseError(f"cannot open database {path}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(f"{path}: is a directory, not a database file")
    if not stat.S_ISREG(info.st_mode):
        raise DatabaseError(f"{path}: is not a regular file, not a database file")
    wal = _side_file(path, "-wal")
    if info.st_size == 0 and not wal.exists():
        return Inspection(_Kind.NEW, 0)
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise DatabaseError(f"cannot read database {path}: {error.strerror}") from None
    if info.st_size > 0 and not header.startswith(_SQLITE_HEADER):
        raise DatabaseError(f"{path} is not a Readalong database (not an SQLite file)")
    existed = {suffix for suffix in _SIDE_FILES if _side_file(path, suffix).exists()}
    uri = path.resolve().as_uri() + ("?mode=ro" if "-wal" in existed else "?mode=ro&immutable=1")
    try:
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
                application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                tables = {
                    row[0]
                    for row in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
                }
        except sqlite3.Error as error:
            raise describe_database_error(error, path) from None
        return _judge(path, migrations, application_id, version, tables)
    except DatabaseError:
        for suffix in _SIDE_FILES:
            if suffix not in existed:
                _side_file(path, suffix).unlink(missing_ok=True)
        raise


def _judge(
    path: Path, migrations: Sequence[Migration], application_id: int, version: int, tables: set[str]
) -> Inspection:
    known = len(migrations)
    newer = f"{path} was written by a newer Readalong (schema {version}, this one knows {known})"
    if application_id == APPLICATION_ID:
        if version > known:
            raise DatabaseError(newer)
        return Inspection(_Kind.OURS, version)
    if application_id != 0:
        raise DatabaseError(f"{path} is not a Readalong database (application id 0x{application_id:08x})")
    if not tables and version == 0:
        return Inspection(_Kind.NEW, 0)
    if version > known and "articles" in tables:
        raise DatabaseError(newer)
    if 1 <= version <= known and _expected_tables(migrations[:version]) <= tables:
        return Inspection(_Kind.UNMARKED, version)
    shown = ", ".join(sorted(tables)[:3]) + ("…" if len(tables) > 3 else "")
    raise DatabaseError(f"{path} is not a Readalong database (it holds other tables: {shown or 'none'})")


def _can_write(path: Path) -> bool:
    """Whether this process (its effective user) may write the file and create its WAL beside it."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=True):
        return False
    return not path.exists() or os.access(path, os.W_OK, effective_ids=True)


class DatabaseLock:
    """One bot process per database: an ``flock`` on ``<db>.lock``, which the kernel releases when
    the process ends however it ends (SIGKILL included). The holder writes who it is into the file
    so a refused second bot can name it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def __repr__(self) -> str:
        return f"<DatabaseLock {str(self.path)!r} {'held' if self._fd is not None else 'released'}>"

    @classmethod
    def acquire(cls, database: Path) -> DatabaseLock:
        """Take the lock on ``database`` or raise DatabaseInUseError naming the bot that holds it; the
        holder's pid, host and command are written into the lock file."""
        path = _side_file(database, ".lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise DatabaseError(f"cannot create the lock file {path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            described = _describe_holder(fd)
            os.close(fd)
            raise DatabaseInUseError(
                f"{database} is in use by another Readalong bot ({described}); stop it first or use another --db"
            ) from None
        except OSError as error:
            os.close(fd)
            raise DatabaseError(f"cannot lock {path}: {error.strerror}") from None
        command = " ".join(["readalong", *sys.argv[1:]])[:120]
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Give the lock up and empty the file; safe to call twice."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the flock


def _describe_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
        return f"pid {int(holder['pid'])} on {holder['host']}, `{holder['command']}`, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown: it is starting"


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
    """``execute``'s result on the reader: awaited, or used in ``async with``, as aiosqlite's is."""

    def __init__(self, reader: Reader, sql: str, parameters: Sequence[object]) -> None:
        self._reader = reader
        self._sql = sql
        self._parameters = parameters

    def __await__(self) -> Generator[Any, None, _Rows]:
        return self._run().__await__()

    async def _run(self) -> _Rows:
        return _Rows(list(await self._reader.connection.execute_fetchall(self._sql, self._parameters)))

    async def __aenter__(self) -> _Rows:
        return await self._run()

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
    statements do)."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self.connection = connection

    def __repr__(self) -> str:
        return f"<Reader {self.connection!r}>"

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> _Read:
        """Run one statement, its rows read in full."""
        return _Read(self, sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Sequence[object] = (), /) -> list[aiosqlite.Row]:
        """Run one statement and return its rows."""
        return list(await self.connection.execute_fetchall(sql, parameters))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[object]], /) -> _Rows:
        """Refused by the connection (``query_only``): the reader writes nothing."""
        await self.connection.executemany(sql, parameters)
        return _Rows([])

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()


class SqliteBackend:
    """The connections to one SQLite file: a read-only one, and one for writes (absent when the
    file cannot be written), and, for the bot, the file's lock."""

    def __init__(self, path: Path, migrations: Sequence[Migration], *, busy_timeout: float) -> None:
        self.path = path
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
        writable = await asyncio.to_thread(_can_write, self.path)
        if not writable:
            if exclusive:
                raise ReadOnlyDatabaseError(f"{self.path} is read-only: the bot needs to write to it")
            if found.kind is _Kind.NEW:
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
            self.reader = Reader(await self._connect(self._reader_uri(writable), uri=True))
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
            if isinstance(error, sqlite3.Error):
                raise describe_database_error(error, self.path) from None
            raise
        self.writer, self._lock = writer, lock

    def _reader_uri(self, writable: bool) -> str:
        uri = self.path.resolve().as_uri() + "?mode=ro"
        if not writable and not _side_file(self.path, "-wal").exists():
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
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises."""
        db = self.writer
        assert db is not None
        await db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
        else:
            await db.execute("COMMIT")

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

    async def schema_version(self) -> int:
        """The number of the last migration applied (``PRAGMA user_version``)."""
        assert self.reader is not None
        async with self.reader.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(
        self, db: aiosqlite.Connection, migrations: Sequence[Migration], found: Inspection
    ) -> None:
        from bot.store.db import MigrationError

        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > len(migrations):  # written since it was inspected
            raise DatabaseError(
                f"{self.path} was written by a newer Readalong (schema {current}, this one knows {len(migrations)})"
            )
        # What the version claims is there before more is built on it (placeholders once stood in
        # for real migrations): repaired, or refused naming what is missing.
        await check_sqlite(db, str(self.path), migrations, current, repair=True)
        mark = f"PRAGMA application_id = {APPLICATION_ID};"
        if found.kind is _Kind.UNMARKED:
            log.info("adopting %s (a Readalong database made before the mark)", self.path)
        if current == len(migrations) and found.kind is not _Kind.OURS:
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
