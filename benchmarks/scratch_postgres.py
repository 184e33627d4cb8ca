"""The PostgreSQL server the benchmarks use, and a schema of a benchmark's own on it, dropped
after it (so a run never touches another's tables)."""

from __future__ import annotations

import argparse
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
        help="a PostgreSQL URL (a schema is made there and dropped); default: READALONG_TEST_POSTGRES,"
        " else the local test server",
    )


@asynccontextmanager
async def scratch_schema(server: str) -> AsyncIterator[PostgresUrl]:
    """A fresh schema on ``server`` for the block, as a URL whose tables go in it; dropped after."""
    admin = await asyncpg.connect(server)
    schema = f"readalong_bench_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
        yield PostgresUrl(server).in_schema(schema)
    finally:
        await admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        await admin.close()
