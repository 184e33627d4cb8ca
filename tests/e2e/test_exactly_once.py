"""Killing the bot process (SIGKILL) at many points while it posts, and starting it again: every
section and comment ends up posted exactly once, in order."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import web

from bot.domain.database import Database
from bot.sandbox import Sandbox, Seed
from tests.conftest import both_backends, db_argument

pytestmark = both_backends


def is_posting_request(route: str) -> bool:
    """A request that changes something in Discord, other than answering a command or syncing them."""
    method, path = route.split(" ", 1)
    return method in ("POST", "PATCH", "DELETE") and not path.startswith("/interactions/")


def is_webhook_send(route: str) -> bool:
    """An original comment being posted under its commenter's name."""
    method, path = route.split(" ", 1)
    return method == "POST" and path.startswith("/webhooks/")


STARTER = """
import importlib, os, pkgutil, sys

import cogs
from bot.cli import main
from bot.discord.client import create_bot  # what `readalong run` imports, imported once

for extension in pkgutil.iter_modules(cogs.__path__):  # and what its extensions import
    importlib.import_module(f"cogs.{extension.name}")

for line in sys.stdin:
    command, _, argument = line.partition(" ")
    if command == "start":
        pid = os.fork()
        if pid == 0:
            log = os.open(argument.strip(), os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            status = 1
            try:
                status = main(["run"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        print(pid, flush=True)
    elif command == "wait":
        print(os.waitstatus_to_exitcode(os.waitpid(int(argument), 0)[1]), flush=True)
"""
"""Starts ``readalong run`` (the console script's ``bot.cli.main``) in a new process, forked from
one that imported the bot once: each of the twenty-odd starts then costs the bot's start, not
Python's and discord.py's (0.4 s of CPU each). ``start LOG`` prints the new process's id; ``wait
PID`` reaps it and prints its exit code."""


class KilledBot:
    """``readalong run`` in a process of its own, pointed at the sandbox, killed (SIGKILL) at the
    chosen requests."""

    def __init__(self, sandbox: Sandbox, seed: Seed, db: Database, log: Path) -> None:
        self.environment = {
            k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))
        }
        self.environment |= {
            "DISCORD_TOKEN": sandbox.token,
            "READALONG_DISCORD_URL": sandbox.base_url,
            "DEV_GUILD_ID": seed.guild_id,
            "READALONG_DB": db_argument(db),
            "LOG_LEVEL": "INFO",
        }
        self.log = log
        self.starter: asyncio.subprocess.Process | None = None
        self.starter_lock = asyncio.Lock()
        self.pid: int | None = None
        """The running bot's process; None once it was killed or stopped."""
        self.requests = 0
        self.kill_at: dict[int, str] = {}
        """Posting request number → the phase to kill the bot in."""
        self.webhook_sends = 0
        self.kill_at_webhook_send: dict[int, str] = {}
        """Webhook send number (retries counted) → the phase to kill the bot in."""
        self.kills = 0
        self.killed = asyncio.Event()
        sandbox.faults.hook = self.on_request

    async def _ask(self, line: str) -> int:
        """One line to the starter, its one-line answer back."""
        async with self.starter_lock:
            if self.starter is None:
                self.starter = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    STARTER,
                    env=self.environment,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            assert self.starter.stdin is not None and self.starter.stdout is not None
            self.starter.stdin.write(f"{line}\n".encode())
            await self.starter.stdin.drain()
            return int(await asyncio.wait_for(self.starter.stdout.readline(), 30))

    async def start(self) -> None:
        self.killed.clear()
        self.pid = await self._ask(f"start {self.log}")

    async def _end(self, signal_number: int) -> None:
        """Send the signal to the running bot and wait until its process is gone."""
        pid, self.pid = self.pid, None
        assert pid is not None
        os.kill(pid, signal_number)
        await self._ask(f"wait {pid}")

    @property
    def webhook_kills_left(self) -> int:
        return len([n for n in self.kill_at_webhook_send if n > self.webhook_sends])

    async def on_request(self, phase: str, route: str) -> None:
        if phase == "before" and is_posting_request(route):
            self.requests += 1
        if phase == "before" and is_webhook_send(route):
            self.webhook_sends += 1
        wanted = {self.kill_at.get(self.requests)}
        if is_webhook_send(route):
            wanted.add(self.kill_at_webhook_send.get(self.webhook_sends))
        if phase not in wanted or not is_posting_request(route) or self.pid is None:
            return
        await self._end(signal.SIGKILL)
        self.kills += 1
        self.killed.set()
        if phase == "before":
            raise web.HTTPServiceUnavailable  # the request never reached "Discord"

    async def stop(self) -> None:
        if self.pid is not None:
            await self._end(signal.SIGTERM)
        if self.starter is not None:
            assert self.starter.stdin is not None
            self.starter.stdin.close()
            await self.starter.wait()


