"""The recorder against a real database that another connection locks (an SQLite file's write
lock, a PostgreSQL table lock): nothing acknowledged is lost, nothing is acknowledged before it is
committed, order is kept, and an overflowing queue drops the oldest and asks for a backfill."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from bot.archive.recorder import BatchRecorder
from bot.domain.database import Database, PostgresUrl
from bot.domain.message import StoredMessage
from bot.store import Store
from tests.conftest import both_backends
from tests.messages import reader_message

BUSY_TIMEOUT_SECONDS = 1.0
"""The store's busy timeout in these tests: a fifth of the product's 5 s, so that a lock outlasting
it takes 2.5 s to wait out, not 6."""
LOCK_SECONDS = 2.5
"""Longer than the store's busy timeout (:data:`BUSY_TIMEOUT_SECONDS`), so the recorder's first
commit fails on SQLite; with a longer busy timeout the commit simply waits, and the properties
tested hold either way."""


def message(mid: int, article_id: str = "zh", content: str | None = None) -> StoredMessage:
    return reader_message(
        mid, content or f"message {mid}", channel_id=77, parent_id=70, article_id=article_id, section=1
    )


pytestmark = both_backends


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    async with Store(database, busy_timeout=BUSY_TIMEOUT_SECONDS) as opened:
        async with opened.transaction() as db:
            await db.execute(
                "INSERT INTO articles (id, title, source, format, body, imported_at)"
                " VALUES ('zh', 'T', 's', 'text', 'x', '2026')"
            )
        yield opened


@contextlib.asynccontextmanager
async def write_locked(store: Store, seconds: float) -> AsyncIterator[None]:
    """Another connection keeps the recorder from writing for ``seconds`` from entry: on SQLite
    it holds ``BEGIN IMMEDIATE`` on the file (the store's busy timeout runs out, the recorder
    retries), on PostgreSQL an exclusive lock on the messages table (the recorder's write waits)."""
    if isinstance(store.target, PostgresUrl):
        url, locked = store.target, asyncio.Event()

        async def hold() -> None:
            other = await asyncpg.connect(url.reveal())
            try:
                async with other.transaction():
                    await other.execute("LOCK TABLE messages IN EXCLUSIVE MODE")  # reads go on
                    locked.set()
                    await asyncio.sleep(seconds)
            finally:
                await other.close()

        holder = asyncio.create_task(hold())
        await asyncio.wait_for(locked.wait(), 5)
        try:
            yield
        finally:
            await holder
        return
    with sqlite_locked(store.path, seconds):
        yield


@contextlib.contextmanager
def sqlite_locked(path: Path, seconds: float) -> Iterator[threading.Event]:
    """Another connection holds ``BEGIN IMMEDIATE`` on ``path`` for ``seconds`` from entry."""
    locked = threading.Event()

    def hold() -> None:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(seconds)
            other.execute("COMMIT")

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    try:
        yield locked
    finally:
        thread.join()


async def on_disk(store: Store) -> dict[int, tuple[str, str | None]]:
    """The messages committed (the store's reads see nothing else)."""
    rows = await store.db.execute_fetchall("SELECT id, content, deleted_at FROM messages")
    return {row[0]: (row[1], row[2]) for row in rows}


@pytest.mark.slow(seconds=3)
async def test_a_locked_database_delays_acknowledgement_and_loses_nothing(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    recorder = BatchRecorder(store)
    started = time.monotonic()
    async with write_locked(store, LOCK_SECONDS):
        first = asyncio.create_task(recorder.add(message(1)))
        await asyncio.sleep(0.5)
        rest = [asyncio.create_task(recorder.add(message(n))) for n in range(2, 40)]
        edit = asyncio.create_task(recorder.edit(2, "message 2, edited", "2026-11-25T10:01:00+00:00"))
        delete = asyncio.create_task(recorder.delete(3, "2026-11-25T10:02:00+00:00"))
        await asyncio.sleep(1.0)
        assert not first.done() and await on_disk(store) == {}  # nothing acknowledged before it is on disk
        results = await asyncio.gather(first, *rest, edit, delete)
    assert all(results)
    assert time.monotonic() - started >= LOCK_SECONDS - 0.5
    stored = await on_disk(store)
    assert sorted(stored) == list(range(1, 40))
    assert stored[2] == ("message 2, edited", None) and stored[3][1] == "2026-11-25T10:02:00+00:00"
    # On SQLite the busy timeout is shorter than the lock: the first commit fails and is retried,
    # and the recorder says it caught up. (PostgreSQL's write waits on the table lock instead.)
    assert ("the database is busy" in caplog.text) == ("caught up" in caplog.text)
    assert "the database is busy" in caplog.text or isinstance(store.target, PostgresUrl)
    await recorder.close()


@pytest.mark.slow
async def test_an_overflowing_queue_drops_the_oldest_and_asks_for_a_backfill(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    asked = []
    recorder = BatchRecorder(store, limit=5, on_overflow=lambda: asked.append(True))
    # The eight adds are queued within one turn of the loop, while the first commit waits on the lock:
    # the lock only has to outlast that, not the busy timeout (the test above covers a longer one).
    async with write_locked(store, 2.0):
        pending = []
        for n in range(1, 9):
            pending.append(asyncio.create_task(recorder.add(message(n))))
            await asyncio.sleep(0)
        results = await asyncio.gather(*pending)
    kept = [n for n, ok in zip(range(1, 9), results, strict=True) if ok]
    assert len(kept) == 5 and kept == list(range(4, 9))
    assert len(asked) == 3 and recorder.dropped == 3
    assert set(kept) <= set(await on_disk(store))
    assert "queue is full" in caplog.text
    await recorder.close()


async def test_one_bad_message_does_not_sink_its_batch(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    recorder = BatchRecorder(store)
    results = await asyncio.gather(
        recorder.add(message(1)),
        recorder.add(message(2, article_id="no-such-article")),
        recorder.add(message(3)),
    )
    assert list(results) == [True, False, True]
    assert sorted(await on_disk(store)) == [1, 3]
    assert "could not record change of message 2" in caplog.text
    await recorder.close()
