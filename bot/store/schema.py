"""A schema that is what its version claims: checked on opening, repaired or refused.

The version stamped in a database (``PRAGMA user_version``, ``readalong_schema.version``) says
which migrations ran, not what they did: branches once shipped placeholder migrations
(``SELECT 1;`` where ``0009_embeddings`` belonged), so a database stamped 11 could lack the
``embeddings`` table, and PostgreSQL's ``0001`` was edited in place after databases had applied
it. So on opening, the store compares the catalog it finds (tables, their columns, indexes with
their definitions, triggers, views; PostgreSQL's text search configurations too) with the one the
migrations up to that version produce on an empty scratch database (in memory for SQLite, a
rolled-back scratch schema for PostgreSQL): the expected schema is derived, never listed by hand.

What is missing is repaired in one transaction when the statement that creates it can run again:
the migrations are replayed one statement at a time on the scratch database to learn what each
statement creates, and a statement all of whose objects are missing is run again, with the
data statements that follow it in its migration (the backfill of what it created). On PostgreSQL
a column missing from an existing table is added from the scratch column's definition, and an
index whose definition differs is rebuilt. Anything else missing is refused in one line naming it
(:class:`IncompleteSchemaError`), before any command can fail on it halfway.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.store.errors import IncompleteSchemaError

if TYPE_CHECKING:
    import aiosqlite
    import asyncpg

    from bot.store.migration import Migration

log = logging.getLogger(__name__)

Catalog = Mapping[str, str]
"""A schema's objects: ``"table articles"``, ``"column articles.url"``, ``"index asks_by_message"``
… each with its definition where one is compared (indexes) or needed to add it (PostgreSQL's
columns), else ``""``."""

_SHOWN = 6
"""How many missing objects a refusal names before it says how many more there are."""


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of one migration, and what it did to the scratch database's catalog."""

    migration: int
    sql: str
    added: frozenset[str]
    removed: frozenset[str]

    @property
    def changes_schema(self) -> bool:
        """Whether the statement created or dropped anything (else it only changed data)."""
        return bool(self.added or self.removed)


@dataclass(frozen=True, slots=True)
class Derived:
    """What the migrations produce: the final catalog, and which statement made what."""

    expected: Mapping[str, str]
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class Repair:
    """The statements that restore what is missing, and what no statement can restore."""

    statements: tuple[str, ...]
    restored: tuple[str, ...]
    unrepairable: tuple[str, ...]


def plan_repair(derived: Derived, actual: Catalog, *, add_columns: bool) -> Repair:
    """How to bring ``actual`` to ``derived.expected``: statements that create only missing
    objects are run again (with the data statements after them in their migration); with
    ``add_columns`` (PostgreSQL) a column missing from an existing table is added from its
    definition; an index whose definition differs is rebuilt."""
    expected = derived.expected
    missing = {key for key in expected if key not in actual}
    statements: list[str] = []
    restored: set[str] = set()
    previous_ran = False
    previous_migration = -1
    for step in derived.steps:
        if step.migration != previous_migration:
            previous_migration, previous_ran = step.migration, False
        if not step.changes_schema:
            if previous_ran:
                statements.append(step.sql)
            continue
        wanted = step.added & expected.keys()
        previous_ran = bool(wanted) and not step.removed and wanted <= missing - restored
        if previous_ran:
            statements.append(step.sql)
            restored |= wanted
    left = missing - restored
    for key in sorted(left):
        kind, _, name = key.partition(" ")
        if kind == "column" and add_columns and f"table {name.split('.', 1)[0]}" in actual:
            table, column = name.split(".", 1)
            statements.append(f"ALTER TABLE {_quoted(table)} ADD COLUMN {_quoted(column)} {expected[key]}")
            restored.add(key)
        elif kind == "index" and expected[key]:
            statements.append(expected[key])
            restored.add(key)
    for key, definition in expected.items():
        if key.startswith("index ") and key in actual and definition and actual[key] != definition:
            statements.extend((f"DROP INDEX {_quoted(key.split(' ', 1)[1])}", definition))
            restored.add(key)
    return Repair(tuple(statements), tuple(sorted(restored)), tuple(sorted(missing - restored)))


