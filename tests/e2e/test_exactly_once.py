"""Killing the bot process (SIGKILL) at many points while it posts, and starting it again: every
section and comment ends up posted exactly once, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.domain.database import Database, PostgresUrl
from bot.sandbox import Sandbox, Seed
from tests.conftest import both_backends, import_with_cli
from tests.harness import Killer, KillPoints, ReadalongProcess

pytestmark = both_backends


def is_posting_request(route: str) -> bool:
    """A request that changes something in Discord, other than answering a command or syncing them."""
    method, path = route.split(" ", 1)
    return method in ("POST", "PATCH", "DELETE") and not path.startswith("/interactions/")


def is_webhook_send(route: str) -> bool:
    """An original comment being posted under its commenter's name."""
    method, path = route.split(" ", 1)
    return method == "POST" and path.startswith("/webhooks/")


KILL_POINTS = {n: ("before" if n % 3 == 0 else "after") for n in range(1, 19)}
"""Kill on each of the 18 posting requests an unbroken posting of the sample makes (8 messages,
7 threads, 1 webhook, 2 comments): before it reaches the server on every third, after the server
did the work but before the bot heard back on the others."""
WEBHOOK_KILL_POINTS = {1: "after", 2: "before", 3: "after"}
"""Then after each original comment reached the channel, and on the second comment before it does too."""


SHORT_WINDOW = 0.25
"""The sandbox's IDENTIFY window in the runs that share out every kill point: after a kill on
PostgreSQL the new process waits out the window of the one killed (the slot is reserved in the
database), which at Discord's 5 s made these runs 40 s each."""
DISCORDS_WINDOW = 5.0


@pytest.mark.slow(seconds=9)
@pytest.mark.parametrize(
    ("requests", "webhook_sends", "identify_window"),
    [
        (range(1, 7), (), SHORT_WINDOW),
        (range(7, 13), (), SHORT_WINDOW),
        (range(13, 19), tuple(WEBHOOK_KILL_POINTS), SHORT_WINDOW),
        ((3, 10), (), DISCORDS_WINDOW),
    ],
    ids=[
        "requests 1-6",
        "requests 7-12",
        "requests 13-18 and comments",
        "requests 3 and 10 at Discord's 5 s window",
    ],
)
async def test_exactly_once_over_many_kill_points(
    sandbox: Sandbox,
    seed: Seed,
    tmp_path: Path,
    database: Database,
    sample_path: Path,
    requests: range | tuple[int, ...],
    webhook_sends: tuple[int, ...],
    identify_window: float,
) -> None:
    """The kill points are shared out over three runs so that they run side by side, with the
    IDENTIFY window short; one more run at Discord's own window, so that the short one never
    hides a wait the bot would really make."""
    db = database
    await import_with_cli(db, sample_path)
    sandbox.handlers_running = None  # the bot runs in processes of its own: responses end by quiet spells
    sandbox.gateway.identify_window = identify_window
    bot = ReadalongProcess(sandbox, seed.guild_id, db, tmp_path / "bot.log")
    posting_requests = KillPoints(is_posting_request, {n: KILL_POINTS[n] for n in requests})
    webhook_kills = KillPoints(is_webhook_send, {n: WEBHOOK_KILL_POINTS[n] for n in webhook_sends})
    killer = Killer(bot, (posting_requests, webhook_kills))
    sandbox.faults.hook = killer
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
            while not killer.killed.is_set():
                if finished(sandbox) and webhook_kills.left == 0:
                    return False
                await asyncio.sleep(0.05)
            return True

        while await asyncio.wait_for(killed_again(), 60):
            killer.killed.clear()
            await bot.start()
        await sandbox.wait_idle(quiet=0.5)
    finally:
        await bot.close()
    # Every kill point was reached (a webhook send counts once for "before" and once more when
    # it is retried), and Discord received each original comment once.
    assert posting_requests.seen >= requests[-1] and webhook_kills.left == 0, bot.log.read_text()
    assert killer.kills >= len(requests), bot.log.read_text()
    if webhook_sends:
        assert webhook_kills.seen == 3  # comment 1 once, comment 2 killed before and then after it was sent

    if isinstance(db, PostgresUrl):  # each start waited out the window of the process killed
        assert sandbox.gateway.identifies_too_soon() == [], bot.log.read_text()

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
