"""Discord's refusals the bot must be ready for (issue 12): the 3 s interaction deadline, locked
threads, replies without Read Message History, privileged intents not enabled, and the rights a
real invite gives. Each test runs the real bot through the sandbox, which refuses as Discord does."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.discord.posting.sender import to_embed
from bot.discordfmt.posting import intro
from bot.domain.article import Article, Comment, Section
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.state import check_message, trimmed_embed
from tests.e2e.test_archive import ARTICLE, discussion, post_sample
from tests.harness import ReadalongProcess


async def _with_a_private_thread(
    sandbox: Sandbox, bot: ReadalongBot, *, sample_path: Path
) -> dict[str, object]:
    """The sample posted, and a private thread of Ben's that the bot was added to: working out
    Ben's view now takes one Discord lookup (is Ben in that thread?)."""
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.create_private_thread("ben", "general", "ben's corner")
    sandbox.add_to_thread("ben", thread, "Readalong")
    sandbox.send("ben", thread, "the zebra committee meets at noon")
    sandbox.send("ben", sandbox.threads("general")[0], "A zebra thought on the first section")
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()
    return thread


SLOW_COMMANDS = [
    ("archive threads", {}, "Threads of"),
    ("archive search", {"query": "zebra"}, "zebra committee"),
    ("archive show", {"thread": "first section"}, "Transcript of"),
    ("archive export", {"article": ARTICLE, "format": "markdown"}, "[file the-lessons-of-zhanaozen.md]"),
    ("ask", {"question": "Who settled the wrangling in secret meetings?"}, "**Q:**"),
]


