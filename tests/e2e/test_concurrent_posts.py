"""Six admins posting at once, each in a server of their own (issue 28, finding 4): every one is
answered with the posting just recorded (never "no posting N"), and every posting starts at
once, without waiting for another command to wake the publisher."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.services.articles import import_article, parse_file
from bot.settings import Settings
from tests.conftest import both_backends

pytestmark = both_backends

ARTICLE = "the-lessons-of-zhanaozen"
SERVERS = 6
ROUNDS = 4


@pytest.mark.slow
async def test_six_admins_post_at_once_and_each_posting_starts(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    servers = [seed.guild_id] + [
        sandbox.add_server(seed, f"Server {n}", f"reading-{n}")[0] for n in range(1, SERVERS)
    ]
    async with running_bot(settings) as bot:
        for guild_id in servers:  # as if synced there too
            sandbox.world.commands[guild_id] = list(sandbox.world.commands[seed.guild_id])
        await import_article(bot.store, parse_file(sample_path, settings.section_target_chars))
        for round_ in range(ROUNDS):
            channels = [str(sandbox.world.create_channel(g, f"round-{round_}")["id"]) for g in servers]
            await sandbox.wait_idle(quiet=0.2)
            results = await asyncio.gather(
                *(
                    sandbox.run_command(
                        "ada", channel, "article post", {"article": ARTICLE, "channel": channel, "pace": 60}
                    )
                    for channel in channels
                )
            )
            refused = [r.text for r in results if "Posting **The Lessons of Zhanaozen**" not in r.text]
            assert not refused, f"round {round_ + 1}: {refused}"

            # The intro and §1 of every posting, at once (the rest is paced an hour apart).
            def started(channels: list[str] = channels) -> bool:
                return all(len(sandbox.messages(c)) >= 2 for c in channels)

            await sandbox.wait_until(started, within=20)
        await sandbox.wait_idle(quiet=0.3)
        for g in servers:
            assert len(await bot.store.postings.for_guild(int(g))) == ROUNDS