def _summary(keys: Sequence[str]) -> str:
    """The objects named once: a table's columns go without saying when the table is named."""
    tables = {key.split(" ", 1)[1] for key in keys if key.startswith(("table ", "view "))}
    return ", ".join(
        key for key in keys if not (key.startswith("column ") and key[7:].split(".", 1)[0] in tables)
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe_missing(where: str, version: int, missing: Sequence[str], *, read_only: bool = False) -> str:
    """One line naming what a database's schema lacks (a missing table's columns go unsaid)."""
    missing = _summary(sorted(missing)).split(", ")
    shown = ", ".join(missing[:_SHOWN]) + (
        f" and {len(missing) - _SHOWN} more" if len(missing) > _SHOWN else ""
    )
    if read_only:
        return f"{where}: schema {version} lacks {shown}; it is read-only, so it cannot be repaired here"
    return (
        f"{where}: schema {version} lacks {shown}, which no migration can add to it now;"
        " restore it from a backup"
    )


# SQLite


def split_sqlite(script: str) -> list[str]:
    """A migration's statements, cut where SQLite says a statement is complete (a trigger's body,
    a string or a comment holding ``;`` stays whole)."""
    statements: list[str] = []
    start = 0
    for index, char in enumerate(script):
        if char == ";" and sqlite3.complete_statement(script[start : index + 1]):
            statements.append(script[start : index + 1].strip())
            start = index + 1
    return [s for s in statements if _has_code(s)]


def _has_code(statement: str) -> bool:
    without = re.sub(r"--[^\n]*|/\*.*?\*/", "", statement, flags=re.S)
    return bool(without.strip(" \t\r\n;"))


_SQLITE_CATALOG = "SELECT type, name, coalesce(sql, '') FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
_SQLITE_COLUMNS = (
    "SELECT m.name, c.name FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) c"
    " WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%'"
)


def _sqlite_catalog(objects: Sequence[Sequence[Any]], columns: Sequence[Sequence[Any]]) -> dict[str, str]:
    catalog: dict[str, str] = {}
    for kind, name, sql in objects:
        catalog[f"{kind} {name}"] = " ".join(str(sql).split()) if kind == "index" else ""
    for table, column in columns:
        catalog[f"column {table}.{column}"] = ""
    return catalog


def _sqlite_catalog_of(connection: sqlite3.Connection) -> dict[str, str]:
    return _sqlite_catalog(
        connection.execute(_SQLITE_CATALOG).fetchall(), connection.execute(_SQLITE_COLUMNS).fetchall()
    )


async def sqlite_catalog(db: aiosqlite.Connection) -> dict[str, str]:
    """The catalog of an open SQLite database."""
    objects = await db.execute_fetchall(_SQLITE_CATALOG)
    columns = await db.execute_fetchall(_SQLITE_COLUMNS)
    return _sqlite_catalog(list(objects), list(columns))


@functools.lru_cache(maxsize=32)
def derive_sqlite(migrations: tuple[Migration, ...], *, per_statement: bool = False) -> Derived:
    """What ``migrations`` make of an empty SQLite database (in memory, once per process and list
    of migrations): the catalog alone (a few milliseconds, every opening), or ``per_statement``
    which statement made what (a few tens of milliseconds, only when something is missing)."""
    with contextlib.closing(sqlite3.connect(":memory:", isolation_level=None)) as memory:
        if not per_statement:
            for migration in migrations:
                memory.executescript(migration.sql)
            return Derived(_sqlite_catalog_of(memory), ())
        before = _sqlite_catalog_of(memory)
        steps = []
        for migration in migrations:
            for statement in split_sqlite(migration.sql):
                memory.execute(statement)
                after = _sqlite_catalog_of(memory)
                steps.append(_step(migration.number, statement, before, after))
                before = after
        return Derived(before, tuple(steps))


def _step(number: int, sql: str, before: Catalog, after: Catalog) -> Step:
    added = frozenset(
        k for k in after if k not in before or (k.startswith("index ") and before[k] != after[k])
    )
    removed = frozenset(k for k in before if k not in after)
    return Step(number, sql, added, removed)


async def check_sqlite(
    db: aiosqlite.Connection, where: str, migrations: Sequence[Migration], version: int, *, repair: bool
) -> None:
    """Compare the database on ``db`` with what ``migrations[:version]`` make; repair what can be
    repaired in one ``BEGIN IMMEDIATE`` transaction (``repair``), else raise
    :class:`IncompleteSchemaError` naming what is missing."""
    if version == 0:
        return
    derived = derive_sqlite(tuple(migrations[:version]))
    actual = await sqlite_catalog(db)
    if _complete(derived, actual):
        return
    if not repair:
        raise IncompleteSchemaError(
            describe_missing(where, version, _missing(derived, actual), read_only=True)
        )
    derived = derive_sqlite(tuple(migrations[:version]), per_statement=True)
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Again under the write lock: another process opening it at the same time may have repaired it.
        actual = await sqlite_catalog(db)
        plan = plan_repair(derived, actual, add_columns=False)
        if plan.unrepairable:
            raise IncompleteSchemaError(describe_missing(where, version, plan.unrepairable))
        for statement in plan.statements:
            try:
                await db.execute(statement)
            except sqlite3.Error as error:
                raise IncompleteSchemaError(
                    f"{describe_missing(where, version, _missing(derived, actual))} (repairing it failed: {error})"
                ) from None
        still = _missing(derived, await sqlite_catalog(db))
        if still:
            raise IncompleteSchemaError(describe_missing(where, version, still))
    except BaseException:
        if db.in_transaction:
            await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")
    if plan.restored:
        log.warning(
            "repaired %s: restored %s, which an earlier version left out", where, _summary(plan.restored)
        )


def _complete(derived: Derived, actual: Catalog) -> bool:
    """Whether the database has all that the migrations make, each index as they define it."""
    return all(key in actual for key in derived.expected) and not _differing_indexes(derived.expected, actual)


def _missing(derived: Derived, actual: Catalog) -> tuple[str, ...]:
    return tuple(key for key in derived.expected if key not in actual)


def _differing_indexes(expected: Catalog, actual: Catalog) -> bool:
    return any(
        key.startswith("index ") and definition and key in actual and actual[key] != definition
        for key, definition in expected.items()
    )


# PostgreSQL


_PG_TOKEN = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|(\$[A-Za-z_0-9]*\$)|;", re.S)


def split_postgres(script: str) -> list[str]:
    """A migration's statements, cut at the ``;`` outside strings, quoted names, comments and
    dollar-quoted bodies."""
    statements: list[str] = []
    start = position = 0
    while True:
        match = _PG_TOKEN.search(script, position)
        if match is None:
            break
        position = match.end()
        if match.group(1):  # a dollar-quoted body: skip to its closing tag
            end = script.find(match.group(1), position)
            position = len(script) if end < 0 else end + len(match.group(1))
        elif match.group(0) == ";":
            statements.append(script[start:position].strip())
            start = position
    statements.append(script[start:].strip())
    return [s for s in statements if _has_code(s)]


_PG_OBJECTS = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = current_schema()),
cls AS (SELECT c.oid, c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns))
SELECT CASE relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'view' ELSE 'table' END, relname, ''
  FROM cls WHERE relkind IN ('r', 'p', 'v', 'm')
