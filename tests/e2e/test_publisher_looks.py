"""The publisher looks for due postings on a timer too (issue 28, finding 4): a posting it was
not woken for (a wake-up missed, or the posting recorded by another process on the same
database) starts within a few seconds, not when someone else's command next wakes it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.discord.posting.worker import LOOK_EVERY
from bot.sandbox import Sandbox, Seed
from bot.services.articles import import_article, parse_file
from tests.conftest import both_backends
from tests.postings import record_posting

pytestmark = both_backends


@pytest.mark.slow(seconds=5)
async def test_a_posting_nobody_woke_the_publisher_for_starts_within_a_few_seconds(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await sandbox.wait_idle(quiet=0.2)
    article = parse_file(sample_path, bot.settings.section_target_chars)
    stored = (await import_article(bot.store, article)).article
    # Recorded straight in the store, as another process (or a command whose wake-up was lost)
    # leaves it: nothing calls the publisher's wake.
    began = time.monotonic()
    await record_posting(
        bot.store,
        stored,
        guild_id=int(seed.guild_id),
        channel_id=int(seed.general_id),
        created_by=int(seed.admin_id),
    )
    await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 1, within=LOOK_EVERY + 10)
    took = time.monotonic() - began
    assert took < LOOK_EVERY + 5, took
    first = sandbox.messages("general")[0]["content"].split("\n")[0]
    assert first == "📖 **The Lessons of Zhanaozen**"
