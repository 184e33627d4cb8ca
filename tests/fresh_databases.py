"""Migrated databases for the tests, made once per worker and handed out fresh to each test.

Most tests need a store at today's schema, not a store being migrated. Migrating one costs the
same every time: 13 ms of CPU for a new SQLite file, and 180 ms of PostgreSQL's CPU for a new
schema (plus 12 ms to drop it), which over a run was a fifth of the suite's CPU. So:

- SQLite: the migrations run once per worker into a template file (through :class:`Store`, as a
  user's first start does); each test gets a copy of it, a real file of its own.
- PostgreSQL: each worker keeps the schemas its tests used, migrated, and empties one for the
  next test (every table's rows deleted, the rows the migrations wrote put back, the sequences
  started again: 5 ms of the server's CPU). A schema is kept only if its catalog is still what
  the migrations make, and it was emptied in full; otherwise it is dropped, as before. The
  schemas are taken and emptied over one connection per worker (:class:`KeptConnection`).

A test of the migrations themselves, or of a database the store has never opened, asks for
``postgres_url`` (an empty schema), ``new_database`` (either backend) or a path of its own in
``tmp_path``.

What the PostgreSQL migrations make, which the store compares an existing schema with when it
opens it, is worked out once per process in a scratch schema (``derive_postgres``: the
migrations run and rolled back, 0.4 s of the server's CPU with the files it makes and unlinks).
The process that hands the tests out works it out once for the run (:func:`share_derivation`);
its workers and the bots they fork read it from a file instead (:func:`learn_derivation`).
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import functools
import os
import pickle
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from bot.domain.database import PostgresUrl
from bot.store import Store, schema
from bot.store.dialect import POSTGRESQL
from bot.store.migration import load_migrations
from bot.store.schema import derive_postgres, postgres_catalog
from tests.harness import DERIVED_ENV

T = TypeVar("T")


def share_derivation(server: str) -> Path:
    """Work out what the PostgreSQL migrations make on ``server`` and write it to a file, named
    in :data:`DERIVED_ENV` for the processes started after (the workers inherit it)."""

    async def derive() -> None:
        admin = await asyncpg.connect(server, timeout=5)
        try:
            await derive_postgres(admin, tuple(load_migrations(dialect=POSTGRESQL)))
        finally:
            await admin.close()

    asyncio.run(derive())
    path = _folder_for_this_process("readalong-derived-") / "derived.pickle"
    # The store's own per-process record (bot.store.schema), handed on as it is.
    path.write_bytes(pickle.dumps(schema._derived_postgres))
    os.environ[DERIVED_ENV] = str(path)
    return path


def learn_derivation() -> None:
    """Take what :func:`share_derivation` worked out, if this run has it."""
    if path := os.environ.get(DERIVED_ENV):
        schema._derived_postgres.update(pickle.loads(Path(path).read_bytes()))


def _folder_for_this_process(prefix: str) -> Path:
    """A new temporary folder, removed when this process exits."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def _sqlite_template() -> Path:
    """This worker's migrated SQLite file, made on first use through :class:`Store`, as a user's
    first start makes one."""
    made = _folder_for_this_process("readalong-template-") / "readalong.db"

    async def migrate() -> None:
        async with Store(made):
            pass

    # In a thread of its own: a test's event loop may be running in this one.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, migrate()).result()
    # Everything in the main file, so that copying it alone copies the database (it stays in
    # WAL mode: the mode is written in the file's header).
    with contextlib.closing(sqlite3.connect(made)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return made


def migrated_sqlite(path: Path) -> Path:
    """A copy of this worker's migrated SQLite template at ``path``."""
    shutil.copyfile(_sqlite_template(), path)
    return path


@dataclass(frozen=True, slots=True)
class _Migrated:
    """What a schema holds just after the migrations: its catalog (as the store's schema check
    reads it), the rows they wrote, and its sequences."""

    catalog: dict[str, str]
    rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]
    """Per table, its writable columns and the rows the migrations left in it."""
    tables: tuple[str, ...]
    sequences: tuple[tuple[str, int], ...]
    """Each sequence with the value it starts at."""


async def new_schema(admin: asyncpg.Connection[Any]) -> str:
    """Make an empty schema with a name of its own on the test server; its name."""
    schema = f"readalong_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f"CREATE SCHEMA {schema}")
    return schema


