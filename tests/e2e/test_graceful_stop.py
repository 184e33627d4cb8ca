"""Stopping ``readalong run`` as systemd, Docker and Kubernetes do, with SIGTERM (issue 28,
finding 1): the item being sent is finished and recorded, the recorder's queue is written, the
process says what is left and exits 0 within 10 s; the next start carries on, posting nothing
twice."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.store import Store
from tests.conftest import both_backends, import_with_cli
from tests.harness import ReadalongProcess, sample_posted

pytestmark = [both_backends, pytest.mark.slow]

ARTICLE = "the-lessons-of-zhanaozen"
STOP_WITHIN = 10.0
"""What an orchestrator waits between SIGTERM and SIGKILL, at its shortest (Docker's default)."""
STOPPED = re.compile(r"stopped: (\d+) postings paused mid-way, resumed at next start")


async def import_sample(database: Database, sample_path: Path) -> None:
    await import_with_cli(database, sample_path)


async def start(
    sandbox: Sandbox, seed: Seed, database: Database, log: Path, bot: ReadalongProcess | None = None
) -> ReadalongProcess:
    """``readalong run`` in a process of its own (``bot`` again, if given), once it is connected
    and its commands synced."""
    sandbox.handlers_running = None  # the bot runs in a process of its own
    sandbox.world.commands.pop(seed.guild_id, None)
    identified = sandbox.gateway.identifies
    if bot is None:
        # Stopping is the point here, not the wait to identify again after it (on PostgreSQL the
        # restart waits out the window of the process stopped): a short window.
        sandbox.gateway.identify_window = 0.25
        bot = ReadalongProcess(sandbox, seed.guild_id, database, log)
    await bot.start()
    await sandbox.wait_until(lambda: sandbox.gateway.identifies > identified, within=30)
    await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
    await asyncio.sleep(0.2)
    return bot


async def terminate(bot: ReadalongProcess) -> tuple[int, float]:
    """SIGTERM, then its exit code and how long it took to exit (it is SIGKILLed after 3 × the
    allowed time, so a hung stop fails the test rather than hanging it)."""
    assert bot.running
    began = time.monotonic()
    bot.send_signal(signal.SIGTERM)
    try:
        code = await asyncio.wait_for(bot.wait(), 3 * STOP_WITHIN)
    except TimeoutError:
        await bot.kill()
        raise AssertionError(f"still running {3 * STOP_WITHIN:.0f} s after SIGTERM") from None
    return code, time.monotonic() - began


async def check_exactly_once(sandbox: Sandbox, channel_id: str, database: Database) -> None:
    """The sample posted once, in order, its threads and comments once; every item done."""
    firsts = [m["content"].split("\n")[0] for m in sandbox.messages(channel_id)]
    assert len(firsts) == 8, firsts
    assert [f[:6] for f in firsts[1:7]] == [f"**§{n}/6" for n in range(1, 7)]
    threads = sandbox.threads(channel_id)
    assert len(threads) == 7
    comments = sandbox.messages(threads[-1]["id"])
    assert [c["author"]["username"] for c in comments] == ["Kuda", "Nathan Hamm"]
    async with Store(database) as store:
        (posting,) = await store.postings.for_guild(int(sandbox.channel(channel_id)["guild_id"]))
        assert {i.status for i in await store.postings.items(posting.id)} == {"done"}


async def test_sigterm_mid_send_finishes_the_item_and_exits_0(
    sandbox: Sandbox, seed: Seed, database: Database, tmp_path: Path, sample_path: Path
) -> None:
    """SIGTERM arrives while the third message of a posting is on its way to Discord (the server
    holds the request for a second): that item is finished and recorded, no other is begun, the
    process exits 0 within 10 s saying the posting waits for the next start, and the next start
    finishes it with nothing posted twice."""
    await import_sample(database, sample_path)
    log = tmp_path / "bot.log"
    bot = await start(sandbox, seed, database, log)
    signalled = asyncio.Event()
    posts = 0
    asked: list[str] = []

    async def sigterm_while_sending(phase: str, route: str) -> None:
        nonlocal posts
        if phase != "before" or not re.fullmatch(r"POST /channels/\d+/messages", route):
            return
        posts += 1
        if posts == 3 and bot.running:
            bot.send_signal(signal.SIGTERM)
            signalled.set()
            # The message reaches "Discord" after the signal; meanwhile a member's command is
            # answered, not started.
            await asyncio.sleep(0.5)
            asked.append((await sandbox.run("ben", "general", "/articles", deadline=5)).text)
            await asyncio.sleep(0.5)

    sandbox.faults.hook = sigterm_while_sending
    try:
        result = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general")
        assert "Posting **The Lessons of Zhanaozen**" in result.text, result.text
        await asyncio.wait_for(signalled.wait(), 30)
        began = time.monotonic()
        assert bot.running
        code = await asyncio.wait_for(bot.wait(), 3 * STOP_WITHIN)
        took = time.monotonic() - began
        sandbox.faults.hook = None
        text = log.read_text()
        assert code == 0, text
        assert took < STOP_WITHIN, text
        assert [int(n) for n in STOPPED.findall(text)] == [1], text
        assert asked == ["Readalong is restarting: try again in a minute."]

        # The message in flight was recorded, and nothing is left ``sending``: the restart has
        # nothing to look for.
        sent = {m["id"] for m in sandbox.messages("general")}
        assert len(sent) == 3
        async with Store(database) as store:
            (posting,) = await store.postings.for_guild(int(seed.guild_id))
            items = await store.postings.items(posting.id)
        assert "sending" not in {i.status for i in items}
        recorded = {str(i.message_id) for i in items if i.message_id is not None}
        assert sent <= recorded, (sent, recorded)

        bot = await start(sandbox, seed, database, log, bot)
        await sandbox.wait_until(lambda: sample_posted(sandbox, seed.general_id), within=60)
        await sandbox.wait_idle(quiet=0.5)
        code, took = await terminate(bot)
    finally:
        sandbox.faults.hook = None
        await bot.close()
    text = log.read_text()
    assert code == 0 and took < STOP_WITHIN, text
    assert [int(n) for n in STOPPED.findall(text)] == [1, 0], text
    assert "was sent before a restart" not in text
    await check_exactly_once(sandbox, seed.general_id, database)


async def test_sigterm_mid_burst_writes_what_was_acknowledged_and_exits_0(
    sandbox: Sandbox, seed: Seed, database: Database, tmp_path: Path, sample_path: Path
) -> None:
    """SIGTERM in the middle of a burst of readers' messages, with a paced posting under way:
    the process exits 0 within 10 s, with nothing left unwritten in the recorder's queue; the
    archive holds the burst in order up to where the bot stopped listening, and after a restart
    (its backfill) every message once."""
    await import_sample(database, sample_path)
    log = tmp_path / "bot.log"
    bot = await start(sandbox, seed, database, log)
    try:
        result = await sandbox.run(
            "ada", "general", f"/article post article:{ARTICLE} channel:#general pace:60"
        )
        assert "Posting **The Lessons of Zhanaozen**" in result.text, result.text
        await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 1, within=30)
        await sandbox.wait_idle(quiet=0.3)
        thread = sandbox.threads("general")[0]
        said: list[str] = []
        assert bot.running
        ended: asyncio.Task[tuple[int, float]] | None = None
        for n in range(400):
            said.append(sandbox.send("ben", thread, f"reader message {n}")["id"])
            if n == 200:
                ended = asyncio.create_task(terminate(bot))
            if n % 10 == 0:
                await asyncio.sleep(0.01)
        assert ended is not None
        code, took = await ended
        text = log.read_text()
        assert code == 0, text
        assert took < STOP_WITHIN, text
        assert [int(n) for n in STOPPED.findall(text)] == [1], text
        assert "changes unwritten" not in text

        async with Store(database) as store:
            archived = [i for i in said if await store.messages.get(int(i), Viewer.operator()) is not None]
        # Written in the order they came, up to where the bot stopped listening: no hole.
        assert archived == said[: len(archived)]
        assert len(archived) >= 100, len(archived)

        bot = await start(sandbox, seed, database, log, bot)
        async with Store(database) as store:
            for _ in range(400):
                missing = [i for i in said if await store.messages.get(int(i), Viewer.operator()) is None]
                if not missing:
                    break
                await asyncio.sleep(0.1)
            assert not missing, f"{len(missing)} of {len(said)} not archived after the restart"
            (posting,) = await store.postings.for_guild(int(seed.guild_id))
            statuses = [i.status for i in await store.postings.items(posting.id)]
            assert statuses[:3] == ["done", "done", "pending"], statuses
        code, took = await terminate(bot)
    finally:
        await bot.close()
    text = log.read_text()
    assert code == 0 and took < STOP_WITHIN, text
    assert [int(n) for n in STOPPED.findall(text)] == [1, 1], text
    # Nothing posted twice: the intro and §1, each once.
    firsts = [m["content"].split("\n")[0] for m in sandbox.messages("general")]
    assert len(firsts) == 2 and firsts[0] == "📖 **The Lessons of Zhanaozen**", firsts


