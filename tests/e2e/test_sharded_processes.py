"""Readalong as it runs at scale (issue 16): two ``readalong run`` processes, one shard each, on
one PostgreSQL database, in front of four servers. Each server's work (its commands, postings
and readers' messages) is done by the process holding its shard and by no other; one process is
killed (SIGKILL) in the middle of sending and started again, and every item of every posting
ends up in Discord exactly once, in order."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.shards import shard_of
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.store import Store

pytestmark = pytest.mark.slow

ARTICLE = "the-lessons-of-zhanaozen"
SHARDS = 2
SENT = re.compile(r"posting (\d+) item (\d+) sent")


class BotProcess:
    """``readalong run --shards N --shard-count 2`` on the shared database, its log in a file."""

    def __init__(self, sandbox: Sandbox, seed: Seed, database: PostgresUrl, shard: int, log: Path) -> None:
        self.shard = shard
        self.log = log
        self.environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))
        } | {
            "DISCORD_TOKEN": sandbox.token,
            "READALONG_DISCORD_URL": sandbox.base_url,
            "DEV_GUILD_ID": seed.guild_id,
            "READALONG_DB": database.reveal(),
            "LOG_LEVEL": "INFO",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                "--shards",
                str(self.shard),
                "--shard-count",
                str(SHARDS),
                env=self.environment,
                stdout=log,
                stderr=log,
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()

    def sent(self) -> set[int]:
        """The postings this process logged sending an item of."""
        return {int(m.group(1)) for m in SENT.finditer(self.log.read_text())}


def add_server(sandbox: Sandbox, seed: Seed, shard: int, channel: str) -> tuple[str, str]:
    """A server on ``shard`` of 2 with ada as admin, ben, the bot, and a text channel."""
    world = sandbox.world
    guild = world.create_guild(f"Server {channel}", owner_id=seed.admin_id, shard=(shard, SHARDS))
    admins = world.create_role(guild["id"], "Admin", perms.EVERYONE_DEFAULT | perms.MANAGE_GUILD)
    bot_role = world.create_role(guild["id"], "Readalong", perms.BOT_DEFAULT)
    world.add_member(guild["id"], seed.admin_id, [admins["id"]])
    world.add_member(guild["id"], seed.reader_id)
    world.add_member(guild["id"], seed.bot_id, [bot_role["id"]])
    made = world.create_channel(guild["id"], channel)
    return str(guild["id"]), str(made["id"])


def guild_of_route(sandbox: Sandbox, route: str) -> str | None:
    """The server a posting request is about (a channel's, a thread's or a webhook's)."""
    world = sandbox.world
    found = re.match(r"(?:POST|PATCH|PUT|DELETE) /(channels|webhooks)/(\d+)", route)
    if found is None:
        return None
    kind, ident = found.groups()
    if kind == "webhooks":
        hook = world.webhooks.get(ident)
        ident = str(hook["channel_id"]) if hook else ""
    channel = world.channels.get(ident)
    return str(channel["guild_id"]) if channel else None


def finished(sandbox: Sandbox, channel_id: str) -> bool:
    threads = [t for t in sandbox.threads(channel_id) if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2


async def test_two_processes_share_the_servers_and_survive_a_kill(
    sandbox: Sandbox, seed: Seed, postgres_url: PostgresUrl, tmp_path: Path, sample_path: Path
) -> None:
    sandbox.gateway.max_concurrency = SHARDS  # each shard in its own IDENTIFY bucket
    home_shard = shard_of(int(seed.guild_id), SHARDS)
    servers = {seed.guild_id: seed.general_id}
    for n, shard in enumerate([home_shard, 1 - home_shard, 1 - home_shard]):
        guild_id, channel_id = add_server(sandbox, seed, shard, f"reading-{n}")
        servers[guild_id] = channel_id
    owner = {guild_id: shard_of(int(guild_id), SHARDS) for guild_id in servers}
    assert sorted(owner.values()) == [0, 0, 1, 1]

    importer = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--db", postgres_url.reveal(), "import", str(sample_path),
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await importer.communicate()
    assert importer.returncode == 0, errors

    bots = [
        BotProcess(sandbox, seed, postgres_url, shard, tmp_path / f"shard-{shard}.log") for shard in (0, 1)
    ]
    victim = bots[1 - home_shard]  # the process of the two added servers on the other shard
    kill_after = 3
    """Once every posting is started, kill the victim when the third message it sends to its
    servers has reached Discord, before it hears back: the item is left ``sending``."""
    seen = 0
    armed = False
    killed = asyncio.Event()

    async def hook(phase: str, route: str) -> None:
        nonlocal seen
        guild_id = guild_of_route(sandbox, route)
        sends_a_message = re.fullmatch(r"POST /channels/\d+/messages", route) is not None
        if not armed or phase != "after" or not sends_a_message or owner.get(guild_id or "") != victim.shard:
            return
        if killed.is_set():
            return
        seen += 1
        if seen == kill_after:
            victim.kill()
            killed.set()

    sandbox.faults.hook = hook
    for bot in bots:
        await bot.start()
    try:
        await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARDS, within=30)
        await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
        for guild_id in servers:
            sandbox.world.commands[guild_id] = list(sandbox.world.commands[seed.guild_id])
        for channel_id in servers.values():
            result = await sandbox.run_command(
                "ada", channel_id, "article post", {"article": ARTICLE, "channel": channel_id}
            )
            assert "Posting **The Lessons of Zhanaozen**" in result.text, result.text
        armed = True

        await asyncio.wait_for(killed.wait(), 60)
        assert victim.process is not None
        await victim.process.wait()
        # While it is down, the other process's servers carry on to the end.
        survivors = [c for g, c in servers.items() if owner[g] != victim.shard]
        await sandbox.wait_until(lambda: all(finished(sandbox, c) for c in survivors), within=60)
        await victim.start()
        await sandbox.wait_until(lambda: all(finished(sandbox, c) for c in servers.values()), within=90)
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
        async with Store(postgres_url) as store:

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

    # Each posting was sent by the process holding its server's shard, and by no other.
    for bot in bots:
        sent_here = bot.sent()
        assert sent_here, bot.log.read_text()
        assert {owner[postings[p]] for p in sent_here} == {bot.shard}, bot.log.read_text()
    assert victim.sent() == {p for p, g in postings.items() if owner[g] == victim.shard}
    # The item cut off was found in the channel on the restart, not sent again.
    assert "was sent before a restart; not sending again" in victim.log.read_text()