KILL_POINTS = {n: ("before" if n % 3 == 0 else "after") for n in range(1, 19)}
"""Kill on each of the 18 posting requests an unbroken posting of the sample makes (8 messages,
7 threads, 1 webhook, 2 comments): before it reaches the server on every third, after the server
did the work but before the bot heard back on the others."""
WEBHOOK_KILL_POINTS = {1: "after", 2: "before", 3: "after"}
"""Then after each original comment reached the channel, and on the second comment before it does too."""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("requests", "webhook_sends"),
    [(range(1, 7), ()), (range(7, 13), ()), (range(13, 19), tuple(WEBHOOK_KILL_POINTS))],
    ids=["requests 1-6", "requests 7-12", "requests 13-18 and comments"],
)
async def test_exactly_once_over_many_kill_points(
    sandbox: Sandbox,
    seed: Seed,
    tmp_path: Path,
    database: Database,
    sample_path: Path,
    requests: range,
    webhook_sends: tuple[int, ...],
) -> None:
    """The kill points are shared out over three runs so that they run side by side."""
    db = database
    importer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--db",
        db_argument(db),
        "import",
        str(sample_path),
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await importer.communicate()
    assert importer.returncode == 0, errors
    sandbox.handlers_running = None  # the bot runs in processes of its own: responses end by quiet spells
    bot = KilledBot(sandbox, seed, db, tmp_path / "bot.log")
    bot.kill_at = {n: KILL_POINTS[n] for n in requests}
    bot.kill_at_webhook_send = {n: WEBHOOK_KILL_POINTS[n] for n in webhook_sends}
    await bot.start()
    try:
        await sandbox.wait_until(
            lambda: sandbox.gateway.identifies == 1 and bool(sandbox.gateway.connections), within=20
        )
        await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=20)
        await asyncio.sleep(0.2)
        result = await sandbox.run(
            "ada", "general", "/article post article:the-lessons-of-zhanaozen channel:#general"
        )
        # The command is answered before the first posting request is made, so before any kill.
        assert "Posting **The Lessons of Zhanaozen**" in result.text

        async def killed_again() -> bool:
            """True when the bot was killed; False once everything is posted and no kill is left."""
            while not bot.killed.is_set():
                if finished(sandbox) and bot.webhook_kills_left == 0:
                    return False
                await asyncio.sleep(0.05)
            return True

        while await asyncio.wait_for(killed_again(), 60):
            await bot.start()
        await sandbox.wait_idle(quiet=0.5)
    finally:
        await bot.stop()
    # Every kill point was reached (a webhook send counts once for "before" and once more when
    # it is retried), and Discord received each original comment once.
    assert bot.requests >= requests[-1] and bot.webhook_kills_left == 0, bot.log.read_text()
    assert bot.kills >= len(requests), bot.log.read_text()
    if webhook_sends:
        assert bot.webhook_sends == 3  # comment 1 once, comment 2 killed before and then after it was sent

    messages = sandbox.messages("general")
    firsts = [m["content"].split("\n")[0] for m in messages]
    assert len(firsts) == 8, firsts
    assert firsts[0] == "📖 **The Lessons of Zhanaozen**"
    assert [f[:6] for f in firsts[1:7]] == [f"**§{n}/6" for n in range(1, 7)]
    assert firsts[7].startswith("💬 **The original comments**")
    threads = sandbox.threads("general")
    assert [t["id"] for t in threads] == [
        m["id"] for m in messages[1:]
    ]  # one thread per section and comments
    comments = sandbox.messages(threads[-1]["id"])
    assert [c["author"]["username"] for c in comments] == ["Kuda", "Nathan Hamm"]
    assert len([w for w in sandbox.world.webhooks.values() if w["channel_id"] == seed.general_id]) == 1


def finished(sandbox: Sandbox) -> bool:
    threads = [t for t in sandbox.threads("general") if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2
