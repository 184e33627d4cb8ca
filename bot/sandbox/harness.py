"""Running the real bot, built by ``bot.discord.client.create_bot``, against a sandbox: for the
terminal chat, the end-to-end tests and the benchmarks alike."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.discord.client import ReadalongBot, create_bot, point_discord_at
from bot.domain.database import Database, PostgresUrl
from bot.errors import ReadalongError
from bot.sandbox.server import Sandbox
from bot.settings import Secret, Settings

READY_TIMEOUT = 10.0


def sandbox_settings(base: Settings, sandbox: Sandbox, guild_id: str) -> Settings:
    """``base`` pointed at the sandbox, with its token, and commands synced to its guild."""
    return dataclasses.replace(
        base,
        discord_token=Secret(sandbox.token),
        discord_url=sandbox.base_url,
        dev_guild_id=int(guild_id),
    )


_HANDLER_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-modal-dispatch-",
    "discord.py: ",
)
"""The names discord.py 2.7 gives the tasks that run a slash command, a button, a modal and an
event listener (``on_message``...)."""


def handlers_running() -> bool:
    """Whether a bot in this event loop is running a handler (a slash command, a button, a
    modal, an event's listener): for :attr:`Sandbox.handlers_running` when the bot runs in-process."""
    return any(task.get_name().startswith(_HANDLER_TASKS) for task in asyncio.all_tasks())


@asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[ReadalongBot]:
    """Start the bot against ``settings.discord_url``; yield it once ready; close it after."""
    if settings.discord_url is None or settings.discord_token is None:
        raise ReadalongError("running_bot needs READALONG_DISCORD_URL and DISCORD_TOKEN set")
    point_discord_at(settings.discord_url)
    bot = create_bot(settings, guild_ready_timeout=0.05)
    runner = asyncio.create_task(bot.start(settings.discord_token.reveal()), name="readalong-bot")
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if runner in done:
            runner.result()  # raises what stopped the bot
            raise ReadalongError("the bot stopped before it was ready")
        if ready not in done:
            raise ReadalongError(f"the bot was not ready after {READY_TIMEOUT:.0f} s")
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


class ReadalongProcess:
    """``readalong run`` in a process of its own against a sandbox (optionally some shards of
    ``--shard-count``), its output in ``log``: what the tests and benchmarks of several processes,
    and of a process killed with SIGKILL, start, kill and start again."""

    def __init__(
        self,
        sandbox: Sandbox,
        guild_id: str,
        database: Database,
        log: Path,
        *,
        shards: tuple[str, int] | None = None,
        log_level: str = "INFO",
    ) -> None:
        self.shards = shards
        self.log = log
        self.environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))
        } | {
            "DISCORD_TOKEN": sandbox.token,
            "READALONG_DISCORD_URL": sandbox.base_url,
            "DEV_GUILD_ID": guild_id,
            "READALONG_DB": database.reveal() if isinstance(database, PostgresUrl) else str(database),
            "LOG_LEVEL": log_level,
        }
        self.process: asyncio.subprocess.Process | None = None

    def __repr__(self) -> str:
        return f"<ReadalongProcess shards={self.shards} pid={self.process.pid if self.process else None}>"

    async def start(self) -> None:
        """Start it (again), appending to the log."""
        flags = ["--shards", self.shards[0], "--shard-count", str(self.shards[1])] if self.shards else []
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", *flags, env=self.environment, stdout=log, stderr=log
            )

    async def kill(self) -> None:
        """SIGKILL, as the machine losing power or the OOM killer would; waits for it to be gone."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    async def stop(self) -> None:
        """SIGTERM, and wait: the bot shuts down as on Ctrl-C."""
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


class KillOnMessage:
    """A request hook (``sandbox.faults.hook = …``) that SIGKILLs ``process`` when the ``nth``
    message it sends into a channel of ``guild_ids`` has reached Discord, before it hears back:
    the item it was sending is left ``sending``, as a crash at the worst moment leaves it. Counts
    only once :attr:`armed`; ``restart_after``: start the process again that many seconds later."""

    def __init__(
        self,
        sandbox: Sandbox,
        process: ReadalongProcess,
        guild_ids: set[str],
        nth: int,
        *,
        restart_after: float | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.process = process
        self.guild_ids = guild_ids
        self.nth = nth
        self.restart_after = restart_after
        self.armed = False
        self.seen = 0
        self.killed = asyncio.Event()

    async def __call__(self, phase: str, route: str) -> None:
        """The hook: the sandbox calls it before and after each REST request."""
        found = re.fullmatch(r"POST /channels/(\d+)/messages", route)
        if not self.armed or phase != "after" or found is None or self.killed.is_set():
            return
        channel = self.sandbox.world.channels.get(found.group(1))
        if channel is None or str(channel["guild_id"]) not in self.guild_ids:
            return
        self.seen += 1
        if self.seen == self.nth:
            await self.process.kill()
            self.killed.set()
            if self.restart_after is not None:
                loop = asyncio.get_running_loop()
                loop.call_later(self.restart_after, lambda: asyncio.ensure_future(self.process.start()))


def sample_posted(sandbox: Sandbox, channel_id: str) -> bool:
    """Whether the sample article's posting in the channel got to its end: both original
    comments in its comments thread."""
    threads = [t for t in sandbox.threads(channel_id) if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2