UNION ALL
SELECT 'index', relname, pg_get_indexdef(oid) FROM cls
  WHERE relkind IN ('i', 'I') AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = cls.oid)
UNION ALL
SELECT 'trigger', t.tgname, '' FROM pg_trigger t
  WHERE t.tgrelid = ANY (ARRAY(SELECT oid FROM cls WHERE relkind IN ('r', 'p', 'v', 'm'))) AND NOT t.tgisinternal
UNION ALL
SELECT 'function', p.proname, '' FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
UNION ALL
SELECT 'text search configuration', cfgname, '' FROM pg_ts_config WHERE cfgnamespace = (SELECT oid FROM ns)
UNION ALL
SELECT 'text search dictionary', dictname, '' FROM pg_ts_dict WHERE dictnamespace = (SELECT oid FROM ns)
UNION ALL
SELECT 'column', c.relname || '.' || a.attname,
    format_type(a.atttypid, a.atttypmod)
    || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
            THEN ' COLLATE ' || quote_ident(co.collname) ELSE '' END
    || CASE WHEN a.attgenerated = 's' THEN ' GENERATED ALWAYS AS (' || pg_get_expr(d.adbin, d.adrelid) || ') STORED'
            WHEN d.adbin IS NOT NULL THEN ' DEFAULT ' || pg_get_expr(d.adbin, d.adrelid) ELSE '' END
    || CASE a.attidentity WHEN 'd' THEN ' GENERATED BY DEFAULT AS IDENTITY'
                          WHEN 'a' THEN ' GENERATED ALWAYS AS IDENTITY' ELSE '' END
    || CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END
  FROM cls c JOIN pg_attribute a ON a.attrelid = c.oid JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relkind IN ('r', 'p', 'v', 'm') AND a.attnum > 0 AND NOT a.attisdropped
