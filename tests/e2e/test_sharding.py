"""The bot sharded (issue 16), the real discord.py client over the sandbox: one process running
both shards of two serves both servers, one shard is dropped and resumed alone without losing a
message, and a process holding one shard does only its servers' work (postings, backfill,
recording, commands) and leaves the other servers' postings untouched, pending."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from bot.discord import client
from bot.discord.client import ReadalongBot
from bot.domain.shards import ShardSet, shard_of
from bot.domain.viewer import Viewer
from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import handlers_running, running_bot
from bot.services.articles import parse_file
from bot.settings import Settings
from bot.store import Store
from tests.conftest import both_backends
from tests.e2e.conftest import wait_archived
from tests.harness import ReadalongProcess
from tests.postings import record_posting

if TYPE_CHECKING:
    from cogs.discussion import Discussion

pytestmark = [pytest.mark.slow, both_backends]
"""Starting shards takes IDENTIFY windows (1 s each here): queued first, run side by side."""

ARTICLE = "the-lessons-of-zhanaozen"
SECOND = "a-second-reading"
IDENTIFY_WINDOW = 1.0
"""The window the bot is held to here: Discord's rule in its shape, with a fifth of its length
(as the ``limits`` fixture does for rate limits), so that a test does not wait 5 s per shard."""


@pytest.fixture(autouse=True)
def identify_window(monkeypatch: pytest.MonkeyPatch) -> float:
    """The bot waits Discord's own window, shortened for these tests to ``IDENTIFY_WINDOW``."""
    monkeypatch.setattr(client, "IDENTIFY_WINDOW", IDENTIFY_WINDOW)
    return IDENTIFY_WINDOW


@pytest.fixture
def limits() -> RateLimitConfig:
    # Discord's shape (5 messages per window per channel) with a tenth of its window.
    return RateLimitConfig(messages_per_channel=Limit(5, 0.5), webhook_executions=Limit(5, 0.2))


@pytest.fixture
async def sandbox(limits: RateLimitConfig) -> AsyncIterator[Sandbox]:
    """Each shard in an IDENTIFY bucket of its own (``max_concurrency`` 16, as Discord gives large
    bots), so shards start together; the tests of the IDENTIFY window set it to 1 or 2 first."""
    async with Sandbox(limits=limits, max_concurrency=16) as server:
        server.handlers_running = handlers_running  # as tests/e2e/conftest.py's sandbox
        server.gateway.identify_window = IDENTIFY_WINDOW  # it refuses what the bot is held to
        yield server


def other_server(sandbox: Sandbox, seed: Seed, shard: int) -> str:
    """A second server on shard ``shard`` of 2, with ada as admin, the bot and a #news channel."""
    guild_id, _ = sandbox.add_server(seed, "Another Server", "news", shard=(shard, 2))
    return guild_id


def sharded(settings: Settings, spec: str) -> Settings:
    return dataclasses.replace(settings, shards=ShardSet.parse(spec, 2))


def heads(sandbox: Sandbox, channel: str) -> list[str]:
    return [m["content"].split("\n")[0][:6] for m in sandbox.messages(channel)]


def all_sections(sandbox: Sandbox, channel: str) -> bool:
    return heads(sandbox, channel)[1:7] == [f"**§{n}/6" for n in range(1, 7)]


async def command(sandbox: Sandbox, channel: str, names: str, options: dict[str, Any], expect: str) -> None:
    result = await sandbox.run_command("ada", channel, names, options)
    assert not result.failed and expect in result.text, result.text


async def post_in_both(sandbox: Sandbox, seed: Seed, other: str, sample_path: Path) -> None:
    """Import the sample in the seed server and a retitled copy in the other, post each in its
    server's channel (each command answered by the shard of its server), and wait for both."""
    world = sandbox.world
    world.commands[other] = list(world.commands[seed.guild_id])  # as if synced there too
    sample = sample_path.read_bytes()
    copy = sample_path.read_text(encoding="utf-8").replace("The Lessons of Zhanaozen", "A Second Reading", 1)
    await command(sandbox, "general", "article import", {"file": (sample_path.name, sample)}, "Imported")
    await command(sandbox, "news", "article import", {"file": ("second.txt", copy.encode())}, "Imported")
    await command(
        sandbox,
        "general",
        "article post",
        {"article": ARTICLE, "channel": "general", "comments": False},
        "Posting",
    )
    await command(
        sandbox, "news", "article post", {"article": SECOND, "channel": "news", "comments": False}, "Posting"
    )
    await sandbox.wait_until(
        lambda: all_sections(sandbox, "general") and all_sections(sandbox, "news"), within=30
    )
    await sandbox.wait_idle()


