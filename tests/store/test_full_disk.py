"""A full disk and a read-only file are named as such (issue 28, finding 5), not as "the
database is busy (database or disk is full)": by the command line, by the recorder waiting to
write, and in the reason the publisher gives for retrying an item (``/article status``).

The full disk is real: a tmpfs filled but for 64 KiB in a private mount namespace (root and ``unshare``
only; nothing outside the namespace sees it), or SQLite's ``PRAGMA max_page_count`` on a real
file, which fails a write that needs one more page with the same result code (SQLITE_FULL)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.archive.recorder import BatchRecorder
from bot.discord.posting.policy import classify
from bot.domain.message import StoredMessage
from bot.store import DatabaseFullError, Store, describe_trouble, is_busy_error
from tests.messages import reader_message

FULL = "the database's disk is full"


def message(mid: int) -> StoredMessage:
    content = f"message {mid} " + "words " * 300
    return reader_message(mid, content, channel_id=77, parent_id=70, article_id="zh", section=1)


async def open_store(path: Path) -> Store:
    store = Store(path)
    await store.open()
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO articles (id, title, source, format, body, imported_at)"
            " VALUES ('zh', 'T', 's', 'text', 'x', '2026')"
        )
    return store


async def cap_pages(store: Store, pages: int | None) -> None:
    """The file may grow by no more pages (``None``: as far as SQLite allows again)."""
    async with store.transaction() as db:
        if pages is None:
            await db.execute("PRAGMA max_page_count = 4294967294")
            return
        async with db.execute("PRAGMA page_count") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        await db.execute(f"PRAGMA max_page_count = {int(row[0]) + pages}")


async def a_failed_write(store: Store, first_id: int) -> BaseException:
    """Write messages until the database refuses one; what it raised."""
    for mid in range(first_id, first_id + 1000):
        try:
            await store.messages.record_many([message(mid)])
        except Exception as error:  # the driver's error, as the publisher and recorder meet it
            return error
    raise AssertionError("the database never refused a write")


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a private tmpfs needs root and unshare",
)
async def _schema(path: Path) -> None:
    """A database with every migration applied and nothing in it."""
    async with Store(path):
        pass


def test_the_command_line_names_a_really_full_disk(tmp_path: Path, sample_path: Path) -> None:
    """``readalong import`` on a disk with room for the schema but not the article: one line
    naming the full disk, exit 2, and nothing imported."""
    # The schema is made on a real disk and copied in, then the tmpfs is filled but for 64 KiB:
    # room left whatever the migrations weigh, too little for the article's passages and indexes.
    made = tmp_path / "made.db"
    asyncio.run(_schema(made))
    folder = tmp_path / "small-disk"
    folder.mkdir()
    script = (
        'mount -t tmpfs -o size=8m tmpfs "$1" || exit 99\n'
        'cp "$4" "$1/readalong.db" || exit 98\n'
        'dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; truncate -s -64K "$1/filler"\n'
        '"$2" -m bot --db "$1/readalong.db" import "$3"; echo "import: $?"\n'
        '"$2" -m bot --db "$1/readalong.db" list\n'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), sys.executable, str(sample_path), str(made)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "import: " not in done.stdout:
        pytest.skip(f"no private tmpfs here: {done.stderr.strip()}")
    errors = done.stderr.strip().splitlines()
    assert errors == [
        f"readalong: error: {folder}/readalong.db: {FULL}; nothing was written: free some space, then try again"
    ]
    assert "import: 2" in done.stdout
    assert "No articles yet" in done.stdout


async def test_the_recorder_names_a_full_disk_and_catches_up(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await open_store(tmp_path / "readalong.db")
    recorder = BatchRecorder(store)
    try:
        await cap_pages(store, 2)
        caplog.set_level(logging.INFO, logger="bot.archive.recorder")
        adding = [asyncio.create_task(recorder.add(message(mid))) for mid in range(1, 60)]
        for _ in range(200):
            if FULL in caplog.text:
                break
            await asyncio.sleep(0.05)
        assert f"{FULL}; " in caplog.text and "changes wait in memory" in caplog.text, caplog.text
        assert "database is busy" not in caplog.text
        assert "disk is full)" not in caplog.text  # SQLite's wording is not passed on
        await cap_pages(store, None)  # space freed
        assert await asyncio.wait_for(asyncio.gather(*adding), 30) == [True] * 59
        assert "caught up" in caplog.text
        assert len(list(await store.db.execute_fetchall("SELECT id FROM messages"))) == 59
    finally:
        await recorder.close()
        await store.close()


async def test_the_publisher_names_a_full_disk_and_a_read_only_file(tmp_path: Path) -> None:
    """The reason an item is retried with (shown in ``/article status`` and the log)."""
    store = await open_store(tmp_path / "readalong.db")
    try:
        await cap_pages(store, 1)
        full = await a_failed_write(store, 1)
        # The store's own error, naming the file; SQLite's is only its cause.
        assert isinstance(full, DatabaseFullError) and is_busy_error(full)
        assert isinstance(full.__cause__, sqlite3.Error) and str(full).startswith(str(store.path))
        assert describe_trouble(full) == FULL
        verdict = classify(full)
        assert (verdict.permanent, verdict.reason, verdict.expected) == (False, FULL, True)

        await cap_pages(store, None)
        async with store.transaction() as db:
            await db.execute("PRAGMA query_only = ON")  # as a file made read-only under the bot
        read_only = await a_failed_write(store, 5000)
        assert classify(read_only).reason == "the database is read-only"
        assert not classify(read_only).permanent  # made writable again, the item goes out
    finally:
        await store.close()
