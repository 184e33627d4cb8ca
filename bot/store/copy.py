"""Copying a whole Readalong database to another one, SQLite or PostgreSQL, verified row by row.

``readalong db copy`` moves a library and its archive between backends (or to a new database of
the same backend). The copy:

- reads the source in one read transaction (SQLite's snapshot in WAL mode, PostgreSQL's
  ``REPEATABLE READ``), so a bot writing to the source while it runs does not tear the copy: what
  it writes after the snapshot is simply not in it;
- writes the target in one transaction, tables in foreign-key order, rows in primary-key order,
  in batches (``executemany`` on SQLite, ``COPY`` on PostgreSQL); ids are copied as they are
  (passages' ids, postings' ids, the articles' insertion order kept in ``rowid``), PostgreSQL's
  identity sequences are set past them, generated columns (the ``tsv`` columns) are computed by
  PostgreSQL and SQLite's full-text tables filled by their triggers;
- verifies before it commits: the target's rows, read back in the same transaction, must give the
  same count and checksum per table as the rows read from the source. A mismatch rolls the whole
  copy back (and removes an SQLite file the copy created), so a target is either a verified copy
  or left as it was.

The checksum is SHA-256 over a canonical serialisation of each row (columns by name, each value
tagged with its kind: NULL, integer, float, text, bytes), rows in primary-key order, which is the
same on both backends (text sorts bytewise: SQLite's BINARY, PostgreSQL's ``COLLATE "C"``).

PostgreSQL text cannot hold NUL, which SQLite's can: copying to PostgreSQL stores a NUL as U+FFFD
(as the PostgreSQL store does on every write) and the report names each value so changed; the
verification then compares the target with the source as changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.domain.database import Database, PostgresUrl
from bot.errors import DatabaseError
from bot.store.dialect import POSTGRESQL, SQLITE
from bot.store.errors import describe_database_error, describe_postgres_error
from bot.store.postgres import APPLICATION, CONNECT_TIMEOUT_SECONDS
from bot.store.postgres_connection import require_asyncpg
from bot.store.sqlite import connect
from bot.store.sqlite_file import DatabaseLock, inspect_database

if TYPE_CHECKING:
    import asyncpg

BATCH_ROWS = 1000
"""Rows read and written at a time: large enough that a round trip is cheap per row, small enough
that a table of long messages does not sit in memory whole."""
SHOWN_REPLACEMENTS = 5
"""How many values changed by the copy (a NUL stored as U+FFFD) the report names one by one."""


class CopyError(DatabaseError):
    """The copy was refused or failed; the target is as it was (a file the copy made is removed)."""


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """A table the copy carries: its name and primary key (the order rows are read, written and
    checksummed in). ``implicit`` columns are SQLite's implicit ones that the copy keeps (the
    articles' ``rowid``, their insertion order, which PostgreSQL keeps in a column of that name)."""

    name: str
    key: tuple[str, ...]
    implicit: tuple[str, ...] = ()


TABLES: tuple[CopiedTable, ...] = (
    CopiedTable("articles", ("id",), implicit=("rowid",)),
    CopiedTable("sections", ("article_id", "idx")),
    CopiedTable("comments", ("article_id", "idx")),
    CopiedTable("comment_quotes", ("article_id", "comment_idx", "position")),
    CopiedTable("postings", ("id",)),
    CopiedTable("posting_items", ("posting_id", "seq")),
    CopiedTable("threads", ("id",)),
    CopiedTable("messages", ("id",)),
    CopiedTable("message_edits", ("message_id", "edited_at")),
    CopiedTable("passages", ("id",)),
    CopiedTable("asks", ("id",)),
    CopiedTable("guild_settings", ("guild_id",)),
    CopiedTable("article_guilds", ("article_id", "guild_id")),
    CopiedTable("embeddings", ("model", "text_hash")),
)
"""Every table of Readalong's schema, parents before children (a foreign key only points up the
list). A table the source holds and this list lacks is refused (a newer schema this copy does not
know), never silently left behind."""
_KNOWN = {table.name for table in TABLES}
_PG_BOOKKEEPING = {"readalong_schema", "identify_buckets", "shard_layout"}
"""PostgreSQL's tables of the running bots rather than of the library: the schema's mark, the
shards' IDENTIFY slots (moments that mean nothing to another database) and their shard count."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table copied: its rows and their checksum (the same on both sides)."""

    name: str
    rows: int
    checksum: str