def discussion(bot: ReadalongBot) -> Discussion:
    cog = bot.get_cog("Discussion")
    assert cog is not None and type(cog).__name__ == "Discussion"
    return cast("Discussion", cog)


async def archived(bot: ReadalongBot, message: dict[str, Any]) -> bool:
    return await bot.store.messages.get(int(message["id"]), Viewer.operator()) is not None


async def test_without_shard_flags_the_bot_runs_discords_recommended_count(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    other = other_server(sandbox, seed, 1 - shard_of(int(seed.guild_id), 2))
    async with running_bot(settings) as bot:  # the default: one shard, as Discord recommends most bots
        assert bot.shard_count == 1 and sandbox.gateway.live_shards() == [(0, 1)]
        assert sorted(g.id for g in bot.guilds) == sorted([int(seed.guild_id), int(other)])
    sandbox.gateway.recommended_shards = 2  # Discord works the count out from the bot's servers
    async with running_bot(settings) as bot:
        assert bot.shard_count == 2 and sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
        assert sorted(g.id for g in bot.guilds) == sorted([int(seed.guild_id), int(other)])
        assert all(bot.shard_set.owns(g.id) for g in bot.guilds)


async def test_one_process_running_both_shards_serves_both_servers(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    sandbox.gateway.max_concurrency = 1  # as for most bots: every shard in one bucket
    other = other_server(sandbox, seed, 1 - shard_of(int(seed.guild_id), 2))
    async with running_bot(sharded(settings, "0-1")) as bot:
        assert sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
        assert {g.id: g.shard_id for g in bot.guilds} == {
            int(seed.guild_id): shard_of(int(seed.guild_id), 2),
            int(other): shard_of(int(other), 2),
        }
        await post_in_both(sandbox, seed, other, sample_path)
        first, second = sandbox.threads("general")[0], sandbox.threads("news")[0]
        said = [sandbox.send("ben", first, "On §1 here"), sandbox.send("ben", second, "On §1 there")]
        await wait_archived(bot, *said)
    # The shards start one after another, an IDENTIFY window apart: with max_concurrency 1
    # (GET /gateway/bot) every shard is in the same bucket.
    (started, first_shard), (later, second_shard) = sandbox.gateway.identify_log
    assert (first_shard, second_shard) == ((0, 2), (1, 2)) and later - started >= IDENTIFY_WINDOW


async def test_shards_identify_bucket_by_bucket_as_max_concurrency_allows(
    sandbox: Sandbox, seed: Seed, settings: Settings
) -> None:
    """Discord's docs (Gateway, "Max Concurrency"): shards in different buckets
    (``shard_id % max_concurrency``) may identify together, the buckets in order, each bucket
    once every 5 s."""
    sandbox.gateway.max_concurrency = 2
    async with running_bot(dataclasses.replace(settings, shards=ShardSet.parse("0-3", 4))):
        assert sandbox.gateway.live_shards() == [(n, 4) for n in range(4)]
    log = sandbox.gateway.identify_log
    assert [shard for _, shard in log] == [(n, 4) for n in range(4)]
    at = {shard[0]: moment for moment, shard in log if shard is not None}
    assert at[2] - at[0] >= IDENTIFY_WINDOW and at[3] - at[1] >= IDENTIFY_WINDOW  # same bucket
    assert at[1] - at[0] < IDENTIFY_WINDOW  # another bucket: no need to wait for the first


async def test_one_shard_dropped_and_resumed_alone_loses_no_message(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    held = shard_of(int(seed.guild_id), 2)
    other = other_server(sandbox, seed, 1 - held)
    async with running_bot(sharded(settings, "0-1")) as bot:
        await post_in_both(sandbox, seed, other, sample_path)
        here, there = sandbox.threads("general")[0], sandbox.threads("news")[0]
        identified = sandbox.gateway.identifies
        assert await sandbox.drop(shard=shard_of(int(other), 2)) == 1
        # Said while the other server's shard is away (replayed on its resume) and on the shard
        # that stayed up (sent live).
        said = [sandbox.send("ben", there, f"while away {n}") for n in range(5)]
        said += [sandbox.send("ben", here, f"meanwhile here {n}") for n in range(5)]
        await sandbox.wait_until(lambda: sandbox.gateway.resumes == 1, within=15)
        said += [sandbox.send("ada", there, "after the resume")]
        await wait_archived(bot, *said)
        assert sandbox.gateway.identifies == identified  # resumed, not identified again
        assert sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
        stored = await bot.store.messages.in_channel(int(there["id"]), Viewer.operator())
        assert [m.content for m in stored if m.author_bot is False] == [m["content"] for m in said[:5]] + [
            "after the resume"
        ]


async def test_a_process_holding_one_shard_does_only_its_servers_work(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, db_path: Path
) -> None:
    held = shard_of(int(seed.guild_id), 2)
    other = other_server(sandbox, seed, 1 - held)
    async with running_bot(sharded(settings, "0-1")):  # earlier, one process held both shards
        await post_in_both(sandbox, seed, other, sample_path)
    here, there = sandbox.threads("general")[0], sandbox.threads("news")[0]
    down = [sandbox.send("ben", here, "while down, here"), sandbox.send("ben", there, "while down, there")]
    # A posting in each server, made while the other shard's process ran (same database).
    world = sandbox.world
    books = world.create_channel(seed.guild_id, "books")
    notes = world.create_channel(other, "notes")
    article = parse_file(sample_path, settings.section_target_chars)
    postings = {}
    async with Store(settings.database) as store:
        for guild_id, channel in ((seed.guild_id, books), (other, notes)):
            posting = await record_posting(
                store,
                article,
                article_id=ARTICLE if guild_id == seed.guild_id else SECOND,
                guild_id=int(guild_id),
                channel_id=int(channel["id"]),
                created_by=int(seed.admin_id),
            )
            postings[guild_id] = posting.id

    async with running_bot(sharded(settings, str(held))) as bot:
        assert sandbox.gateway.live_shards() == [(held, 2)]
        assert [g.id for g in bot.guilds] == [int(seed.guild_id)]
        # Backfill: this server's missed message, not the other server's.
        await discussion(bot).wait_backfilled()
        assert await archived(bot, down[0]) and not await archived(bot, down[1])
        # Recording: the other server's events never reach this process.
        live_there = sandbox.send("ben", there, "live, there")
        live_here = sandbox.send("ben", here, "live, here")
        await wait_archived(bot, live_here)
        await discussion(bot).recorder.drain()
        assert not await archived(bot, live_there)
        # Postings: this server's is sent; the other's stays as it was, every item pending.
        await sandbox.wait_until(lambda: all_sections(sandbox, "books"), within=30)
        await sandbox.wait_idle()
        assert sandbox.messages("notes") == []
        items = await bot.store.postings.items(postings[other])
        assert items and {i.status for i in items} == {"pending"}
        assert (await bot.store.postings.get(postings[other])).state == "active"
        # Commands: an interaction goes to its server's shard, which no process here holds (no
        # need to wait Discord's 3 s to see that nothing answers).
        deadline, sandbox.interaction_deadline = sandbox.interaction_deadline, 1.0
        unanswered = await sandbox.run_command("ada", "news", "article status", {"article": SECOND})
        assert unanswered.failed
        sandbox.interaction_deadline = deadline
        await command(sandbox, "general", "article status", {"article": ARTICLE}, "")


async def test_run_explains_discord_requiring_more_shards(
    sandbox: Sandbox, seed: Seed, tmp_path: Path
) -> None:
    """``readalong run`` as a process: Discord closing the connection with 4011 Sharding Required
    (too many servers for one session) is one line and exit 2, not a traceback."""
    other_server(sandbox, seed, 1 - shard_of(int(seed.guild_id), 2))
    sandbox.gateway.max_guilds_per_shard = 1  # Discord: 2,500
    # Forked from the tests' starter (tests/harness.py), which imported the bot once.
    process = ReadalongProcess(sandbox, seed.guild_id, tmp_path / "r.db", tmp_path / "run.log")
    try:
        await process.start()
        code = await asyncio.wait_for(process.wait(), timeout=60)
    finally:
        await process.close()
    err = process.log.read_text()
    lines = [line for line in err.splitlines() if line.startswith("readalong: error:")]
    assert code == 2, err
    assert lines == [
        "readalong: error: Discord requires more shards (4011 Sharding Required): raise --shard-count, "
        "or run without the shard flags to use Discord's recommended count"
    ], err
    assert "Traceback" not in err


async def test_a_shard_that_must_identify_again_catches_up_by_backfill(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    """Discord refuses one shard's resume: it identifies afresh, and what was said in its servers
    meanwhile (never to be replayed) is fetched by a backfill, while the other shard stays up."""
    other = other_server(sandbox, seed, 1 - shard_of(int(seed.guild_id), 2))
    async with running_bot(sharded(settings, "0-1")) as bot:
        await post_in_both(sandbox, seed, other, sample_path)
        await discussion(bot).wait_backfilled()
        there = sandbox.threads("news")[0]
        identified = sandbox.gateway.identifies
        sandbox.refuse_next_resume()
        assert await sandbox.drop(shard=shard_of(int(other), 2)) == 1
        said = [sandbox.send("ben", there, f"while the shard was away {n}") for n in range(3)]
        await sandbox.wait_until(lambda: sandbox.gateway.identifies == identified + 1, within=20)
        await wait_archived(bot, *said)
        assert sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
