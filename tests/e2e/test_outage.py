"""A 3 s PostgreSQL outage mid-posting, the bot on the real server through a TCP proxy that is cut
and restored (the machine's server is never stopped): health says not ready and a command answers
one line during it, ready again within seconds after it, the posting completes with nothing lost
or doubled, the metrics say so, and the log has a handful of lines about it, no traceback."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.discord.client import ReadalongBot
from bot.domain.database import PostgresUrl
from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.sandbox.tcpproxy import TcpProxy
from bot.settings import Settings
from bot.store.errors import UNAVAILABLE_MESSAGE
from tests.e2e.conftest import wait_archived
from tests.harness import sample_posted
from tests.store.test_outage import proxy_for, through

ARTICLE = "the-lessons-of-zhanaozen"
OUTAGE_SECONDS = 3.0


@pytest.fixture
def limits() -> RateLimitConfig:
    # Discord's shape, slow enough (5 messages per 1.5 s in a channel) that the posting is still
    # going when the database is cut after its second item.
    return RateLimitConfig(messages_per_channel=Limit(5, 1.5), webhook_executions=Limit(5, 1.0))


@pytest.fixture
async def proxy(migrated_postgres_url: PostgresUrl) -> AsyncIterator[TcpProxy]:
    proxied = await proxy_for(migrated_postgres_url)
    try:
        yield proxied
    finally:
        await proxied.close()


@pytest.fixture
def settings(
    sandbox: Sandbox, seed: Seed, tmp_path: Path, migrated_postgres_url: PostgresUrl, proxy: TcpProxy
) -> Settings:
    from bot.sandbox.harness import sandbox_settings

    base = Settings(db_path=tmp_path / "unused.db", health_port=0).with_db(
        through(migrated_postgres_url, proxy)
    )
    return sandbox_settings(base, sandbox, seed.guild_id)


async def health(port: int) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as response:
        return response.status, await response.json()


async def metrics(port: int) -> dict[str, float]:
    """``/metrics`` parsed: each sample's name (labels dropped) and value."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            found[name.split("{", 1)[0] if "{" in name and "le=" not in name else name] = float(value)
    return found


@pytest.mark.slow(seconds=8)
async def test_a_postgres_outage_mid_posting(
    sandbox: Sandbox,
    seed: Seed,
    settings: Settings,
    proxy: TcpProxy,
    sample_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with running_bot(settings) as bot:
        assert bot.health is not None and bot.health.port is not None
        port = bot.health.port
        status, body = await health(port)
        assert (status, body["ready"], body["database_reachable"], body["gateway_connected"]) == (
            200,
            True,
            True,
            True,
        )

        imported = await sandbox.run_command(
            "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
        assert not imported.failed
        posted = await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "general"}
        )
        assert not posted.failed
        await sandbox.wait_until(lambda: len(sandbox.threads(seed.general_id)) >= 1, within=30.0)

        await proxy.cut()
        cut_at = time.monotonic()
        first_line = len(caplog.records)
        status, body = await health(port)
        assert status == 503 and body["ready"] is False and body["database_reachable"] is False
        assert body["gateway_connected"] is True
        answered = await sandbox.run_command("ada", "general", "article list")
        assert answered.text == UNAVAILABLE_MESSAGE and answered.ephemeral
        # Autocomplete offers nothing rather than failing with a traceback.
        assert (
            await sandbox.autocomplete(
                "ada", "general", "ask", {"question": "who", "article": "zh"}, "article"
            )
            == []
        )
        # Members keep talking in the first section's thread: nothing they say is lost.
        thread = sandbox.threads(seed.general_id)[0]["id"]
        said = [sandbox.send("ben", thread, f"said during the outage {n}") for n in range(5)]
        await asyncio.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - cut_at)))

        await proxy.restore()
        back_at = time.monotonic()
        while (await health(port))[0] != 200:
            assert time.monotonic() - back_at < 5.0, "not ready 5 s after the database returned"
            await asyncio.sleep(0.1)
        ready_after = time.monotonic() - back_at
        last_line = len(caplog.records)

        await sandbox.wait_until(lambda: sample_posted(sandbox, seed.general_id), within=60.0)
        await until_done(bot)
        await wait_archived(bot, *said)
        await assert_posted_once(bot, sandbox, seed)
        seen = await metrics(port)
        items = await bot.store.postings.items(1)
        assert seen["readalong_items_sent_total"] == len(items)
        assert seen["readalong_database_errors_total"] >= 1
        assert seen["readalong_database_outages_total"] == 1
        assert seen["readalong_database_available"] == 1
        assert seen["readalong_postings_behind_schedule"] == 0
        assert seen["readalong_recorder_queue_length"] == 0
        assert "readalong_ask_latency_seconds_count" in seen

    during = [r for r in caplog.records[first_line:last_line] if r.levelno >= logging.INFO]
    about_it = [r.getMessage() for r in during if "posting" not in r.name or r.levelno >= logging.WARNING]
    # The store's line (and its "available again" at INFO), the recorder's, the lock connection's
    # taken again; asyncpg's nothing.
    assert len([r for r in during if r.levelno >= logging.WARNING]) <= 3, about_it
    tracebacks = [r.getMessage() for r in caplog.records if r.exc_info]
    assert not tracebacks, tracebacks
    assert ready_after < 5.0


async def assert_posted_once(bot: ReadalongBot, sandbox: Sandbox, seed: Seed) -> None:
    """Every item done with a message of its own that exists, and no message of the bot's twice."""
    items = await bot.store.postings.items(1)
    assert items and all(item.status == "done" and item.message_id for item in items), [
        (i.seq, i.kind, i.status, i.message_id) for i in items
    ]
    assert len({item.message_id for item in items}) == len(items)
    texts = [
        m["content"] for m in sandbox.messages(seed.general_id) if m["author"]["id"] == sandbox.world.bot_id
    ]
    assert len(texts) == len(set(texts)), "a message was posted twice"
    for item in items:
        channel = str(item.container_id or seed.general_id)
        assert str(item.message_id) in sandbox.world.messages[channel]


async def until_done(bot: ReadalongBot, within: float = 10.0) -> None:
    """The last item's "done" is committed just after its message shows."""
    deadline = time.monotonic() + within
    while await bot.store.postings.active_ids():
        assert time.monotonic() < deadline, "the posting did not finish"
        await asyncio.sleep(0.05)