"""
"""Every object of the current schema the migrations make, as (kind, name, definition). The
schema's relations are read once (``cls``) and the rest looked up from them, by the catalogs'
indexes: every store's open reads this on a new connection, and the planner, joining whole
catalogs, made it three times dearer (5 ms of the server's CPU, now under 2.5)."""


async def postgres_catalog(connection: asyncpg.Connection[Any]) -> dict[str, str]:
    """The catalog of the connection's current schema; indexes' definitions without the schema's
    name, so two schemas' compare."""
    schema = await connection.fetchval("SELECT current_schema()")
    qualified = re.compile(r" ON (ONLY )?(" + re.escape(_quoted(schema)) + "|" + re.escape(schema) + r")\.")
    catalog = {}
    for kind, name, definition in await connection.fetch(_PG_OBJECTS):
        shown = (
            qualified.sub(lambda m: f" ON {m.group(1) or ''}", definition) if kind == "index" else definition
        )
        catalog[f"{kind} {name}"] = shown
    return catalog


_derived_postgres: dict[tuple[tuple[Migration, ...], bool], Derived] = {}
"""What each list of migrations makes on PostgreSQL, worked out once per process (a scratch
schema costs a few hundred milliseconds)."""


async def derive_postgres(
    connection: asyncpg.Connection[Any], migrations: tuple[Migration, ...], *, per_statement: bool = False
) -> Derived:
    """What ``migrations`` make of an empty schema (``per_statement``: which statement made what):
    played in a scratch schema inside a savepoint that is rolled back, so nothing of it outlives
    the call."""
    found = _derived_postgres.get((migrations, per_statement))
    if found is not None:
        return found
    scratch = f"readalong_scratch_{secrets.token_hex(6)}"
    steps = []
    derived: Derived | None = None
    with contextlib.suppress(_RolledBack):
        async with connection.transaction():
            path = await connection.fetchval("SELECT current_setting('search_path')")
            await connection.execute(f"CREATE SCHEMA {scratch}")
            await connection.execute(f"SET LOCAL search_path TO {scratch}")
            if not per_statement:
                for migration in migrations:
                    await connection.execute(migration.sql)
            before = await postgres_catalog(connection)
            for migration in migrations if per_statement else ():
                for statement in split_postgres(migration.sql):
                    await connection.execute(statement)
                    after = await postgres_catalog(connection)
                    steps.append(_step(migration.number, statement, before, after))
                    before = after
            derived = Derived(before, tuple(steps))
            await connection.execute("SELECT set_config('search_path', $1, true)", path)
            raise _RolledBack
    assert derived is not None
    _derived_postgres[migrations, per_statement] = derived
    return derived


class _RolledBack(Exception):
    """Raised to roll the scratch schema's savepoint back."""


async def check_postgres(
    connection: asyncpg.Connection[Any], where: str, migrations: Sequence[Migration], version: int
) -> None:
    """Compare the current schema with what ``migrations[:version]`` make; repair what can be
    repaired (inside the caller's transaction, in a savepoint), else raise
    :class:`IncompleteSchemaError` naming what is missing."""
    if version == 0:
        return
    import asyncpg

    try:
        derived = await derive_postgres(connection, tuple(migrations[:version]))
    except asyncpg.InsufficientPrivilegeError as error:
        # The scratch schema needs CREATE on the database; a user without it runs unchecked.
        log.warning("cannot check the schema of %s (no scratch schema: %s)", where, error)
        return
    actual = await postgres_catalog(connection)
    if _complete(derived, actual):
        return
    derived = await derive_postgres(connection, tuple(migrations[:version]), per_statement=True)
    plan = plan_repair(derived, actual, add_columns=True)
    if plan.unrepairable:
        raise IncompleteSchemaError(describe_missing(where, version, plan.unrepairable))
    async with connection.transaction():
        for statement in plan.statements:
            try:
                await connection.execute(statement)
            except asyncpg.PostgresError as error:
                raise IncompleteSchemaError(
                    f"{describe_missing(where, version, _missing(derived, actual))} (repairing it failed: {error})"
                ) from None
        still = _missing(derived, await postgres_catalog(connection))
        if still:
            raise IncompleteSchemaError(describe_missing(where, version, still))
    log.warning("repaired %s: restored %s, which an earlier version left out", where, _summary(plan.restored))
