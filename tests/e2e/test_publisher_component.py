"""The publisher as a component of the bot (issue 24, item 1): started by the bot, not by a cog;
told of every posting change by the posting service, whoever calls it; and reading a posting's
items once per run instead of once per item (a posting of n comments used to read n² rows)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.discord.posting import worker
from bot.domain.posting import ItemRow
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services import posting as posting_service
from bot.services.articles import import_article, parse_file
from bot.settings import Settings
from tests.conftest import both_backends
from tests.postings import record_posting

pytestmark = both_backends


async def _done(bot: ReadalongBot, posting_id: int) -> bool:
    return (await bot.store.postings.get(posting_id)).state == "done"


async def test_a_posting_with_comments_reads_its_items_once_not_once_per_item(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sandbox.wait_idle(quiet=0.2)
    article = parse_file(sample_path, bot.settings.section_target_chars)
    assert any(c.reply_to is not None for c in article.comments)
    stored = (await import_article(bot.store, article)).article
    reads: list[int] = []
    real: Callable[[int], Awaitable[list[ItemRow]]] = bot.store.postings.items

    async def counted(posting_id: int) -> list[ItemRow]:  # the real query, counted
        reads.append(posting_id)
        return await real(posting_id)

    monkeypatch.setattr(bot.store.postings, "items", counted)
    posting = await record_posting(
        bot.store,
        stored,
        guild_id=int(seed.guild_id),
        channel_id=int(seed.general_id),
        created_by=int(seed.admin_id),
        with_comments=True,
    )
    bot.publisher.wake()
    deadline = time.monotonic() + 90
    while not await _done(bot, posting.id):
        assert time.monotonic() < deadline, f"posting not done; items read {len(reads)} times"
        await sandbox.wait_idle(quiet=0.2)
    items = await real(posting.id)
    assert len(items) >= 8 and all(row.status == "done" for row in items)
    # The items were read once for the run, not once for each of them; and the copy the run kept
    # current served the links between items: the comments went into the comments thread, and
    # a reply links to the comment it replies to (sent earlier in the same run).
    assert reads.count(posting.id) == 1, reads
    (header,) = [row for row in items if row.kind == "comments"]
    comments = sandbox.messages(str(header.thread_id))
    assert len(comments) == len([row for row in items if row.kind == "comment"])
    assert any("replying to [" in m["content"] for m in comments), [m["content"][:80] for m in comments]


async def test_the_publisher_is_the_bots_and_outlives_the_reading_cog(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await sandbox.wait_idle(quiet=0.2)
    article = parse_file(sample_path, bot.settings.section_target_chars)
    stored = (await import_article(bot.store, article)).article
    await bot.remove_cog("Reading")  # the commands go; the sending does not
    posting = await record_posting(
        bot.store,
        stored,
        guild_id=int(seed.guild_id),
        channel_id=int(seed.general_id),
        created_by=int(seed.admin_id),
    )
    bot.publisher.wake()
    await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 2, within=30)
    assert (await bot.store.postings.items(posting.id))[0].status == "done"


async def test_a_resume_through_the_service_reaches_the_publisher_without_a_cog(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any front end that steers a posting through the service (not only the cog) wakes the
    publisher: a resumed posting goes out at once, not at the publisher's next timed look."""
    # The bot's manager looks on its own only every ten minutes from its start: what wakes it
    # is the event.
    monkeypatch.setattr(worker, "LOOK_EVERY", 600.0)
    async with running_bot(settings) as bot:
        await sandbox.wait_idle(quiet=0.2)
        guild = int(seed.guild_id)
        article = parse_file(sample_path, bot.settings.section_target_chars)
        stored = (await import_article(bot.store, article)).article
        # Recorded straight in the store (nobody is told), then paused through the service.
        await record_posting(
            bot.store, stored, guild_id=guild, channel_id=int(seed.general_id), created_by=int(seed.admin_id)
        )
        paused = await posting_service.pause(bot.store, guild, stored.id, events=bot.posting_events)
        await sandbox.wait_idle(quiet=0.5)
        assert sandbox.messages("general") == [] and paused.id is not None
        await posting_service.resume(bot.store, guild, stored.id, events=bot.posting_events)
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 2, within=30)
