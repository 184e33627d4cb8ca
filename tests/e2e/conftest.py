"""A sandbox and the real bot (``bot.discord.client.create_bot``) on a free port, for every end-to-end test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.discord import client
from bot.discord.client import ReadalongBot
from bot.domain.clock import Clock, SystemClock
from bot.domain.viewer import Viewer
from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import handlers_running, running_bot, sandbox_settings
from bot.settings import Settings
from tests.fresh_databases import migrated_sqlite


@pytest.fixture
def limits() -> RateLimitConfig:
    """Discord's rate limits in their shape (5 messages per channel per window, 5 webhook
    executions per window) with a twentieth of their windows, so that the bot is held to the same
    headers and 429s as on Discord without a test waiting 5 s per channel. A test of the pacing
    itself overrides this fixture (``RateLimitConfig()`` is Discord's own windows)."""
    return RateLimitConfig(messages_per_channel=Limit(5, 0.25), webhook_executions=Limit(5, 0.1))


DISCORDS_IDENTIFY_WINDOW = 5.0
"""Discord's one IDENTIFY per bucket every 5 s (Gateway, "Identifying"; ``max_concurrency``)."""
QUICK_IDENTIFY_WINDOW = 0.25
"""The window the end-to-end tests hold the bot and the sandbox to, as ``limits`` shortens the
rate limits: a test that restarts the bot would otherwise wait Discord's 5 s for its slot. Both
sides keep the rule (the sandbox refuses an IDENTIFY inside its window); the tests of the window
itself, and one exactly-once run per backend, set Discord's own back."""


@pytest.fixture(autouse=True)
def identify_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """The bot's IDENTIFY window for this test (the ``sandbox`` fixture's is the same); a test
    of the window sets ``client.IDENTIFY_WINDOW`` and ``sandbox.gateway.identify_window``."""
    assert client.IDENTIFY_WINDOW == DISCORDS_IDENTIFY_WINDOW
    monkeypatch.setattr(client, "IDENTIFY_WINDOW", QUICK_IDENTIFY_WINDOW)
    return QUICK_IDENTIFY_WINDOW


@pytest.fixture
def clock() -> Clock:
    """The one clock of the sandbox's world (ids, timestamps, CDN links) and of the ``bot``
    fixture (releases, polls): the system's. A test that moves time on overrides this fixture
    with a :class:`~bot.domain.clock.ManualClock`, and passes the same to any bot it starts itself
    (``running_bot(settings, clock=clock)``)."""
    return SystemClock()


@pytest.fixture
async def sandbox(limits: RateLimitConfig, identify_window: float, clock: Clock) -> AsyncIterator[Sandbox]:
    async with Sandbox(limits=limits, clock=clock) as server:
        # The bot runs in this event loop (running_bot): a response is complete once its handler
        # returned. A test that runs the bot in another process sets this back to None.
        server.handlers_running = handlers_running
        server.gateway.identify_window = identify_window
        yield server


@pytest.fixture
def seed(sandbox: Sandbox) -> Seed:
    return sandbox.seed()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The bot's SQLite file: migrated already, as after a first start (``tests.fresh_databases``)."""
    return migrated_sqlite(tmp_path / "readalong.db")


@pytest.fixture
def settings(
    sandbox: Sandbox, seed: Seed, db_path: Path, backend: str, request: pytest.FixtureRequest
) -> Settings:
    """The bot's settings against this sandbox: on ``db_path`` (SQLite), or on a migrated
    PostgreSQL schema of its own where the test runs on both backends
    (``tests.conftest.both_backends``)."""
    chosen = Settings(db_path=db_path)
    if backend == "postgresql":
        chosen = chosen.with_db(request.getfixturevalue("migrated_postgres_url"))
    return sandbox_settings(chosen, sandbox, seed.guild_id)


@pytest.fixture
async def bot(settings: Settings, clock: Clock) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings, clock=clock) as running:
        yield running


async def wait_archived(bot: ReadalongBot, *messages: Mapping[str, Any], within: float = 15.0) -> None:
    """Wait until the bot has archived these messages (as the sandbox returned them). Waiting for
    the sandbox to fall quiet is not enough on a loaded machine: the bot may still be reading the
    gateway's frames, or looking up where a message belongs."""
    wanted = [int(m["id"]) for m in messages]
    deadline = asyncio.get_running_loop().time() + within
    while True:
        missing = [i for i in wanted if await bot.store.messages.get(i, Viewer.operator()) is None]
        if not missing:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(
                f"{len(missing)} of {len(wanted)} messages not archived after {within:.0f} s"
            )
        await asyncio.sleep(0.05)


async def wait_posting_state(bot: ReadalongBot, posting_id: int, state: str, within: float = 10.0) -> None:
    """Wait until the posting is in ``state``. The publisher records an item's end after Discord
    answered its last request: on a loaded machine that can come after the sandbox fell quiet."""
    deadline = asyncio.get_running_loop().time() + within
    while (now := (await bot.store.postings.get(posting_id)).state) != state:
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"posting {posting_id} is {now!r}, not {state!r}, after {within:.0f} s")
        await asyncio.sleep(0.05)
