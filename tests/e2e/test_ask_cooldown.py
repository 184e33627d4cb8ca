"""The ``/ask`` cooldown (issue 15): only a question that was answered makes the member wait; a
refused or failed question, by ``/ask`` or by a mention, does not."""

from __future__ import annotations

from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed

ARTICLE = "the-lessons-of-zhanaozen"
SLOW_DOWN = "Slow down a little"


async def posted(sandbox: Sandbox, sample_path: Path) -> None:
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command("ada", "general", "article post", {"article": ARTICLE, "channel": "general"})
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 7, within=30)
    await sandbox.wait_idle()


async def test_only_an_answered_ask_starts_the_cooldown(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    assert bot.settings.ask_cooldown_seconds >= 5  # the default: long enough to be hit below
    await posted(sandbox, sample_path)
    refused = await sandbox.run("ben", "general", "/ask question:What is the capital of France?")
    assert "Not found in the article" in refused.text
    failed = await sandbox.run(
        "ben", "general", "/ask question:How many people died? article:no-such-article"
    )
    assert "unknown article" in failed.text, failed.text
    answered = await sandbox.run("ben", "general", "/ask question:How many people died?")
    assert "16 people died" in answered.text
    again = await sandbox.run("ben", "general", "/ask question:How many new jobs were created?")
    assert again.ephemeral and SLOW_DOWN in again.text
    # Another member is not held up by Ben's cooldown.
    other = await sandbox.run("ada", "general", "/ask question:How many new jobs were created in 2012?")
    assert "5,000 new jobs" in other.text


async def test_only_an_answered_mention_starts_the_cooldown(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path)
    thread = sandbox.threads("general")[0]

    async def mention(text: str) -> str:
        before = len(sandbox.messages(thread["id"]))
        sandbox.send("ben", thread, f"<@{seed.bot_id}> {text}")
        await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= before + 2, within=10)
        reply = sandbox.messages(thread["id"])[-1]
        assert reply["author"]["id"] == seed.bot_id
        return str(reply["content"])

    assert "Not found in the article" in await mention("what is the capital of France?")
    assert "16 people died" in await mention("how many people died?")
    # Answered: the next mention within the cooldown gets no reply (quiet rather than scolding).
    sandbox.send("ben", thread, f"<@{seed.bot_id}> how many new jobs were created in 2012?")
    await sandbox.wait_idle()
    assert sandbox.messages(thread["id"])[-1]["author"]["id"] != seed.bot_id
