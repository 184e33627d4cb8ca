"""A PostgreSQL outage under load: six postings and members talking, the database cut for 45 s
(and 15 s) mid-posting, then back.

The bot (``readalong run``, a process of its own) reaches the machine's PostgreSQL through a TCP
proxy (:class:`bot.sandbox.tcpproxy.TcpProxy`) that is cut (every connection closed, new ones
refused) and restored: the server itself is never stopped. Six servers of the sandbox, held to
Discord's own rate limits, each get the sample article posted at once; once each has its first
section, the database goes away, members keep writing in the section threads, and it comes back.
Reported for each drill:

- messages lost: members' messages said during the outage that never reached the archive (0);
- items sent twice and items missing (postings lost), counted from what the sandbox holds (0, 0);
- log lines during the outage and its recovery (from the cut until every posting sent again):
  all of them (the routine "item sent" ones included), the warnings and errors among them, and
  the tracebacks;
- seconds to resume: from the database's return to the first item sent, and until every posting
  has sent one.

The baseline, measured in the same run: the same drills with the code before this change (commit
``d2ea944``, extracted with ``git archive`` into a temporary folder and run from there), whose
publisher retried with an exponential backoff (1, 2, 4 … 300 s) and logged a traceback per retry.

    .venv/bin/python benchmarks/outage.py [--outages 45,15] [--baseline d2ea944|none] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from at_scale import tally
from scratch_postgres import add_server_option, scratch_schema

from bot.domain.database import PostgresUrl
from bot.domain.viewer import Viewer
from bot.sandbox import RateLimitConfig, Sandbox
from bot.sandbox.tcpproxy import TcpProxy
from bot.store import Store
from tests.harness import sample_posted

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "bot" / "data" / "the-lessons-of-zhanaozen.txt"
ARTICLE = "the-lessons-of-zhanaozen"
SERVERS = 6
MESSAGES = 120
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
"""The terminal colours discord.py's log handler adds, taken off before the lines are counted."""
"""Members' messages said during the outage, spread over it, in the postings' first threads."""


@dataclass(frozen=True, slots=True)
class Result:
    """One drill's figures."""

    label: str
    outage: float
    messages_lost: int
    sent_twice: int
    items_missing: int
    log_lines: int
    warnings: int
    tracebacks: int
    first_resume: float
    all_resume: float
    total_seconds: float


def through(url: PostgresUrl, proxy: TcpProxy) -> PostgresUrl:
    parts = urlsplit(url.reveal())
    user = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return PostgresUrl(urlunsplit(parts._replace(netloc=f"{user}{proxy.host}:{proxy.port}")))


def bot_items(sandbox: Sandbox, channel_id: str) -> int:
    """The posting's messages so far in a server: in the channel and in its comments thread."""
    count = len([m for m in sandbox.messages(channel_id) if m["author"].get("bot")])
    comments = [t for t in sandbox.threads(channel_id) if t["name"].startswith("Comments:")]
    return count + sum(len(sandbox.messages(t["id"])) for t in comments)


