"""Copying a whole Readalong database to another one, SQLite or PostgreSQL, verified row by row.

``readalong db copy`` moves a library and its archive between backends (or to a new database of
the same backend), through the store's own backends: the connections, dialect and errors every
command uses. The copy:

- reads the source through the store's snapshot (:meth:`Store.snapshot`: SQLite's read
  transaction in WAL mode, PostgreSQL's ``REPEATABLE READ``), so a bot writing to the source while
  it runs does not tear the copy: what it writes after the snapshot is simply not in it;
- writes the target through the store's write path (:meth:`Store.transaction`, the bot's lock on
  an SQLite file), tables in foreign-key order, rows in primary-key order, in batches; ids are
  copied as they are (passages' ids, postings' ids, the articles' insertion order kept in
  ``rowid``), PostgreSQL's identity sequences are set past them, generated columns (the ``tsv``
  columns) are computed by PostgreSQL and SQLite's full-text tables filled by their triggers;
- verifies before it commits: the target's rows, read back in the same transaction, must give the
  same count and checksum per table (:mod:`bot.store.copy_rows`) as the rows read from the
  source. A mismatch rolls the whole copy back (and removes an SQLite file the copy created), so
  a target is either a verified copy or left as it was.

PostgreSQL text cannot hold NUL, which SQLite's can: copying to PostgreSQL stores a NUL as U+FFFD
(as the PostgreSQL store does on every write) and the report names each value so changed; the
verification then compares the target with the source as changed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.domain.database import Database, PostgresUrl
from bot.errors import DatabaseError
from bot.store.connection import Connection
from bot.store.copy_rows import KNOWN, TABLES, CopiedTable, RowHash, TableCopy
from bot.store.db import Store
from bot.store.dialect import POSTGRESQL, SQLITE, Dialect
from bot.store.errors import StoreError
from bot.store.migration import load_migrations
from bot.store.postgres import BOOKKEEPING, DERIVED, inspect_postgres
from bot.store.postgres_catalog import COLUMNS_SQL, IDENTITY_COLUMNS_SQL, TABLES_SQL
from bot.store.postgres_undo import drop_everything, is_empty
from bot.store.sqlite_file import count_rows, in_use, inspect_database, side_file

BATCH_ROWS = 1000
"""Rows read and written at a time: large enough that a round trip is cheap per row, small enough
that a table of long messages does not sit in memory whole."""
SHOWN_REPLACEMENTS = 5
"""How many values changed by the copy (a NUL stored as U+FFFD) the report names one by one."""


class CopyError(DatabaseError):
    """The copy was refused or failed; the target is as it was (a file the copy made is removed)."""


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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _listed(columns: Sequence[str]) -> str:
    return ", ".join(_quote(c) if c != "rowid" else "rowid" for c in columns)


class _End:
    """One end of the copy: a connection the store gave (its snapshot, or its transaction), and
    the catalog queries of its backend."""

    def __init__(self, db: Connection, dialect: Dialect) -> None:
        self.db = db
        self.dialect = dialect

    async def tables(self) -> set[str]:
        """The library's tables (not SQLite's full-text tables, not PostgreSQL's bookkeeping)."""
        if self.dialect is POSTGRESQL:
            rows = await self.db.execute_fetchall(TABLES_SQL)
            return {str(r[0]) for r in rows} - BOOKKEEPING - DERIVED
        rows = list(
            await self.db.execute_fetchall(
                "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        )
        virtual = {r[0] for r in rows if (r[1] or "").upper().startswith("CREATE VIRTUAL TABLE")}
        return {
            r[0] for r in rows if r[0] not in virtual and not any(r[0].startswith(v + "_") for v in virtual)
        }

    async def columns(self, table: CopiedTable) -> list[str]:
        """The columns the copy carries (not PostgreSQL's generated ones; SQLite's kept implicit ones)."""
        if self.dialect is POSTGRESQL:
            rows = await self.db.execute_fetchall(COLUMNS_SQL, (table.name,))
            return [str(r[0]) for r in rows]
        rows = await self.db.execute_fetchall(
            "SELECT name FROM pragma_table_info(?) ORDER BY cid", (table.name,)
        )
        return [str(r[0]) for r in rows] + list(table.implicit)

    async def rows(self, table: CopiedTable, columns: Sequence[str]) -> AsyncIterator[list[tuple[Any, ...]]]:
        """The table's rows in primary-key order, :data:`BATCH_ROWS` at a time (each batch one
        statement, after the last key of the one before)."""
        order = ", ".join(_quote(k) for k in table.key)
        at = [list(columns).index(k) for k in table.key]
        marks = ", ".join("?" for _ in table.key)
        after: tuple[Any, ...] = ()
        while True:
            where = f" WHERE ({order}) > ({marks})" if after else ""
            batch = [
                tuple(row)
                for row in await self.db.execute_fetchall(
                    f"SELECT {_listed(columns)} FROM {_quote(table.name)}{where}"
                    f" ORDER BY {order} LIMIT {BATCH_ROWS}",
                    after,
                )
            ]
            if batch:
                yield batch
            if len(batch) < BATCH_ROWS:
                return
            after = tuple(batch[-1][i] for i in at)

    async def held(self) -> dict[str, int]:
        """The rows of each of the library's tables that holds any."""
        present = await self.tables()
        held = {}
        for table in TABLES:
            if table.name in present:
                rows = list(await self.db.execute_fetchall(f"SELECT count(*) FROM {_quote(table.name)}"))
                if rows[0][0]:
                    held[table.name] = int(rows[0][0])
        return held

    async def write(self, table: CopiedTable, columns: Sequence[str], batch: list[tuple[Any, ...]]) -> None:
        """Insert a batch of rows (PostgreSQL: several rows per statement)."""
        marks = ", ".join("?" for _ in columns)
        await self.db.executemany(
            f"INSERT INTO {_quote(table.name)} ({_listed(columns)}) VALUES ({marks})", batch
        )

    async def finish(self) -> None:
        """What the target keeps beside the rows: PostgreSQL's sequences past the copied ids, and
        SQLite's full-text indexes checked against their tables."""
        if self.dialect is POSTGRESQL:
            for table_name, column in await self.db.execute_fetchall(IDENTITY_COLUMNS_SQL):
                await self.db.execute(
                    f"SELECT setval(pg_get_serial_sequence(?, ?),"
                    f" coalesce((SELECT max({_quote(column)}) FROM {_quote(table_name)}), 0) + 1, false)",
                    (table_name, column),
                )
            return
        for (name,) in await self.db.execute_fetchall(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%'"
            " ORDER BY name"
        ):
            try:
                await self.db.execute(
                    f"INSERT INTO {_quote(name)} ({_quote(name)}) VALUES ('integrity-check')"
                )
            except StoreError as error:
                raise CopyError(
                    f"the full-text index {name} does not match its table after the copy ({error});"
                    " nothing was copied"
                ) from None


def _key_text(table: CopiedTable, columns: Sequence[str], row: Sequence[Any]) -> str:
    return ",".join(f"{k}={row[columns.index(k)]!r}" for k in table.key)


class _Copier:
    def __init__(self, source: _End, target: _End) -> None:
        self.source = source
        self.target = target
        self.replaced = 0
        self.replacements: list[Replacement] = []

    async def check_tables(self) -> None:
        for side, which in ((self.source, "source"), (self.target, "target")):
            unknown = await side.tables() - KNOWN
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
        to_postgres = self.target.dialect is POSTGRESQL
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


def _describe_held(held: dict[str, int]) -> str:
    shown = ", ".join(f"{name} {rows}" for name, rows in list(held.items())[:3])
    return shown + ("…" if len(held) > 3 else "")


def _shown(database: Database) -> str:
    return database.shown if isinstance(database, PostgresUrl) else str(database)


async def _same_database(source: Database, target: Database) -> bool:
    if isinstance(source, Path) and isinstance(target, Path):
        if source.resolve() == target.resolve():
            return True
        return source.exists() and target.exists() and source.samefile(target)
    if isinstance(source, PostgresUrl) and isinstance(target, PostgresUrl):
        if source == target:
            return True
        return (await inspect_postgres(source)).identity == (await inspect_postgres(target)).identity
    return False


async def _check_source(source: Database) -> int:
    """The source's schema version; refused if there is nothing there, it is not Readalong's, or
    it is newer than this Readalong. Read only."""
    if isinstance(source, PostgresUrl):
        known = len(load_migrations(dialect=POSTGRESQL))
        found = await inspect_postgres(source)
        where = f"{source.shown} (schema {found.schema})"
        if found.foreign:
            raise CopyError(f"{where} is not a Readalong database")
        if found.version is None:
            raise CopyError(f"{where} holds no Readalong database to copy")
        if found.version > known:
            raise CopyError(
                f"{where} was written by a newer Readalong (schema {found.version}, this one knows {known})"
            )
        return found.version
    if not source.exists():
        raise CopyError(f"no database at {source} to copy")
    inspected = inspect_database(source, load_migrations(dialect=SQLITE))
    if inspected.kind.value == "new":
        raise CopyError(f"{source} holds no Readalong database to copy (it is empty)")
    return inspected.version


async def _check_target_empty(target: Database) -> None:
    """Refuse a target that already holds a Readalong library (or anything else); read only."""
    names = [t.name for t in TABLES]
    if isinstance(target, PostgresUrl):
        found = await inspect_postgres(target, names)
        where = f"{target.shown} (schema {found.schema})"
        if found.foreign:
            raise CopyError(f"{where} is not a Readalong database")
        if found.version is None:
            if found.tables:
                raise CopyError(
                    f"{where} is not a Readalong database (it holds other tables:"
                    f" {', '.join(sorted(found.tables)[:3])}); give the copy a schema of its own"
                )
            return
        if found.rows:
            raise CopyError(
                f"{where} already holds a Readalong library ({_describe_held(found.rows)}); copy into a"
                f" new schema, or empty this one first (DROP SCHEMA {found.schema} CASCADE; CREATE SCHEMA"
                f" {found.schema})"
            )
        return
    if inspect_database(target, load_migrations(dialect=SQLITE)).kind.value == "new":
        return
    held = count_rows(target, names)
    if held:
        raise CopyError(
            f"{target} already holds a Readalong library ({_describe_held(held)}); copy into a new"
            f" file, or move this one away first"
        )


async def copy_store(source: Database, target: Database) -> CopyReport:
    """Copy every row of the Readalong database ``source`` into ``target`` (a new SQLite file, an
    empty one, or an empty PostgreSQL schema), verify it by counts and checksums, and say what was
    copied. Refused in one line, changing nothing, when the two are the same database, the source
    holds no Readalong database (or a newer one), or the target already holds data."""
    started = time.perf_counter()
    if await _same_database(source, target):
        raise CopyError(f"--from and --to are the same database ({_shown(source)})")
    await _check_source(source)
    await _check_target_empty(target)
    source_in_use = isinstance(source, Path) and in_use(source)
    created = isinstance(target, Path) and not target.exists()
    beside = (
        [side_file(target, s) for s in ("-wal", "-shm", "-journal", ".lock")]
        if isinstance(target, Path)
        else []
    )
    made = [p for p in ([target, *beside] if isinstance(target, Path) else []) if not p.exists()]
    fresh_schema = isinstance(target, PostgresUrl) and await is_empty(target)
    reading, writing = Store(source), Store(target)
    try:
        await reading.open()  # as any command does: an earlier source is brought up to date first
        # The target's schema made (or brought up to date); on SQLite the bot's lock, so that no
        # bot starts on it while it is half made.
        await writing.open(exclusive=True)
        version = await writing.schema_version()
        async with reading.snapshot() as read, writing.transaction() as written:
            copier = _Copier(_End(read, reading.dialect), _End(written, writing.dialect))
            await copier.check_tables()
            if writing.dialect is POSTGRESQL:  # the tables locked against other writers
                present = [t.name for t in TABLES if t.name in await copier.target.tables()]
                await written.execute(f"LOCK TABLE {', '.join(_quote(n) for n in present)} IN EXCLUSIVE MODE")
            held = await copier.target.held()
            if held:
                raise CopyError(
                    f"{_shown(target)} was written to while the copy began ({_describe_held(held)})"
                )
            copied = [await copier.copy_table(table) for table in TABLES]
            await copier.target.finish()
    except BaseException as error:
        await writing.close()
        await reading.close()
        for path in made:
            path.unlink(missing_ok=True)
        if fresh_schema:  # the migrations' tables go too: an empty schema is left empty
            assert isinstance(target, PostgresUrl)
            await drop_everything(target)
        if isinstance(error, StoreError):  # the store's words, naming the database that refused
            raise DatabaseError(str(error).splitlines()[0]) from None
        raise
    await writing.close()
    await reading.close()
    for path in made:
        if path.name.endswith(".lock"):
            path.unlink(missing_ok=True)
    return CopyReport(
        source=_shown(source),
        target=_shown(target),
        schema_version=version,
        tables=tuple(copied),
        replaced=copier.replaced,
        replacements=tuple(copier.replacements),
        source_in_use=source_in_use,
        seconds=time.perf_counter() - started,
        created=created,
    )


async def table_checksums(database: Database) -> dict[str, TableCopy]:
    """Each table's row count and checksum, read in one snapshot: what ``copy_store`` compares, for
    checking two databases hold the same library."""
    result: dict[str, TableCopy] = {}
    async with Store(database) as store, store.snapshot() as db:
        end = _End(db, store.dialect)
        present = await end.tables()
        for table in TABLES:
            if table.name not in present:
                continue
            columns = sorted(await end.columns(table))
            hashed = RowHash()
            async for batch in end.rows(table, columns):
                hashed.add_many(batch)
            result[table.name] = TableCopy(table.name, hashed.rows, hashed.checksum)
    return result


def describe_rows(tables: Iterable[TableCopy]) -> list[str]:
    """The report's table: one line per table, its name and rows, aligned."""
    listed = list(tables)
    width = max((len(t.name) for t in listed), default=0)
    return [f"  {t.name:<{width}}  {t.rows:>9,}" for t in listed]
