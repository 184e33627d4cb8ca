"""Readalong at scale: twenty servers, eight shards, two processes on one PostgreSQL.

Two ``readalong run`` processes of four shards each (``--shards 0-3`` and ``--shards 4-7`` of 8)
share one PostgreSQL database in front of twenty servers of the sandbox, which holds the bot to
Discord's own rate limits (5 messages per 5 s per channel, 50 requests a second in all). Then:

1. **Postings**: the sample article is posted in all twenty servers at once, and one process is
   killed with SIGKILL in the middle of sending and started again. Reported: how long until every
   posting is complete, next to the floor Discord's limits set; items sent twice (must be 0) and
   lost (must be 0), counted from what the sandbox holds.
2. **Archive**: a burst of members' messages (10,000 by default) across the section threads of
   all twenty servers. Reported: messages archived per second, end to end (from the first sent to
   the last stored), and messages lost (must be 0).

The baseline, measured in the same run: the same twenty servers and eight shards in one process
on SQLite, with the same kill.

    .venv/bin/python benchmarks/at_scale.py [--messages 10000] [--postgres URL]

``--postgres`` (default ``READALONG_TEST_POSTGRES``, else postgresql://postgres@127.0.0.1:5432/test):
the benchmark works in a schema of its own there, dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from scratch_postgres import add_server_option, scratch_schema

from bot.domain.database import Database, PostgresUrl
from bot.domain.shards import shard_of
from bot.sandbox import RateLimitConfig, Sandbox
from bot.store import Store

sys.path.insert(0, str(Path(__file__).parents[1]))  # the tests' process harness
from tests.harness import ReadalongProcess, kill_on_message, sample_posted

SAMPLE = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"
ARTICLE = "the-lessons-of-zhanaozen"
SERVERS = 20
SHARD_COUNT = 8
REQUESTS_PER_POSTING = 18
"""What posting the sample costs: 8 messages, 7 threads, 1 webhook, 2 comments."""
KILL_AT = 10
"""The victim is killed when the tenth message it sends has reached Discord, before it hears back."""
DISCORD_GLOBAL_PER_SECOND = 50
TARGET_RATIO = 1.8
"""Issue 26: two processes on PostgreSQL archive at least 1.8 times what one SQLite process does..."""
TARGET_CEILING_SHARE = 0.9
"""...or at least 90% of what the sandbox can deliver (then the sandbox, not the bot, is the limit)."""


@dataclass(frozen=True, slots=True)
class Result:
    """One setup's figures."""

    label: str
    posting_seconds: float
    floor_seconds: float
    sent_twice: int
    lost_items: int
    archived_per_second: float
    archived: int
    lost_messages: int
    cpu_per_message: float
    """The bot processes' CPU time (all of them, user and system) over the burst, per message
    archived: what the bot costs, which a loaded machine moves much less than the rates."""
    delivered_per_second: float
    """The sandbox's delivery ceiling in the same run: the burst's messages over the time until
    its gateway had written every one of them to the bots' sockets."""


def tally(sandbox: Sandbox, channel_id: str) -> tuple[int, int]:
    """(items sent twice, items missing) in one server's channel, from what Discord holds."""
    heads = [m["content"].split("\n")[0][:6] for m in sandbox.messages(channel_id)]
    wanted = ["📖 **Th", *(f"**§{n}/6" for n in range(1, 7)), "💬 **Th"]
    comments = [t for t in sandbox.threads(channel_id) if t["name"].startswith("Comments:")]
    said = [m["author"]["username"] for t in comments for m in sandbox.messages(t["id"])]
    twice = sum(max(heads.count(w) - 1, 0) for w in wanted) + sum(
        max(said.count(name) - 1, 0) for name in ("Kuda", "Nathan Hamm")
    )
    missing = sum(1 for w in wanted if w not in heads) + sum(
        1 for name in ("Kuda", "Nathan Hamm") if name not in said
    )
    twice += max(len(sandbox.threads(channel_id)) - 7, 0)
    return twice, missing


async def archived_count(store: Store) -> int:
    """Members' messages archived so far, through one store held open for the whole burst: opening
    one for every look (a pool, the schema's checks) took 30 ms on SQLite and 270 ms on PostgreSQL
    on a loaded machine, on the sandbox's own event loop, which it slowed, and it made PostgreSQL's
    end seem later than it was."""
    rows = await store.db.execute_fetchall("SELECT count(*) FROM messages WHERE author_bot = 0")
    return int(next(iter(rows))[0])


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system, every thread) the processes have used so far, from ``/proc``."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