@dataclass(frozen=True, slots=True)
class Replacement:
    """A value the copy had to change: a text with NUL characters stored in PostgreSQL with U+FFFD
    in their place."""

    table: str
    key: str
    column: str

    def __str__(self) -> str:
        return f"{self.table} {self.key} {self.column}"


@dataclass(frozen=True, slots=True)
class CopyReport:
    """What ``copy_store`` did: the tables and rows copied (verified), the values it changed, and
    whether the source was in use by a running bot (a snapshot was copied)."""

    source: str
    target: str
    schema_version: int
    tables: tuple[TableCopy, ...]
    replaced: int = 0
    replacements: tuple[Replacement, ...] = ()
    source_in_use: bool = False
    seconds: float = 0.0
    created: bool = field(default=False)

    @property
    def rows(self) -> int:
        """Rows copied, all tables together."""
        return sum(table.rows for table in self.tables)


# -- canonical rows and their checksum ------------------------------------------------------------


def _text(value: str) -> bytes:
    encoded = value.encode("utf-8", "surrogatepass")
    return b"s%d:%b" % (len(encoded), encoded)


def _blob(value: bytes | bytearray | memoryview) -> bytes:
    raw = bytes(value)
    return b"b%d:%b" % (len(raw), raw)


_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    type(None): lambda _: b"N;",
    bool: lambda v: b"i%d;" % v,
    int: lambda v: b"i%d;" % v,
    float: lambda v: b"f%b;" % v.hex().encode(),
    str: _text,
    bytes: _blob,
    bytearray: _blob,
    memoryview: _blob,
}


def canonical_value(value: object) -> bytes:
    """One value as bytes that are the same whichever backend it was read from, and that no other
    value shares: a tag for its kind (``N`` NULL, ``i`` integer, ``f`` float, ``s`` text, ``b``
    bytes), then the integer in decimal, the float in hexadecimal (exact), or the text's UTF-8 or
    the bytes after their length; each ends where its length or ``;`` says, so no two rows
    serialise alike."""
    encode = _ENCODERS.get(type(value))
    if encode is None:
        raise TypeError(f"cannot checksum a {type(value).__name__}")
    return encode(value)