async def drill(label: str, code: Path, outage: float, server: str, folder: Path) -> Result:
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))
    }
    async with scratch_schema(server) as url:
        parts = urlsplit(url.reveal())
        async with TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432) as proxy:
            database = through(url, proxy)
            async with Sandbox(limits=RateLimitConfig()) as sandbox:
                seed = sandbox.seed()
                channels = [seed.general_id]
                for n in range(1, SERVERS):
                    channels.append(sandbox.add_server(seed, f"Server {n}", f"reading-{n}")[1])
                importer = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot",
                    "--db",
                    database.reveal(),
                    "import",
                    str(SAMPLE),
                    cwd=code,
                    env=environment,
                    stdout=asyncio.subprocess.DEVNULL,
                )
                assert await importer.wait() == 0
                log_path = folder / f"{label}-{outage:.0f}.log"
                env = environment | {
                    "DISCORD_TOKEN": sandbox.token,
                    "READALONG_DISCORD_URL": sandbox.base_url,
                    "DEV_GUILD_ID": seed.guild_id,
                    "READALONG_DB": database.reveal(),
                    "LOG_LEVEL": "INFO",
                    "NO_COLOR": "1",
                }
                with log_path.open("w") as log:
                    process = await asyncio.create_subprocess_exec(
                        sys.executable, "-m", "bot", "run", cwd=code, env=env, stdout=log, stderr=log
                    )
                try:
                    await sandbox.wait_until(
                        lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=60
                    )
                    await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) >= 1, within=60)
                    await asyncio.sleep(2.0)  # on_ready: discord.py's guild_ready_timeout after GUILD_CREATE
                    for guild_id in list(sandbox.world.guilds):
                        sandbox.world.commands[guild_id] = list(sandbox.world.commands[seed.guild_id])
                    started = time.perf_counter()
                    answers = await asyncio.gather(
                        *(
                            sandbox.run_command("ada", c, "article post", {"article": ARTICLE, "channel": c})
                            for c in channels
                        )
                    )
                    assert all("Posting" in a.text for a in answers), [a.text for a in answers]
                    await sandbox.wait_until(
                        lambda: all(len(sandbox.threads(c)) >= 1 for c in channels), within=120
                    )
                    threads = [sandbox.threads(c)[0]["id"] for c in channels]

                    marked = log_path.stat().st_size
                    await proxy.cut()
                    cut_at = time.perf_counter()
                    said = []
                    for n in range(MESSAGES):
                        said.append(
                            sandbox.send("ben", threads[n % len(threads)], f"said during the outage {n}")
                        )
                        await asyncio.sleep(outage / MESSAGES)
                    await asyncio.sleep(max(0.0, outage - (time.perf_counter() - cut_at)))
                    before = {c: bot_items(sandbox, c) for c in channels}
                    await proxy.restore()
                    back = time.perf_counter()
                    resumed: dict[str, float] = {}
                    while len(resumed) < len(channels) and time.perf_counter() - back < 400:
                        for c in channels:
                            if c not in resumed and (
                                bot_items(sandbox, c) > before[c] or sample_posted(sandbox, c)
                            ):
                                resumed[c] = time.perf_counter() - back
                        await asyncio.sleep(0.05)
                    with log_path.open() as log:
                        log.seek(marked)
                        during = [_COLOUR.sub("", line) for line in log.read().splitlines()]
                    await sandbox.wait_until(
                        lambda: all(sample_posted(sandbox, c) for c in channels), within=400
                    )
                    total = time.perf_counter() - started
                    await sandbox.wait_idle(quiet=1.0, within=60)
                    counts = [tally(sandbox, c) for c in channels]
                finally:
                    if process.returncode is None:
                        process.terminate()
                        await process.wait()
            async with Store(url) as store:
                lost = 0
                for message in said:
                    if await store.messages.get(int(message["id"]), Viewer.operator()) is None:
                        lost += 1
    return Result(
        label,
        outage,
        lost,
        sum(t for t, _ in counts),
        sum(m for _, m in counts),
        len(during),
        sum(1 for line in during if " WARNING " in line or " ERROR " in line or " CRITICAL " in line),
        sum(1 for line in during if line.startswith("Traceback")),
        min(resumed.values(), default=float("nan")),
        max(resumed.values(), default=float("nan")),
        total,
    )


def baseline_code(commit: str, folder: Path) -> Path:
    """The code at ``commit``, extracted (not a git worktree: nothing is registered in the repository)."""
    target = folder / f"code-{commit}"
    target.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outages", default="45,15", help="outage lengths in seconds, comma-separated")
    parser.add_argument("--baseline", default="d2ea944", help="the commit to compare with, or 'none'")
    parser.add_argument("--logs", type=Path, default=None, help="keep the bots' logs in this folder")
    add_server_option(parser)
    args = parser.parse_args()
    outages = [float(o) for o in args.outages.split(",")]
    with tempfile.TemporaryDirectory(prefix="readalong-outage-") as scratch:
        folder = args.logs or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        setups = [("now", ROOT)]
        if args.baseline != "none":
            setups.append((f"before ({args.baseline})", baseline_code(args.baseline, Path(scratch))))
        results = []
        for outage in outages:
            for label, code in setups:
                result = await drill(label.split()[0], code, outage, args.postgres, folder)
                results.append(dataclass_replace_label(result, label))
                print(f"  {label}, {outage:.0f} s: done in {result.total_seconds:.0f} s", file=sys.stderr)
    print(
        f"{'code':<20} {'outage':>6} {'msgs lost':>9} {'sent twice':>10} {'items lost':>10}"
        f" {'log lines':>9} {'warn/err':>8} {'tracebacks':>10} {'resume first':>12} {'resume all':>10}"
    )
    for r in results:
        print(
            f"{r.label:<20} {r.outage:>5.0f}s {r.messages_lost:>9} {r.sent_twice:>10} {r.items_missing:>10}"
            f" {r.log_lines:>9} {r.warnings:>8} {r.tracebacks:>10} {r.first_resume:>11.1f}s {r.all_resume:>9.1f}s"
        )


def dataclass_replace_label(result: Result, label: str) -> Result:
    from dataclasses import replace

    return replace(result, label=label)


if __name__ == "__main__":
    asyncio.run(main())