async def run(label: str, database: Database, layout: list[str], folder: Path, messages: int) -> Result:
    """Twenty servers, eight shards in ``layout`` processes (``--shards`` each), one killed."""
    async with Sandbox(limits=RateLimitConfig(), max_concurrency=16) as sandbox:
        seed = sandbox.seed()
        servers = {seed.guild_id: seed.general_id}
        for n in range(1, SERVERS):
            guild_id, channel_id = sandbox.add_server(
                seed, f"Server {n}", f"reading-{n}", shard=(n % SHARD_COUNT, SHARD_COUNT)
            )
            servers[guild_id] = channel_id
        importer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "--db",
            database.reveal() if isinstance(database, PostgresUrl) else str(database),
            "import",
            str(SAMPLE),
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await importer.wait() == 0
        processes = [
            ReadalongProcess(
                sandbox, seed.guild_id, database, folder / f"{label}-{n}.log", shards=(spec, SHARD_COUNT)
            )
            for n, spec in enumerate(layout)
        ]
        victim = processes[-1]
        victim_shards = set(range(SHARD_COUNT)) if len(layout) == 1 else {4, 5, 6, 7}
        owned = {g for g in servers if shard_of(int(g), SHARD_COUNT) in victim_shards}
        killer = kill_on_message(sandbox, victim, owned, KILL_AT, restart_after=0.5)
        sandbox.faults.hook = killer
        for process in processes:
            await process.start()
        try:
            await sandbox.wait_until(lambda: len(sandbox.gateway.live_shards()) == SHARD_COUNT, within=60)
            await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
            for guild_id in servers:
                sandbox.world.commands[guild_id] = list(sandbox.world.commands[seed.guild_id])
            started = time.perf_counter()
            killer.armed = True
            answers = await asyncio.gather(
                *(
                    sandbox.run_command("ada", c, "article post", {"article": ARTICLE, "channel": c})
                    for c in servers.values()
                )
            )
            assert all("Posting" in a.text for a in answers), [
                a.text for a in answers if "Posting" not in a.text
            ]
            await sandbox.wait_until(
                lambda: all(sample_posted(sandbox, c) for c in servers.values()), within=300
            )
            posting_seconds = time.perf_counter() - started
            await sandbox.wait_idle(quiet=1.0, within=60)
            assert killer.killed.is_set(), "the kill point was never reached"
            counts = [tally(sandbox, c) for c in servers.values()]

            threads = [t for c in servers.values() for t in sandbox.threads(c)[:6]]
            async with Store(database) as store:
                before = await archived_count(store)
                pids = [p.pid for p in processes if p.pid is not None]
                cpu_before = cpu_seconds(pids)
                first = time.perf_counter()
                for n in range(messages):
                    sandbox.send("ben", threads[n % len(threads)], f"reader message {n}")
                    if n % 200 == 199:
                        await asyncio.sleep(0)  # let the sandbox's gateway write to the bots
                deadline = time.perf_counter() + 120
                stored = 0
                delivered_seconds = None
                while time.perf_counter() < deadline:
                    if delivered_seconds is None and sandbox.gateway.pending() == 0:
                        delivered_seconds = time.perf_counter() - first
                    stored = await archived_count(store) - before
                    if stored >= messages:
                        break
                    await asyncio.sleep(0.005 if delivered_seconds is None else 0.01)
                archive_seconds = time.perf_counter() - first
                bot_cpu = cpu_seconds(pids) - cpu_before
            if delivered_seconds is None:
                delivered_seconds = archive_seconds
        finally:
            for process in processes:
                await process.stop()
                await process.close()
    floor = max(5.0, SERVERS * REQUESTS_PER_POSTING / DISCORD_GLOBAL_PER_SECOND)
    return Result(
        label,
        posting_seconds,
        floor,
        sum(t for t, _ in counts),
        sum(m for _, m in counts),
        stored / archive_seconds,
        stored,
        messages - stored,
        bot_cpu / max(stored, 1),
        messages / delivered_seconds,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    add_server_option(parser)
    args = parser.parse_args()
    load = os.getloadavg()
    async with scratch_schema(args.postgres) as postgres:
        with tempfile.TemporaryDirectory() as folder:
            base = Path(folder)
            results = [
                await run("postgresql", postgres, ["0-3", "4-7"], base, args.messages),
                await run("sqlite", base / "bench.db", ["0-7"], base, args.messages),
            ]

    print(
        f"{SERVERS} servers, {SHARD_COUNT} shards, Discord's rate limits; one process SIGKILLed mid-posting"
        f" (load average before and after: {' '.join(f'{x:.1f}' for x in load)},"
        f" {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    print(
        f"{'setup':<44} {'posting':>9} {'floor':>7} {'twice':>6} {'lost':>5} {'archived/s':>11} {'lost':>6}"
        f" {'bot CPU/msg':>12}"
    )
    names = {
        "postgresql": "2 processes x 4 shards, PostgreSQL",
        "sqlite": "baseline: 1 process x 8 shards, SQLite",
    }
    for r in results:
        print(
            f"{names[r.label]:<44} {r.posting_seconds:8.1f}s {r.floor_seconds:6.1f}s {r.sent_twice:6d}"
            f" {r.lost_items:5d} {r.archived_per_second:11,.0f} {r.lost_messages:6d}"
            f" {r.cpu_per_message * 1e6:9.0f} µs"
        )
    print(f"archive burst: {args.messages:,} members' messages across {SERVERS} servers' section threads")
    on_postgres, on_sqlite = results
    ratio = on_postgres.archived_per_second / on_sqlite.archived_per_second
    share = on_postgres.archived_per_second / on_postgres.delivered_per_second
    print(
        f"sandbox delivery ceiling (same run): {on_postgres.delivered_per_second:,.0f} msg/s with PostgreSQL,"
        f" {on_sqlite.delivered_per_second:,.0f} with SQLite"
    )
    met = ratio >= TARGET_RATIO or share >= TARGET_CEILING_SHARE
    print(
        f"target (PostgreSQL >= {TARGET_RATIO}x SQLite's messages/s, or >= {TARGET_CEILING_SHARE:.0%} of the"
        f" ceiling): {ratio:.2f}x, {share:.0%} of the ceiling: {'target met' if met else 'not met'}"
    )


if __name__ == "__main__":
    asyncio.run(main())