async def test_a_second_sigterm_exits_at_once(
    sandbox: Sandbox, seed: Seed, database: Database, tmp_path: Path, sample_path: Path
) -> None:
    """An item whose request hangs holds the stop for up to 10 s; a second SIGTERM ends the
    process at once (status 128 + 15, as a shell reports SIGTERM), the item left ``sending``;
    the next start looks for it in the channel before sending it: nothing is posted twice."""
    await import_sample(database, sample_path)
    log = tmp_path / "bot.log"
    bot = await start(sandbox, seed, database, log)
    release = asyncio.Event()
    held = asyncio.Event()
    posts = 0

    async def hang_the_second_message(phase: str, route: str) -> None:
        nonlocal posts
        if phase != "before" or not re.fullmatch(r"POST /channels/\d+/messages", route):
            return
        posts += 1
        if posts == 2:
            held.set()
            await release.wait()

    sandbox.faults.hook = hang_the_second_message
    try:
        result = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general")
        assert "Posting **The Lessons of Zhanaozen**" in result.text, result.text
        await asyncio.wait_for(held.wait(), 30)
        assert bot.running
        bot.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert bot.returncode is None  # still finishing the item
        began = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(bot.wait(), STOP_WITHIN)
        assert code == 128 + signal.SIGTERM, log.read_text()
        assert time.monotonic() - began < 2.0
        assert "SIGTERM again: exiting at once" in log.read_text()
        release.set()
        sandbox.faults.hook = None
        async with Store(database) as store:
            (posting,) = await store.postings.for_guild(int(seed.guild_id))
            statuses = [i.status for i in await store.postings.items(posting.id)]
        assert statuses[:3] == ["done", "sending", "pending"], statuses  # cut off mid-send

        bot = await start(sandbox, seed, database, log, bot)
        await sandbox.wait_until(lambda: sample_posted(sandbox, seed.general_id), within=60)
        await sandbox.wait_idle(quiet=0.5)
        code, _ = await terminate(bot)
    finally:
        release.set()
        sandbox.faults.hook = None
        await bot.close()
    assert code == 0
    await check_exactly_once(sandbox, seed.general_id, database)


@pytest.mark.sqlite_only(reason="the sandbox's server alone: no bot, no database")
@pytest.mark.slow(seconds=1)
async def test_the_sandbox_server_stops_on_sigterm(tmp_path: Path) -> None:
    """``readalong sandbox --serve`` (what ``readalong run`` is pointed at without Discord) stops
    on SIGTERM as on Ctrl-C: its world saved, exit 0."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "--serve", "--data", str(tmp_path / "sandbox"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert server.stdout is not None
    try:
        lines = [(await asyncio.wait_for(server.stdout.readline(), 30)).decode() for _ in range(4)]
        assert lines[0].startswith("READALONG_DISCORD_URL=http://127.0.0.1:"), lines
        server.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(server.wait(), STOP_WITHIN)
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert code == 0
    assert (tmp_path / "sandbox" / "sandbox-world.json").is_file()
