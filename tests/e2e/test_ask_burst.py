"""A burst of questions (issue 26): many readers asking at once are all answered, and an answer
outlasts a 429 on its follow-up."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e.test_ask import posted

DIED = "> The result was that 16 people died and many more were injured."


async def test_thirty_asks_at_once_in_one_channel_are_all_answered(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await posted(sandbox, sample_path=sample_path)
    refused_before = sandbox.responses[429]  # the posting's, if the machine was slow
    readers = []
    for number in range(30):  # thirty members: none of them is held up by a cooldown
        user = sandbox.world.create_user(f"reader{number}")
        sandbox.world.add_member(seed.guild_id, user["id"])
        readers.append(str(user["username"]))
    results = await asyncio.gather(
        *(sandbox.run(name, "general", "/ask question:How many people died?") for name in readers)
    )
    for result in results:
        assert not result.failed and not result.ephemeral
        (answer,) = result.messages
        assert DIED in answer["content"], answer["content"]
    assert await bot.store.asks.count() == 30
    assert "failed (error id" not in caplog.text
    # Each interaction's follow-up was its own bucket: none was refused.
    assert sandbox.responses[429] == refused_before


async def test_an_answer_outlasts_429s_on_its_follow_up(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await posted(sandbox, sample_path=sample_path)
    refused_before = sandbox.responses[429]  # the posting's, if the machine was slow
    follow_ups = f"POST /webhooks/{seed.bot_id}/"
    # One 429: discord.py waits ``retry_after`` and sends again by itself.
    sandbox.rate_limit_next(follow_ups, retry_after=0.02)
    once = await sandbox.run("ben", "general", "/ask question:How many people died?")
    assert sandbox.responses[429] == refused_before + 1
    (answer,) = once.messages
    assert DIED in answer["content"]
    # Six in a row, past discord.py's five attempts: the bot waits and sends again, and the
    # answer is posted once.
    caplog.set_level(logging.WARNING, logger="bot.discord.followups")
    sandbox.rate_limit_next(follow_ups, retry_after=0.02, count=6)
    again = await sandbox.run("ada", "general", "/ask question:How many new jobs were created in 2012?")
    assert sandbox.responses[429] == refused_before + 7
    assert not again.failed and not again.ephemeral
    (answer,) = again.messages
    assert "5,000 new jobs" in answer["content"]
    assert "still rate-limited after discord.py's retries" in caplog.text
    assert "failed (error id" not in caplog.text
    assert await bot.store.asks.count() == 2
