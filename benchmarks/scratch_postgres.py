"""The PostgreSQL server the benchmarks use, and a database and schema of a benchmark's own on
it, dropped after it (so a run never touches another's tables, and starts on clean catalogs)."""

from __future__ import annotations

import argparse
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from bot.domain.database import PostgresUrl

DEFAULT_SERVER = os.environ.get("READALONG_TEST_POSTGRES") or "postgresql://postgres@127.0.0.1:5432/test"
"""``READALONG_TEST_POSTGRES`` (as for the tests), else the local test server."""


def add_server_option(parser: argparse.ArgumentParser) -> None:
    """``--postgres URL``: the server to make the benchmark's schemas on."""
    parser.add_argument(
        "--postgres",
        default=DEFAULT_SERVER,
        help="a PostgreSQL server URL (a database of the run's own is made there and dropped); default: READALONG_TEST_POSTGRES,"
        " else the local test server",
    )


@asynccontextmanager
async def scratch_schema(server: str) -> AsyncIterator[PostgresUrl]:
    """A fresh schema on ``server`` for the block, as a URL whose tables go in it; dropped after.

    The schema is made in a database of the block's own where the server lets us make one: a
    database's system catalogs are its own, and where autovacuum is off (as here) a long-lived
    database's catalogs grow with every schema made and dropped in it (249 MB of pg_attribute was
    found), which every catalog read and every plan then pays for; SQLite's baseline starts on a
    new file, so PostgreSQL starts on new catalogs."""
    name = f"readalong_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server)
    database: str | None = name
    try:
        try:
            await admin.execute(f"CREATE DATABASE {database}")
        except asyncpg.InsufficientPrivilegeError:
            database = None  # no CREATEDB: a schema in the server's own database, as before
        where = PostgresUrl(server) if database is None else PostgresUrl(server).in_database(database)
        inside = await asyncpg.connect(where.reveal())
        try:
            await inside.execute(f"CREATE SCHEMA {name}")
            yield where.in_schema(name)
        finally:
            with contextlib.suppress(asyncpg.PostgresError):
                await inside.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")
            await inside.close()
    finally:
        if database is not None:
            with contextlib.suppress(asyncpg.PostgresError):
                await admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        await admin.close()