class RowHash:
    """A running count and SHA-256 of rows, fed in primary-key order."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, row: Sequence[object]) -> None:
        """Count and hash one row (its values in the table's canonical column order)."""
        self.add_many((row,))

    def add_many(self, rows: Sequence[Sequence[object]]) -> None:
        """Count and hash rows, in order."""
        encoders = _ENCODERS
        parts: list[bytes] = []
        try:
            for row in rows:
                parts.append(b"R%d;" % len(row))
                parts.extend([encoders[type(value)](value) for value in row])
        except KeyError as error:
            raise TypeError(f"cannot checksum a {error.args[0].__name__}") from None
        self.rows += len(rows)
        self._hash.update(b"".join(parts))

    @property
    def checksum(self) -> str:
        """The hex digest so far."""
        return self._hash.hexdigest()


# -- the two ends ---------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _select(table: CopiedTable, columns: Sequence[str]) -> str:
    listed = ", ".join(_quote(c) if c != "rowid" else "rowid" for c in columns)
    order = ", ".join(_quote(c) for c in table.key)
    return f"SELECT {listed} FROM {_quote(table.name)} ORDER BY {order}"


class _Side:
    """One end of the copy, over a raw connection inside one transaction."""

    dialect_name: str

    async def tables(self) -> set[str]:
        raise NotImplementedError

    async def columns(self, table: CopiedTable) -> list[str]:
        raise NotImplementedError

    def rows(self, table: CopiedTable, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        raise NotImplementedError

    async def count(self, table: str) -> int:
        raise NotImplementedError


class _SqliteSide(_Side):
    dialect_name = SQLITE.name

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    async def tables(self) -> set[str]:
        rows = await self.db.execute_fetchall(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        virtual = {r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")}
        return {
            r[0] for r in rows if r[0] not in virtual and not any(r[0].startswith(v + "_") for v in virtual)
        }

    async def fts_tables(self) -> list[str]:
        rows = await self.db.execute_fetchall(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
            " ORDER BY name"
        )
        return [r[0] for r in rows]

    async def columns(self, table: CopiedTable) -> list[str]:
        rows = await self.db.execute_fetchall(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table.name,)
        )
        return [r[0] for r in rows] + list(table.implicit)

    async def rows(self, table: CopiedTable, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        try:
            async with self.db.execute(_select(table, columns)) as cursor:
                while batch := await cursor.fetchmany(BATCH_ROWS):
                    yield [tuple(row) for row in batch]
        except sqlite3.Error as error:  # this file's, named (the other end may be SQLite too)
            raise describe_database_error(error, self.path) from None

    async def count(self, table: str) -> int:
        rows = list(await self.db.execute_fetchall(f"SELECT count(*) FROM {_quote(table)}"))
        return int(rows[0][0])

    async def write(self, table: CopiedTable, columns: Sequence[str], batch: list[tuple[Any, ...]]) -> None:
        listed = ", ".join(_quote(c) if c != "rowid" else "rowid" for c in columns)
        marks = ", ".join("?" for _ in columns)
        try:
            await self.db.executemany(f"INSERT INTO {_quote(table.name)} ({listed}) VALUES ({marks})", batch)
        except sqlite3.Error as error:
            raise describe_database_error(error, self.path) from None


class _PostgresSide(_Side):
    dialect_name = POSTGRESQL.name

    def __init__(self, connection: asyncpg.Connection[Any]) -> None:
        self.connection = connection

    async def tables(self) -> set[str]:
        rows = await self.connection.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
        return {r[0] for r in rows} - _PG_BOOKKEEPING

    async def columns(self, table: CopiedTable) -> list[str]:
        rows = await self.connection.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema()"
            " AND table_name = $1 AND is_generated = 'NEVER' ORDER BY ordinal_position",
            table.name,
        )
        return [r[0] for r in rows]

    async def rows(self, table: CopiedTable, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        batch: list[tuple[Any, ...]] = []
        async for record in self.connection.cursor(_select(table, columns), prefetch=BATCH_ROWS):
            batch.append(tuple(record))
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
        if batch:
            yield batch

    async def count(self, table: str) -> int:
        return int(await self.connection.fetchval(f"SELECT count(*) FROM {_quote(table)}"))

    async def write(self, table: CopiedTable, columns: Sequence[str], batch: list[tuple[Any, ...]]) -> None:
        try:
            await self.connection.copy_records_to_table(table.name, records=batch, columns=list(columns))
        except (TypeError, ValueError, OverflowError) as error:
            # A source SQLite file edited by hand can hold what its column's type does not.
            raise CopyError(
                f"table {table.name}: a value does not fit PostgreSQL's column ({error})"
            ) from None

    async def identity_columns(self) -> list[tuple[str, str]]:
        rows = await self.connection.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY table_name"
        )
        return [(r[0], r[1]) for r in rows]

    async def identity(self) -> tuple[Any, ...]:
        """What tells two PostgreSQL schemas apart: the server, the database and the schema."""
        row = await self.connection.fetchrow(
            "SELECT inet_server_addr()::text, inet_server_port(), pg_postmaster_start_time()::text,"
            " current_database(), current_schema()"
        )
        return tuple(row) if row is not None else ()


# -- opening each end -----------------------------------------------------------------------------


def _side_files(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal", ".lock")]


def sqlite_in_use(path: Path) -> bool:
    """Whether a running bot holds ``path``'s lock (:class:`DatabaseLock`); looked at, not taken."""
    lock = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases the shared lock, if taken
    return False


async def _connect_postgres(url: PostgresUrl) -> asyncpg.Connection[Any]:
    driver = require_asyncpg()
    try:
        connection: asyncpg.Connection[Any] = await driver.connect(
            url.reveal(), timeout=CONNECT_TIMEOUT_SECONDS
        )
    except (driver.PostgresError, OSError, TimeoutError) as error:
        raise describe_postgres_error(error, url.shown) from None
    return connection


async def _postgres_state(connection: asyncpg.Connection[Any], url: PostgresUrl) -> tuple[str, int | None]:
    """The schema's name and its Readalong version (None: no Readalong schema there); a foreign
    schema is refused."""
    schema = await connection.fetchval("SELECT current_schema()")
    if schema is None:
        raise CopyError(f"{url.shown}: the search_path names no schema that exists")
    marked = await connection.fetchval(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'readalong_schema'",
        schema,
    )
    if not marked:
        return str(schema), None
    row = await connection.fetchrow("SELECT application, version FROM readalong_schema")
    if row is None or row["application"] != APPLICATION:
        raise CopyError(f"{url.shown} (schema {schema}) is not a Readalong database")
    return str(schema), int(row["version"])


def _reader_target(path: Path) -> tuple[str, bool]:
    """How to open ``path`` for reading: as a plain connection where it may be written (so that,
    closed last, it checkpoints and removes the WAL it made, leaving the file as it found it), or
    read-only by URI where it may not (``immutable`` without a WAL: nothing else writes it)."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK):
        return str(path), False
    uri = path.resolve().as_uri() + "?mode=ro"
    if not path.with_name(path.name + "-wal").exists():
        uri += "&immutable=1"
    return uri, True


async def _sqlite_reader(path: Path) -> aiosqlite.Connection:
    """A connection that only reads ``path`` (``query_only``)."""
    where, uri = _reader_target(path)
    return await connect(where, uri=uri, pragmas=("query_only = ON",))


async def _rows_held(side: _Side) -> dict[str, int]:
    present = await side.tables()
    return {t.name: n for t in TABLES if t.name in present and (n := await side.count(t.name))}


def _describe_held(held: dict[str, int]) -> str:
    shown = ", ".join(f"{name} {rows}" for name, rows in list(held.items())[:3])
    return shown + ("…" if len(held) > 3 else "")


async def _check_target_empty(target: Database) -> None:
    """Refuse a target that already holds a Readalong library (or anything else); read only."""
    from bot.store.db import load_migrations

    if isinstance(target, PostgresUrl):
        connection = await _connect_postgres(target)
        try:
            schema, version = await _postgres_state(connection, target)
            side = _PostgresSide(connection)
            if version is None:
                others = await side.tables()
                if others:
                    raise CopyError(
                        f"{target.shown} (schema {schema}) is not a Readalong database (it holds other"
                        f" tables: {', '.join(sorted(others)[:3])}); give the copy a schema of its own"
                    )
                return
            held = await _rows_held(side)
        finally:
            await connection.close()
        where = f"{target.shown} (schema {schema})"
        if held:
            raise CopyError(
                f"{where} already holds a Readalong library ({_describe_held(held)}); copy into a new"
                f" schema, or empty this one first (DROP SCHEMA {schema} CASCADE; CREATE SCHEMA {schema})"
            )
        return
    found = inspect_database(target, load_migrations(dialect=SQLITE))
    if found.kind.value == "new":
        return
    db = await _sqlite_reader(target)
    try:
        held = await _rows_held(_SqliteSide(db, target))
    except sqlite3.Error as error:
        raise describe_database_error(error, target) from None
    finally:
        await db.close()
    if held:
        raise CopyError(
            f"{target} already holds a Readalong library ({_describe_held(held)}); copy into a new"
            f" file, or move this one away first"
        )


async def _check_source(source: Database) -> int:
    """The source's schema version; refused if there is nothing there, it is not Readalong's, or
    it is newer than this Readalong. Read only."""
    from bot.store.db import load_migrations

    if isinstance(source, PostgresUrl):
        known = len(load_migrations(dialect=POSTGRESQL))
        connection = await _connect_postgres(source)
        try:
            schema, version = await _postgres_state(connection, source)
        finally:
            await connection.close()
        if version is None:
            raise CopyError(f"{source.shown} (schema {schema}) holds no Readalong database to copy")
        if version > known:
            raise CopyError(
                f"{source.shown} (schema {schema}) was written by a newer Readalong (schema {version},"
                f" this one knows {known})"
            )
        return version
    if not source.exists():
        raise CopyError(f"no database at {source} to copy")
    found = inspect_database(source, load_migrations(dialect=SQLITE))
    if found.kind.value == "new":
        raise CopyError(f"{source} holds no Readalong database to copy (it is empty)")
    return found.version


async def _same_database(source: Database, target: Database) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        if source.resolve() == target.resolve():
            return True
        return source.exists() and target.exists() and source.samefile(target)
    if isinstance(source, PostgresUrl) and isinstance(target, PostgresUrl):
        if source == target:
            return True
        first = await _connect_postgres(source)
        try:
            second = await _connect_postgres(target)
            try:
                return await _PostgresSide(first).identity() == await _PostgresSide(second).identity()
            finally:
                await second.close()
        finally:
            await first.close()
    return False


# -- the copy -------------------------------------------------------------------------------------


def _shown(database: Database) -> str:
    return database.shown if isinstance(database, PostgresUrl) else str(database)


def _key_text(table: CopiedTable, columns: Sequence[str], row: Sequence[Any]) -> str:
    return ",".join(f"{k}={row[columns.index(k)]!r}" for k in table.key)


class _Copier:
    def __init__(self, source: _Side, target: _SqliteSide | _PostgresSide) -> None:
        self.source = source
        self.target = target
        self.replaced = 0
        self.replacements: list[Replacement] = []

    async def check_tables(self) -> None:
        for side, which in ((self.source, "source"), (self.target, "target")):
            unknown = await side.tables() - _KNOWN
            if unknown:
                raise CopyError(
                    f"the {which} holds tables this copy does not know ({', '.join(sorted(unknown))});"
                    " copy with the Readalong that made them"
                )

    async def columns(self, table: CopiedTable) -> list[str]:
        """The table's columns by name (the canonical order), the same on both sides."""
        ours, theirs = await self.source.columns(table), await self.target.columns(table)
        if set(ours) != set(theirs):
            differ = sorted(set(ours) ^ set(theirs))
            raise CopyError(f"table {table.name}: the two schemas differ in columns {', '.join(differ)}")
        return sorted(ours)

    def _storable(self, table: CopiedTable, columns: Sequence[str], row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not any(isinstance(v, str) and "\x00" in v for v in row):
            return row
        changed = list(row)
        for index, value in enumerate(row):
            if isinstance(value, str) and "\x00" in value:
                changed[index] = value.replace("\x00", "\ufffd")
                self.replaced += 1
                if len(self.replacements) < SHOWN_REPLACEMENTS:
                    self.replacements.append(
                        Replacement(table.name, _key_text(table, columns, row), columns[index])
                    )
        return tuple(changed)

    async def copy_table(self, table: CopiedTable) -> TableCopy:
        columns = await self.columns(table)
        read = RowHash()
        to_postgres = isinstance(self.target, _PostgresSide)
        async for read_batch in self.source.rows(table, columns):
            batch = [self._storable(table, columns, row) for row in read_batch] if to_postgres else read_batch
            read.add_many(batch)
            await self.target.write(table, columns, batch)
        written = RowHash()
        async for batch in self.target.rows(table, columns):
            written.add_many(batch)
        if (read.rows, read.checksum) != (written.rows, written.checksum):
            raise CopyError(
                f"table {table.name}: the copy does not match the source ({read.rows} rows read,"
                f" {written.rows} written, checksums {read.checksum[:12]} and {written.checksum[:12]});"
                " nothing was copied"
            )
        return TableCopy(table.name, read.rows, read.checksum)

    async def finish(self) -> None:
        """What the target keeps beside the rows: PostgreSQL's sequences past the copied ids, and
        SQLite's full-text indexes checked against their tables."""
        if isinstance(self.target, _PostgresSide):
            connection = self.target.connection
            for table_name, column in await self.target.identity_columns():
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence($1, $2),"
                    f" coalesce((SELECT max({_quote(column)}) FROM {_quote(table_name)}), 0) + 1, false)",
                    table_name,
                    column,
                )
            return
        for name in await self.target.fts_tables():
            try:
                await self.target.db.execute(
                    f"INSERT INTO {_quote(name)} ({_quote(name)}) VALUES ('integrity-check')"
                )
            except sqlite3.Error as error:
                raise CopyError(
                    f"the full-text index {name} does not match its table after the copy ({error});"
                    " nothing was copied"
                ) from None


@contextlib.asynccontextmanager
async def _source_snapshot(source: Database) -> AsyncIterator[_Side]:
    """The source in one read-only transaction: every table read from the same moment."""
    if isinstance(source, PostgresUrl):
        connection = await _connect_postgres(source)
        try:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                yield _PostgresSide(connection)
        finally:
            await connection.close()
        return
    db = await _sqlite_reader(source)
    try:
        await db.execute("BEGIN")
        try:
            yield _SqliteSide(db, source)
        finally:
            await db.execute("ROLLBACK")
    finally:
        await db.close()


@contextlib.asynccontextmanager
async def _target_transaction(target: Database) -> AsyncIterator[_SqliteSide | _PostgresSide]:
    """The target in one write transaction, its tables locked against other writers; committed
    when the block ends, rolled back if it raises."""
    if isinstance(target, PostgresUrl):
        connection = await _connect_postgres(target)
        try:
            async with connection.transaction():
                side = _PostgresSide(connection)
                present = [t.name for t in TABLES if t.name in await side.tables()]
                await connection.execute(
                    f"LOCK TABLE {', '.join(_quote(n) for n in present)} IN EXCLUSIVE MODE"
                )
                yield side
        finally:
            await connection.close()
        return
    db = await connect(target, pragmas=("foreign_keys = ON",))
    try:
        await db.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteSide(db, target)
        except BaseException:
            if db.in_transaction:
                await db.execute("ROLLBACK")
            raise
        await db.execute("COMMIT")
    finally:
        await db.close()


async def copy_store(source: Database, target: Database) -> CopyReport:
    """Copy every row of the Readalong database ``source`` into ``target`` (a new SQLite file, an
    empty one, or an empty PostgreSQL schema), verify it by counts and checksums, and say what was
    copied. Refused in one line, changing nothing, when the two are the same database, the source
    holds no Readalong database (or a newer one), or the target already holds data."""
    from bot.store.db import Store

    started = time.perf_counter()
    if await _same_database(source, target):
        raise CopyError(f"--from and --to are the same database ({_shown(source)})")
    version = await _check_source(source)
    await _check_target_empty(target)
    in_use = isinstance(source, Path) and sqlite_in_use(source)

    created = isinstance(target, Path) and not target.exists()
    made = [p for p in ([target, *_side_files(target)] if isinstance(target, Path) else []) if not p.exists()]
    lock: DatabaseLock | None = None
    try:
        if isinstance(target, Path):
            # No bot starts on the target while it is half made.
            lock = DatabaseLock.acquire(target)
        if version < _known(source):
            # As any command does: the source is brought up to this Readalong's schema first.
            async with Store(source):
                pass
        async with Store(target) as store:  # creates (or brings up to date) the target's schema
            version = await store.schema_version()
        async with _source_snapshot(source) as reading, _target_transaction(target) as writing:
            copier = _Copier(reading, writing)
            await copier.check_tables()
            held = await _rows_held(writing)
            if held:
                raise CopyError(
                    f"{_shown(target)} was written to while the copy began ({_describe_held(held)})"
                )
            copied = [await copier.copy_table(table) for table in TABLES]
            await copier.finish()
    except BaseException as error:
        if lock is not None:
            lock.release()
            lock = None
        for path in made:
            path.unlink(missing_ok=True)
        if isinstance(error, sqlite3.Error):
            failed = target if isinstance(target, Path) else source
            assert isinstance(failed, Path)
            raise describe_database_error(error, failed) from None
        asyncpg = _asyncpg_or_none()
        if asyncpg is not None and isinstance(error, asyncpg.PostgresError):
            url = target if isinstance(target, PostgresUrl) else source
            assert isinstance(url, PostgresUrl)
            raise describe_postgres_error(error, url.shown) from None
        raise
    finally:
        if lock is not None:
            lock.release()
            lock_file = target.with_name(target.name + ".lock") if isinstance(target, Path) else None
            if lock_file is not None and lock_file in made:
                lock_file.unlink(missing_ok=True)
    return CopyReport(
        source=_shown(source),
        target=_shown(target),
        schema_version=version,
        tables=tuple(copied),
        replaced=copier.replaced,
        replacements=tuple(copier.replacements),
        source_in_use=in_use,
        seconds=time.perf_counter() - started,
        created=created,
    )


def _known(database: Database) -> int:
    from bot.store.db import load_migrations

    return len(load_migrations(dialect=POSTGRESQL if isinstance(database, PostgresUrl) else SQLITE))


def _asyncpg_or_none() -> Any:
    try:
        import asyncpg
    except ImportError:
        return None
    return asyncpg


async def table_checksums(database: Database) -> dict[str, TableCopy]:
    """Each table's row count and checksum, read in one snapshot: what ``copy_store`` compares, for
    checking two databases hold the same library."""
    result: dict[str, TableCopy] = {}
    async with _source_snapshot(database) as side:
        present = await side.tables()
        for table in TABLES:
            if table.name not in present:
                continue
            columns = sorted(await side.columns(table))
            hashed = RowHash()
            async for batch in side.rows(table, columns):
                hashed.add_many(batch)
            result[table.name] = TableCopy(table.name, hashed.rows, hashed.checksum)
    return result


def describe_rows(tables: Iterable[TableCopy]) -> list[str]:
    """The report's table: one line per table, its name and rows, aligned."""
    listed = list(tables)
    width = max((len(t.name) for t in listed), default=0)
    return [f"  {t.name:<{width}}  {t.rows:>9,}" for t in listed]
