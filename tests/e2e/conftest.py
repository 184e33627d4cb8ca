"""A sandbox and the real bot (``bot.create_bot``) on a free port, for every end-to-end test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.client import ReadalongBot
from bot.sandbox import RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import running_bot, sandbox_settings
from bot.settings import Settings


@pytest.fixture
def limits() -> RateLimitConfig:
    """Discord's observed limits; a test overrides this fixture to make them tighter or looser."""
    return RateLimitConfig()


@pytest.fixture
async def sandbox(limits: RateLimitConfig) -> AsyncIterator[Sandbox]:
    async with Sandbox(limits=limits) as server:
        yield server


@pytest.fixture
def seed(sandbox: Sandbox) -> Seed:
    return sandbox.seed()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "readalong.db"


@pytest.fixture
def settings(sandbox: Sandbox, seed: Seed, db_path: Path) -> Settings:
    return sandbox_settings(Settings(db_path=db_path), sandbox, seed.guild_id)


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        yield running
