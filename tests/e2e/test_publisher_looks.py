"""The publisher looks for due postings on a timer too (issue 28, finding 4): a posting it was
not woken for (a wake-up missed, or the posting recorded by another process on the same
database) starts within a few seconds, not when someone else's command next wakes it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.discord.posting import worker
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services.articles import import_article, parse_file
from bot.settings import Settings
from tests.conftest import both_backends
from tests.postings import record_posting

pytestmark = both_backends


QUICK_LOOK = 1.0
"""The timer's period in this test: the point is that the timer looks on its own, not how long
the product's period is (checked to be a few seconds apart)."""


async def test_a_posting_nobody_woke_the_publisher_for_starts_within_a_few_seconds(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert worker.LOOK_EVERY <= 5.0  # "a few seconds"
    monkeypatch.setattr(worker, "LOOK_EVERY", QUICK_LOOK)
    async with running_bot(settings) as bot:
        await sandbox.wait_idle(quiet=0.2)
        article = parse_file(sample_path, bot.settings.section_target_chars)
        stored = (await import_article(bot.store, article)).article
        # Recorded straight in the store, as another process (or a command whose wake-up was
        # lost) leaves it: nothing calls the publisher's wake.
        began = time.monotonic()
        await record_posting(
            bot.store,
            stored,
            guild_id=int(seed.guild_id),
            channel_id=int(seed.general_id),
            created_by=int(seed.admin_id),
        )
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 1, within=QUICK_LOOK + 10)
        took = time.monotonic() - began
        assert took < QUICK_LOOK + 5, took
        first = sandbox.messages("general")[0]["content"].split("\n")[0]
        assert first == "📖 **The Lessons of Zhanaozen**"
