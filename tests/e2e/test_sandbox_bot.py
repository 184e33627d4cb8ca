"""The bot through the sandbox: commands, resuming after a dropped connection, rate limits."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import discord
import pytest

from bot.discord import client
from bot.discord.client import ReadalongBot
from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from tests.conftest import readalong


async def test_about_answers_privately(sandbox: Sandbox, seed: Seed, bot: ReadalongBot) -> None:
    result = await sandbox.run("ben", "general", "/about")
    assert not result.failed
    assert result.ephemeral
    assert "Readalong" in result.text and "Articles stored: 0" in result.text
    assert sandbox.messages("general") == []  # private: nothing in the channel


async def test_commands_are_synced_to_the_guild_with_descriptions(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    commands = {c["name"]: c for c in sandbox.world.commands[seed.guild_id]}
    assert {"about", "article", "archive"} <= set(commands)
    assert "global" not in sandbox.world.commands  # global sync is a deliberate act

    def options(node: dict[str, object]) -> list[dict[str, object]]:
        found: list[dict[str, object]] = list(node.get("options") or [])  # type: ignore[call-overload]
        return found + [o for child in found for o in options(child)]

    for command in commands.values():
        for option in [command, *options(command)]:
            assert option["description"], f"{option['name']} has no help text"


async def test_resume_replays_every_event_missed_while_disconnected(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    seen: list[int] = []
    resumed = asyncio.Event()

    async def on_message(message: discord.Message) -> None:
        seen.append(message.id)

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_message)
    bot.add_listener(on_resumed)
    sent: list[str] = []

    async def members_keep_posting() -> None:
        for number in range(60):
            sent.append(sandbox.send("ben" if number % 2 else "ada", "general", f"message {number}")["id"])
            await asyncio.sleep(0.005)

    posting = asyncio.create_task(members_keep_posting())
    for _ in range(3):
        await asyncio.sleep(0.05)
        assert await sandbox.drop_gateway() == 1
    await posting
    await asyncio.wait_for(resumed.wait(), 10)
    await sandbox.wait_until(lambda: len(seen) >= len(sent), within=10)
    assert seen == [int(i) for i in sent]  # all of them, once each, in order
    assert sandbox.gateway.identifies == 1
    assert sandbox.gateway.resumes >= 1


@pytest.mark.slow
async def test_refused_resume_identifies_again(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Discord asks for a random 1-5 s before identifying again; the bot is held to 1-2 s here.
    monkeypatch.setattr(client, "IDENTIFY_WINDOW", 2.0)
    sandbox.gateway.identify_window = 2.0  # the sandbox refuses an IDENTIFY inside the window
    sandbox.refuse_next_resume()
    await sandbox.drop_gateway()
    await sandbox.wait_until(lambda: sandbox.gateway.identifies == 2, within=10)
    await sandbox.wait_until(lambda: len(sandbox.gateway.connections) == 1, within=10)
    result = await sandbox.run("ada", "general", "/about")
    assert not result.failed and "Readalong" in result.text


@pytest.fixture
def limits() -> RateLimitConfig:
    # Discord's shape (5 messages per window per channel), a tenth of its window, to keep tests short.
    return RateLimitConfig(messages_per_channel=Limit(5, 0.5))


@pytest.mark.slow(seconds=3)
async def test_burst_of_thirty_messages_draws_no_429(sandbox: Sandbox, seed: Seed, bot: ReadalongBot) -> None:
    channel = bot.get_channel(int(seed.general_id))
    assert isinstance(channel, discord.TextChannel)
    started = time.monotonic()
    for number in range(30):
        await channel.send(f"burst {number}")
    elapsed = time.monotonic() - started
    assert sandbox.responses[429] == 0
    assert [m["content"] for m in sandbox.messages("general")] == [f"burst {n}" for n in range(30)]
    # Six windows of five: the client waited on the headers instead of running into the limit.
    assert elapsed >= 5 * 0.5 * 0.9


async def test_bot_waits_out_a_429(sandbox: Sandbox, seed: Seed, bot: ReadalongBot) -> None:
    channel = bot.get_channel(int(seed.general_id))
    assert isinstance(channel, discord.TextChannel)
    sandbox.rate_limit_next("POST /channels/", retry_after=0.4)
    started = time.monotonic()
    message = await channel.send("after the limit")
    assert time.monotonic() - started >= 0.4
    assert sandbox.responses[429] == 1
    assert [m["id"] for m in sandbox.messages("general")] == [str(message.id)]


def test_sandbox_script_shows_the_bot_answering(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text(
        "/about\n/article post article:the-lessons-of-zhanaozen channel:#reading-room\n#Comments\n@ben\nGreat read.\n",
        encoding="utf-8",
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_"))}
    # The CLI's main in this process and thread (the script's session is the point, not the
    # process; the sandbox listens for SIGTERM, which only the main thread may).
    done = readalong("sandbox", "--script", str(script), cwd=tmp_path, env=environment)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Articles stored: 1." in out  # /about, answered privately
    assert "Posting **The Lessons of Zhanaozen** in #reading-room" in out
    assert "[#reading-room › §6/6" in out
    assert "Nathan Hamm [via webhook]" in out
    assert "→ you are now @ben" in out
    assert not list(tmp_path.glob("*.db"))  # nothing left behind without --data
