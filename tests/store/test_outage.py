"""A database that goes away and comes back: the store's own "unavailable" error, said once each
way, and a probe that notices the return within a second or two (PostgreSQL through a TCP proxy
that is cut, never the machine's server stopped; SQLite whose disk fails its reads)."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.domain.database import PostgresUrl
from bot.sandbox.tcpproxy import TcpProxy
from bot.store import Store
from bot.store.errors import UNAVAILABLE_MESSAGE, DatabaseUnavailableError, unavailable_from


def through(url: PostgresUrl, proxy: TcpProxy) -> PostgresUrl:
    """``url`` with its host and port those of ``proxy``."""
    parts = urlsplit(url.reveal())
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return PostgresUrl(urlunsplit(parts._replace(netloc=f"{user}{proxy.host}:{proxy.port}")))


async def proxy_for(url: PostgresUrl) -> TcpProxy:
    parts = urlsplit(url.reveal())
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    await proxy.start()
    return proxy


@pytest.mark.slow(seconds=3)
async def test_a_postgres_outage_is_the_stores_own_error_said_once_each_way(
    migrated_postgres_url: PostgresUrl, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = await proxy_for(migrated_postgres_url)
    caplog.set_level(logging.INFO)
    try:
        async with Store(through(migrated_postgres_url, proxy)) as store:
            assert await store.postings.active_ids() == []
            await proxy.cut()
            # Reads, writes and the posting leases: the store's error, never asyncpg's.
            for call in (
                store.postings.active_ids(),
                store.articles.count(),
                store.lease_posting(1),
            ):
                with pytest.raises(DatabaseUnavailableError) as raised:
                    await call
                assert str(raised.value) == UNAVAILABLE_MESSAGE
            with pytest.raises(DatabaseUnavailableError):
                async with store.transaction() as db:
                    await db.execute("SELECT 1")
            assert not store.availability.available
            assert store.availability.errors >= 4 and store.availability.outages == 1
            await asyncio.sleep(3.0)  # the probe keeps failing, quietly
            await proxy.restore()
            back = time.monotonic()
            await asyncio.wait_for(store.availability.wait(), 5.0)
            assert time.monotonic() - back < 2.5  # a probe every second, not a backoff
            assert await store.postings.active_ids() == []
            async with store.transaction() as db:
                await db.execute("SELECT 1")
            assert await store.lease_posting(1)
    finally:
        await proxy.close()
    lines = [r for r in caplog.records if r.name.startswith("bot.")]
    outage = [r.getMessage() for r in lines if "database" in r.getMessage()]
    assert any("the database is unavailable" in m for m in outage), outage
    assert any("the database is available again after" in m for m in outage), outage
    assert len(outage) <= 3, outage
    assert not any(r.exc_info for r in caplog.records), [r.getMessage() for r in caplog.records if r.exc_info]


async def test_health_check_finds_the_outage_itself(migrated_postgres_url: PostgresUrl) -> None:
    """No store call need fail first: ``reachable`` pings, and tells the availability."""
    proxy = await proxy_for(migrated_postgres_url)
    try:
        async with Store(through(migrated_postgres_url, proxy)) as store:
            assert await store.reachable(2.0)
            await proxy.cut()
            assert not await store.reachable(2.0)
            assert not store.availability.available
            await proxy.restore()
            await asyncio.wait_for(store.availability.wait(), 5.0)
            assert await store.reachable(2.0)
    finally:
        await proxy.close()


def test_sqlite_disk_errors_are_unavailable_and_others_are_not() -> None:
    import sqlite3

    io = sqlite3.OperationalError("disk I/O error")
    io.sqlite_errorcode = sqlite3.SQLITE_IOERR_WRITE
    assert isinstance(unavailable_from(io), DatabaseUnavailableError)
    syntax = sqlite3.OperationalError("near x: syntax error")
    syntax.sqlite_errorcode = sqlite3.SQLITE_ERROR
    assert unavailable_from(syntax) is None


def test_nothing_above_the_store_names_a_driver() -> None:
    """Driver exceptions never leave ``bot/store/``: no module above it imports sqlite3 or asyncpg
    (it would be to look at their exceptions)."""
    import re
    from pathlib import Path

    root = Path(__file__).parents[2]
    driver = re.compile(r"^\s*(import|from)\s+(sqlite3|asyncpg|aiosqlite)\b", re.MULTILINE)
    offenders = [
        str(path.relative_to(root))
        for folder in ("bot", "cogs")
        for path in (root / folder).rglob("*.py")
        if "store" not in path.relative_to(root).parts[:2] and driver.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
