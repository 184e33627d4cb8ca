"""Readalong as it runs at scale (issue 16): two ``readalong run`` processes, one shard each, on
one PostgreSQL database, in front of four servers. Each server's work (its commands, postings
and readers' messages) is done by the process holding its shard and by no other; one process is
killed (SIGKILL) in the middle of sending and started again, and every item of every posting
ends up in Discord exactly once, in order."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.shards import shard_of
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.store import Store
from tests.conftest import import_with_cli
from tests.e2e.conftest import DISCORDS_IDENTIFY_WINDOW
from tests.harness import ReadalongProcess, kill_on_message, sample_posted

pytestmark = pytest.mark.slow

ARTICLE = "the-lessons-of-zhanaozen"
SHARDS = 2
SENT = re.compile(r"posting (\d+) item (\d+) sent")


def sent_postings(bot: ReadalongProcess) -> set[int]:
    """The postings a process logged sending an item of."""
    return {int(m.group(1)) for m in SENT.finditer(bot.log.read_text())}


async def test_two_processes_share_the_servers_and_survive_a_kill(
    sandbox: Sandbox, seed: Seed, migrated_postgres_url: PostgresUrl, tmp_path: Path, sample_path: Path
) -> None:
    sandbox.gateway.max_concurrency = SHARDS  # each shard in its own IDENTIFY bucket
    # The kill is the point here, not the wait to identify again after it: a short window (the
    # next test waits Discord's own 5 s between processes).
    sandbox.gateway.identify_window = 0.25
    home_shard = shard_of(int(seed.guild_id), SHARDS)
    servers = {seed.guild_id: seed.general_id}
    for n, shard in enumerate([home_shard, 1 - home_shard, 1 - home_shard]):
        guild_id, channel_id = sandbox.add_server(seed, f"Server {n}", f"reading-{n}", shard=(shard, SHARDS))
        servers[guild_id] = channel_id
    owner = {guild_id: shard_of(int(guild_id), SHARDS) for guild_id in servers}
    assert sorted(owner.values()) == [0, 0, 1, 1]

    await import_with_cli(migrated_postgres_url, sample_path)

    bots = ReadalongProcess.one_per_shard(sandbox, seed.guild_id, migrated_postgres_url, tmp_path, SHARDS)
    victim_shard = 1 - home_shard
    victim = bots[victim_shard]  # the process of the two added servers on the other shard
    # Once every posting is started, the victim is killed when the third message it sends to its
    # servers has reached Discord, before it hears back: the item is left ``sending``.
    killer = kill_on_message(sandbox, victim, {g for g, shard in owner.items() if shard == victim_shard}, 3)
    sandbox.faults.hook = killer
    for bot in bots:
        await bot.start()
    try:
        await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARDS, within=30)
        await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
        for guild_id in servers:  # as if synced there too
            sandbox.world.commands[guild_id] = list(sandbox.world.commands[seed.guild_id])
        for channel_id in servers.values():
            result = await sandbox.run_command(
                "ada", channel_id, "article post", {"article": ARTICLE, "channel": channel_id}
            )
            assert "Posting **The Lessons of Zhanaozen**" in result.text, result.text
        killer.armed = True

        await asyncio.wait_for(killer.killed.wait(), 60)
        # While it is down, the other process's servers carry on to the end.
        survivors = [c for g, c in servers.items() if owner[g] != victim_shard]
        await sandbox.wait_until(lambda: all(sample_posted(sandbox, c) for c in survivors), within=60)
        await victim.start()
        await sandbox.wait_until(lambda: all(sample_posted(sandbox, c) for c in servers.values()), within=90)
        await sandbox.wait_idle(quiet=0.5)

        # Every posting exactly once, in order, in every server.
        for channel_id in servers.values():
            firsts = [m["content"].split("\n")[0] for m in sandbox.messages(channel_id)]
            assert len(firsts) == 8, firsts
            assert [f[:6] for f in firsts[1:7]] == [f"**§{n}/6" for n in range(1, 7)]
            threads = sandbox.threads(channel_id)
            assert len(threads) == 7
            comments = sandbox.messages(threads[-1]["id"])
            assert [c["author"]["username"] for c in comments] == ["Kuda", "Nathan Hamm"]

        # Readers' messages in every server are archived, each by its shard's process.
        said = {
            guild_id: sandbox.send("ben", sandbox.threads(channel_id)[0], f"a reader in {guild_id}")
            for guild_id, channel_id in servers.items()
        }
        async with Store(migrated_postgres_url) as store:

            async def all_archived() -> bool:
                for message in said.values():
                    if await store.messages.get(int(message["id"]), Viewer.operator()) is None:
                        return False
                return True

            for _ in range(200):
                if await all_archived():
                    break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("readers' messages were not archived")
            postings: dict[int, str] = {}
            for guild_id in servers:
                for posting in await store.postings.for_guild(int(guild_id)):
                    postings[posting.id] = guild_id
                    assert {i.status for i in await store.postings.items(posting.id)} == {"done"}
    finally:
        for bot in bots:
            await bot.stop()
            await bot.close()

    # Each posting was sent by the process holding its server's shard, and by no other.
    for shard, bot in enumerate(bots):
        sent_here = sent_postings(bot)
        assert sent_here, bot.log.read_text()
        assert {owner[postings[p]] for p in sent_here} == {shard}, bot.log.read_text()
    assert sent_postings(victim) == {p for p, g in postings.items() if owner[g] == victim_shard}
    # The item cut off was found in the channel on the restart, not sent again.
    assert "was sent before a restart; not sending again" in victim.log.read_text()


@pytest.mark.slow(seconds=6)
async def test_processes_sharing_an_identify_bucket_take_turns(
    sandbox: Sandbox, seed: Seed, migrated_postgres_url: PostgresUrl, tmp_path: Path
) -> None:
    """Discord counts IDENTIFYs per bucket whichever process sends them: two processes whose
    shards share a bucket (max_concurrency 1) reserve their slots in the shared database."""
    sandbox.gateway.max_concurrency = 1
    sandbox.gateway.identify_window = DISCORDS_IDENTIFY_WINDOW  # the window is the point here
    bots = ReadalongProcess.one_per_shard(sandbox, seed.guild_id, migrated_postgres_url, tmp_path, SHARDS)
    for bot in bots:
        await bot.start()
    try:
        await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARDS, within=40)
    finally:
        for bot in bots:
            await bot.stop()
            await bot.close()
    (first, _), (second, _) = sandbox.gateway.identify_log
    assert second - first >= DISCORDS_IDENTIFY_WINDOW, [bot.log.read_text() for bot in bots]