@pytest.mark.slow
async def test_commands_that_may_be_slow_defer_and_still_answer_when_discord_is_slow(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """All five commands at once, under one stall: each must defer within the deadline on its own
    (a command that waited for its lookup would miss it), and each answers in the end."""
    await _with_a_private_thread(sandbox, bot, sample_path=sample_path)
    first_section = sandbox.threads("general")[0]["id"]
    sandbox.interaction_deadline = 2.0  # Discord's 3 s, less the margin the bot should keep
    sandbox.stall(2.5)  # every REST call, the thread-member lookup included, waits 2.5 s
    results = await asyncio.gather(
        *(
            sandbox.run_command(
                "ben", "general", names, {"thread": first_section} if "thread" in options else options
            )
            for names, options, _ in SLOW_COMMANDS
        )
    )
    for (names, _, expected), result in zip(SLOW_COMMANDS, results, strict=True):
        assert not result.failed, names  # answered (deferred) within the deadline
        assert expected in result.text, (names, result.text)
        assert result.ephemeral is (names != "ask"), names
    assert sandbox.responses[404] == 0  # no 10062 Unknown interaction anywhere


async def test_an_error_after_a_public_deferral_is_still_private(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    result = await sandbox.run_command("ben", "general", "ask", {"question": "What happened?"})
    assert not result.failed
    assert "No article has been posted" in result.text
    assert all(m["flags"] & 64 for m in result.messages)  # ephemeral
    assert sandbox.messages("general") == []  # no public "thinking…" left behind


async def test_a_mention_in_a_locked_thread_is_not_answered_and_nothing_fails(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, caplog: pytest.LogCaptureFixture, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    section = sandbox.threads("general")[0]
    sandbox.world.update_thread(section["id"], seed.admin_id, {"locked": True})
    await sandbox.wait_idle()
    before = len(sandbox.messages(section["id"]))
    caplog.set_level(logging.INFO)
    # Ada owns the server (Manage Threads), so Discord lets her post in the locked thread; the bot,
    # with the invite permissions, may not.
    sandbox.send("ada", section, f"<@{seed.bot_id}> Who settled the wrangling in secret meetings?")
    await sandbox.wait_idle()
    assert len(sandbox.messages(section["id"])) == before + 1  # her question only
    assert any("locked thread" in r.getMessage() for r in caplog.records if r.name == "cogs.ask")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert sandbox.responses[403] == 0  # it did not even try


async def test_a_mention_is_answered_without_a_reply_when_history_is_denied(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, caplog: pytest.LogCaptureFixture, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    section = sandbox.threads("general")[0]
    sandbox.world.set_overwrite(seed.general_id, seed.bot_id, deny=perms.READ_MESSAGE_HISTORY, member=True)
    await sandbox.wait_idle()
    sandbox.send("ben", section, f"<@{seed.bot_id}> Who settled the wrangling in secret meetings?")
    await sandbox.wait_until(
        lambda: sandbox.messages(section["id"])[-1]["author"]["id"] == seed.bot_id, within=10
    )
    answer = sandbox.messages(section["id"])[-1]
    assert "message_reference" not in answer and answer["content"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_private_thread_the_bot_was_not_added_to_is_not_archived(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """With the invite permissions (no Manage Threads) Discord hides a private thread from the bot
    until someone adds it: the bot never receives its messages, so nobody finds them through it."""
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.create_private_thread("ben", "general", "just us")
    sandbox.send("ben", thread, "the zebra committee meets at noon")
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()
    for member in ("ben", "ada"):  # its member, and the owner who manages threads
        found = await sandbox.run_command(member, "general", "archive search", {"query": "zebra"})
        assert "Nothing found" in found.text, member


async def test_readalong_run_says_in_one_line_that_message_content_is_not_enabled(
    sandbox: Sandbox, seed: Seed, tmp_path: Path
) -> None:
    sandbox.gateway.enabled_intents &= ~(1 << 15)  # MESSAGE CONTENT off in the Developer Portal
    # ``readalong run`` in a process forked from the tests' starter (tests/harness.py), which
    # imported the bot once.
    process = ReadalongProcess(sandbox, seed.guild_id, tmp_path / "readalong.db", tmp_path / "run.log")
    try:
        await process.start()
        code = await asyncio.wait_for(process.wait(), 60)
    finally:
        await process.close()
    err = process.log.read_text()
    lines = err.strip().splitlines()
    problems = [line for line in lines if "MESSAGE CONTENT" in line]
    assert code == 2, err
    assert len(problems) == 1 and "Privileged Gateway Intents" in problems[0]
    assert "Traceback" not in err
    assert sandbox.gateway.identifies == 0


def test_the_intro_embed_fits_discords_limits_whatever_the_article() -> None:
    """The one embed the bot sends (a posting's intro) stays within Discord's embed limits even
    for an article whose title, author and source are far too long: each is clipped."""
    huge = "Ж" * 10_000
    section = Section(1, huge, 0, 10, "x" * 10)
    comments = tuple(Comment(i, huge, None, "c") for i in range(1, 40))
    article = Article(
        "a" * 64, huge, huge, dt.date(2024, 1, 1), 39, huge, "blog", "x" * 10, (section,), huge, comments
    )
    spec = intro(article, pace_minutes=10_080, with_comments=True).embed
    assert spec is not None
    embed = to_embed(spec).to_dict()
    check_message("", [trimmed_embed(embed)], [], None, None)  # raises ApiError if over a limit
    assert len(spec.title) == 256


@pytest.mark.slow
async def test_thread_autocomplete_gives_up_in_time_when_discord_is_slow(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """An autocomplete cannot be deferred: when working out the viewer is slow, it answers with no
    suggestions in time rather than late (which Discord refuses with 10062)."""
    await _with_a_private_thread(sandbox, bot, sample_path=sample_path)
    choices = await sandbox.autocomplete("ben", "general", "archive show", {"thread": "§"}, "thread")
    assert choices  # normally: the threads
    sandbox.stall(3.5)
    assert await sandbox.autocomplete("ben", "general", "archive show", {"thread": "§"}, "thread") == []
    await sandbox.wait_idle()
    assert sandbox.responses[404] == 0
