"""How fast the archive keeps up with a burst: 5,000 members' messages through the sandbox.

Members post 5,000 messages across the section threads of a posted article as fast as the sandbox
takes them; the real bot receives them over the gateway and stores them. Reported: messages
archived per second end to end, and how many were lost (must be 0). Baselines, measured in the
same run: the rate at which the gateway delivers the burst to the bot with nothing stored (the
ceiling), and the same rows written to a fresh SQLite store one transaction per message, with no
gateway (what an unbatched recorder costs on the database alone).

    .venv/bin/python benchmarks/archive_throughput.py [--messages 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import tempfile
import time
from pathlib import Path

from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.sandbox import Limit, RateLimitConfig, Sandbox
from bot.sandbox.harness import running_bot, sandbox_settings
from bot.settings import Settings
from bot.store import Store

SAMPLE = Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


async def archived_count(store: Store) -> int:
    async with store.db.execute("SELECT count(*) FROM messages WHERE author_bot = 0") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def through_sandbox(folder: Path, total: int) -> tuple[float, float, int, list[StoredMessage]]:
    fast = RateLimitConfig(messages_per_channel=Limit(50, 0.1), webhook_executions=Limit(50, 0.1))
    async with Sandbox(limits=fast) as sandbox:
        seed = sandbox.seed()
        settings = sandbox_settings(Settings(db_path=folder / "bench.db"), sandbox, seed.guild_id)
        async with running_bot(settings) as bot:
            await sandbox.run_command(
                "ada", "general", "article import", {"file": (SAMPLE.name, SAMPLE.read_bytes())}
            )
            await sandbox.run_command(
                "ada",
                "general",
                "article post",
                {"article": "the-lessons-of-zhanaozen", "channel": "general"},
            )
            await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 7, within=60)
            await sandbox.wait_idle()
            threads = sandbox.threads("general")
            delivered = {"count": 0, "at": 0.0}

            async def on_message(message: object) -> None:
                delivered["count"] += 1
                if delivered["count"] == total:
                    delivered["at"] = time.perf_counter()

            bot.add_listener(on_message)
            started = time.perf_counter()
            sent = []
            for number in range(total):
                sent.append(
                    sandbox.send(
                        "ben" if number % 2 else "ada", threads[number % 6], f"burst message {number}"
                    )
                )
                if number % 100 == 99:
                    await asyncio.sleep(0)  # members type concurrently with the bot working
            while await archived_count(bot.store) < total:
                await asyncio.sleep(0.01)
                if time.perf_counter() - started > 300:
                    break
            elapsed = time.perf_counter() - started
            stored = await archived_count(bot.store)
            rows = await bot.store.messages.in_article("the-lessons-of-zhanaozen", Viewer.operator())
    return elapsed, delivered["at"] - started, total - stored, rows[-total:]


async def one_transaction_each(folder: Path, rows: list[StoredMessage]) -> float:
    async with Store(folder / "baseline.db") as store:
        started = time.perf_counter()
        for row in rows:
            await store.messages.record(dataclasses.replace(row, article_id=None))
        return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        elapsed, delivery, lost, rows = await through_sandbox(Path(folder), args.messages)
        baseline = await one_transaction_each(Path(folder), rows)
    print(f"archive burst of {args.messages} messages through the sandbox")
    print(
        f"  readalong (gateway → batched SQLite): {args.messages / elapsed:8.0f} msg/s  ({elapsed:.2f} s, lost {lost})"
    )
    print(
        f"  baseline: gateway delivery alone (on_message, nothing stored): {args.messages / delivery:8.0f} msg/s  ({delivery:.2f} s)"
    )
    print(
        f"  baseline: one transaction per message, no gateway: {len(rows) / baseline:8.0f} msg/s  ({baseline:.2f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
