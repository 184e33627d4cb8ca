"""Killing the bot process (SIGKILL) at many points while it posts, and starting it again: every
section and comment ends up posted exactly once, in order."""

from __future__ import annotations

import asyncio
import os
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


class KilledBot:
    """``readalong run`` in a subprocess, pointed at the sandbox, killed at the chosen requests."""

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
        self.process: asyncio.subprocess.Process | None = None
        self.requests = 0
        self.kill_at: dict[int, str] = {}
        """Posting request number → the phase to kill the bot in."""
        self.webhook_sends = 0
        self.kill_at_webhook_send: dict[int, str] = {}
        """Webhook send number (retries counted) → the phase to kill the bot in."""
        self.kills = 0
        self.killed = asyncio.Event()
        sandbox.faults.hook = self.on_request

    async def start(self) -> None:
        self.killed.clear()
        with self.log.open("a") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", env=self.environment, stdout=log, stderr=log
            )

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
        if (
            phase not in wanted
            or not is_posting_request(route)
            or self.process is None
            or self.process.returncode is not None
        ):
            return
        self.process.kill()
        await self.process.wait()
        self.kills += 1
        self.killed.set()
        if phase == "before":
            raise web.HTTPServiceUnavailable  # the request never reached "Discord"

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


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
