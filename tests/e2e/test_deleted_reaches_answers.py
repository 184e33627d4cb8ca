"""Issue 21: a reader's deletion (or edit) reaches what the bot already posted.

Ben's message answers a question; the bot quotes it in ``/ask``'s answer and in a mention's.
Ben deletes it: both posted answers are edited on Discord (the sandbox) without his words, within
seconds, also once the ``/ask`` interaction's token has expired (the sandbox expires tokens after
Discord's 15 minutes, on a clock the test moves on); the archived copies of the answers change
with them, so no export (JSON included, with ``purge_deleted`` too) holds his words."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.discord.client import ReadalongBot
from bot.discordfmt.answers import QUOTE_DELETED, QUOTE_EDITED
from bot.domain.viewer import Viewer
from bot.sandbox import RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import handlers_running, running_bot
from bot.sandbox.server import TOKEN_LIFETIME
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.conftest import wait_archived
from tests.e2e.test_archive_io import ARTICLE, download, post_sample
from tests.e2e.test_attack_exports import READER_Q, READER_SAYS, SECRET, deleted

pytestmark = both_backends
WORDS = "zebra committee"
"""Ben's words, in no answer but one that quotes him."""


class InteractionClock:
    """The sandbox's interaction clock, which the test moves on (tokens expire by it)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


@pytest.fixture
def interaction_clock() -> InteractionClock:
    return InteractionClock()


@pytest.fixture
async def sandbox(
    limits: RateLimitConfig, interaction_clock: InteractionClock, identify_window: float
) -> AsyncIterator[Sandbox]:
    async with Sandbox(limits=limits, interaction_clock=interaction_clock) as server:
        server.handlers_running = handlers_running
        server.gateway.identify_window = identify_window
        yield server


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


async def _export(sandbox: Sandbox, fmt: str) -> str:
    result = await sandbox.run_command(
        "ada", "general", "archive export", {"article": ARTICLE, "format": fmt}
    )
    assert not result.failed, result.text
    return (await download(result.messages))[1]


async def _until(check: Callable[[], bool], within: float) -> float:
    """Seconds until ``check`` holds (fails after ``within``)."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within:
            raise AssertionError(f"not within {within} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def _answered(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> tuple[dict[str, Any], dict[str, Any], Any, dict[str, Any], dict[str, Any]]:
    """Ben's message in §1's thread; ``/ask``'s run and answer (in #general) and a mention's
    answer (in the thread), both quoting Ben, as the sandbox holds them, archived."""
    await post_sample(sandbox, sample_path)
    thread = sandbox.threads("general")[1]
    said = sandbox.send("ben", thread, READER_SAYS)
    await sandbox.wait_idle()
    await wait_archived(bot, said)
    asked = await sandbox.run_command("ada", "general", "ask", {"question": READER_Q, "article": ARTICLE})
    assert not asked.failed, asked.text
    (ask_answer,) = asked.messages
    before = len(sandbox.messages(thread["id"]))
    sandbox.send("ada", thread, f"<@{seed.bot_id}> {READER_Q}")
    await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= before + 2, within=15)
    await sandbox.wait_idle()
    mention_answer = sandbox.messages(thread["id"])[-1]
    assert mention_answer["author"]["id"] == seed.bot_id
    await wait_archived(bot, ask_answer, mention_answer)
    # Control: both answers quote Ben, and so does every export (the JSON through them too).
    assert WORDS in ask_answer["content"] and WORDS in mention_answer["content"]
    for fmt in ("md", "html", "json"):
        assert WORDS in await _export(sandbox, fmt)
    return thread, said, asked, ask_answer, mention_answer


def _now(sandbox: Sandbox, message: dict[str, Any]) -> str:
    content: str = sandbox.world.message(message["channel_id"], message["id"])["content"]
    return content


async def test_a_deletion_reaches_the_posted_answers_after_the_token_expired(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, interaction_clock: InteractionClock
) -> None:
    _thread, said, asked, ask_answer, mention_answer = await _answered(sandbox, seed, bot, sample_path)

    # Sixteen minutes on: the /ask interaction's token has expired, as on Discord (401 50027).
    interaction_clock.offset += TOKEN_LIFETIME + 60
    token = asked.record.token
    async with aiohttp.ClientSession() as session:
        url = f"{sandbox.base_url}/api/v10/webhooks/{sandbox.world.application_id}/{token}/messages/@original"
        async with session.patch(url, json={"content": "too late"}) as response:
            assert (response.status, (await response.json())["code"]) == (401, 50027)

    sandbox.delete("ben", said)
    took = await _until(
        lambda: WORDS not in _now(sandbox, ask_answer) and WORDS not in _now(sandbox, mention_answer), 5.0
    )
    assert took < 5.0
    assert QUOTE_DELETED in _now(sandbox, ask_answer) and QUOTE_DELETED in _now(sandbox, mention_answer)
    assert _now(sandbox, ask_answer).startswith("**Q:** ")  # the question it answered stays
    await deleted(bot, int(said["id"]))

    # The archived copies changed with them (no earlier version kept): no export has his words.
    for answer in (ask_answer, mention_answer):
        stored = await bot.store.messages.get(int(answer["id"]), Viewer.operator())
        assert stored is not None and WORDS not in stored.content and stored.history == ()
    for fmt in ("md", "html", "json"):
        assert WORDS not in await _export(sandbox, fmt), fmt
    changed = await sandbox.run("ada", "general", "/article settings purge_deleted:True")
    assert not changed.failed, changed.text
    exported = await _export(sandbox, "json")
    assert WORDS not in exported and SECRET not in exported


async def test_an_edit_that_takes_the_quoted_words_away_reaches_the_answers(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    _thread, said, _asked, ask_answer, mention_answer = await _answered(sandbox, seed, bot, sample_path)
    sandbox.edit("ben", said, "Never mind, I was wrong about that.")
    await _until(
        lambda: WORDS not in _now(sandbox, ask_answer) and WORDS not in _now(sandbox, mention_answer), 5.0
    )
    assert QUOTE_EDITED in _now(sandbox, ask_answer)
    await sandbox.wait_idle()
    assert WORDS not in await _export(sandbox, "json")


async def test_a_deletion_while_the_bot_was_away_reaches_the_answers_at_backfill(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings) as bot:
        _thread, said, _asked, ask_answer, mention_answer = await _answered(sandbox, seed, bot, sample_path)
    sandbox.delete("ben", said)  # nobody hears it: the bot is down
    assert WORDS in _now(sandbox, ask_answer)
    async with running_bot(settings) as bot:
        discussion = bot.get_cog("Discussion")
        assert discussion is not None
        counts = await discussion.wait_backfilled()  # type: ignore[attr-defined]
        assert counts.deleted >= 1
        await _until(
            lambda: WORDS not in _now(sandbox, ask_answer) and WORDS not in _now(sandbox, mention_answer), 5.0
        )
        assert WORDS not in await _export(sandbox, "json")


async def test_an_answer_in_a_thread_archived_since_is_edited_and_the_thread_archived_again(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    thread, said, _asked, _ask_answer, mention_answer = await _answered(sandbox, seed, bot, sample_path)
    sandbox.archive(thread)  # Discord auto-archives a quiet thread; it refuses edits there (50083)
    sandbox.delete("ben", said)
    await _until(lambda: WORDS not in _now(sandbox, mention_answer), 5.0)
    await sandbox.wait_idle()
    assert sandbox.world.channel(thread["id"])["thread_metadata"]["archived"]