class SchemaPool:
    """This worker's migrated PostgreSQL schemas, free for the next test."""

    def __init__(self) -> None:
        self._free: list[str] = []
        self._migrated: _Migrated | None = None

    async def take(self, admin: asyncpg.Connection[Any], server: PostgresUrl) -> str:
        """A migrated schema with nothing in it: a kept one, or one made and migrated now."""
        if self._free:
            return self._free.pop()
        schema = await new_schema(admin)
        async with Store(server.in_schema(schema)):
            pass
        if self._migrated is None:
            self._migrated = await _read_migrated(admin, schema)
        return schema

    async def give_back(self, admin: asyncpg.Connection[Any], schema: str) -> None:
        """Empty ``schema`` for the next test, or drop it if it cannot be."""
        if self._migrated is not None and await _emptied(admin, schema, self._migrated):
            self._free.append(schema)
        else:
            await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


async def _read_migrated(admin: asyncpg.Connection[Any], schema: str) -> _Migrated:
    tables = tuple(
        row[0]
        for row in await admin.fetch(
            "SELECT relname FROM pg_class WHERE relnamespace = $1::regnamespace AND relkind IN ('r', 'p')"
            " ORDER BY relname",
            schema,
        )
    )
    rows: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {}
    for table in tables:
        columns = tuple(
            row[0]
            for row in await admin.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0"
                " AND NOT attisdropped AND attgenerated = '' ORDER BY attnum",
                f"{schema}.{table}",
            )
        )
        listed = ", ".join(_quoted(column) for column in columns)
        found = [tuple(r) for r in await admin.fetch(f"SELECT {listed} FROM {schema}.{_quoted(table)}")]
        if found:
            rows[table] = (columns, found)
    sequences = tuple(
        (row[0], row[1])
        for row in await admin.fetch(
            "SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = $1", schema
        )
    )
    return _Migrated(await _catalog(admin, schema), rows, tables, sequences)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _catalog(admin: asyncpg.Connection[Any], schema: str) -> dict[str, str]:
    async with admin.transaction():
        await admin.execute(f"SET LOCAL search_path TO {schema}")
        return await postgres_catalog(admin)


async def _emptied(admin: asyncpg.Connection[Any], schema: str, migrated: _Migrated) -> bool:
    """Put ``schema`` back as the migrations left it; False if it is not the schema they make
    any more (a test changed it), or something still holds its tables."""
    try:
        if await _catalog(admin, schema) != migrated.catalog:
            return False
        async with admin.transaction():
            # A connection a test left open holding a lock: the schema is dropped instead.
            await admin.execute("SET LOCAL lock_timeout = '2s'")
            # Rows deleted as they are, with no trigger or foreign key run on the way.
            await admin.execute("SET LOCAL session_replication_role = replica")
            await admin.execute(
                "".join(f"DELETE FROM {schema}.{_quoted(table)};" for table in migrated.tables)
            )
            for table, (columns, rows) in migrated.rows.items():
                await admin.copy_records_to_table(table, records=rows, columns=columns, schema_name=schema)
            for sequence, start in migrated.sequences:
                await admin.execute(f"SELECT setval('{schema}.{sequence}', {start}, false)")
    except asyncpg.PostgresError:
        return False
    return True


Admin = tuple["asyncpg.Connection[Any]", PostgresUrl]
"""A connection to the test server, and the server's URL."""


class KeptConnection:
    """This worker's one admin connection to the test server, kept for the whole run on an event
    loop of its own, in a thread (each test has an event loop of its own, and a connection cannot
    outlive the loop it was opened in). Opened per test, it cost the server 10 ms of CPU more per
    test (a new backend, which reads the catalogs and plans its statements again) and the worker
    2.4 ms."""

    def __init__(self, connect: Callable[[], Awaitable[Admin]]) -> None:
        self._connect = connect
        self._admin: Admin | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, work: Callable[[asyncpg.Connection[Any], PostgresUrl], Awaitable[T]]) -> T:
        """``work(connection, server)`` on the kept connection (opened on first use, and again if
        the server closed it), awaited from the calling test's loop. What ``connect`` raises (a
        skip or a failure where no server answers) is raised here."""
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
            threading.Thread(target=self._loop.run_forever, name="readalong-test-admin", daemon=True).start()
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._run(work), self._loop))

    async def _run(self, work: Callable[[asyncpg.Connection[Any], PostgresUrl], Awaitable[T]]) -> T:
        if self._admin is None or self._admin[0].is_closed():
            self._admin = await self._connect()
        return await work(*self._admin)
