"""A burst of new messages through ``record_many``, as the recorder writes one: on PostgreSQL one
``INSERT … SELECT FROM unnest`` for the messages and the threads' upserts pipelined, with the same
rows, counts and thread flags as SQLite's."""

from __future__ import annotations

import dataclasses

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.message import StoredMessage
from bot.store import Store, StoreError
from tests.conftest import both_backends
from tests.messages import reader_message

pytestmark = both_backends


def said(mid: int, thread: int, *, private: bool = False, content: str | None = None) -> StoredMessage:
    return reader_message(
        mid,
        content or f"message {mid}",
        channel_id=thread,
        parent_id=70,
        created_at="2026-12-07T01:00:00+00:00",
        reply_to=mid - 1 if mid % 2 else None,
        attachments=(("a.png", "https://cdn/a.png", 3),) if mid == 4 else (),
        thread_private=private,
    )


async def test_a_burst_is_stored_whole_counting_only_the_new_and_upgrading_threads(store: Store) -> None:
    burst = [said(n, 100 + n % 3) for n in range(1, 601)]
    assert await store.messages.record_many(burst[:2]) == 2
    again = [*burst, said(601, 100, private=True, content="a NUL \x00 here")]
    assert await store.messages.record_many(again) == 599  # the first two were stored before

    rows = list(
        await store.db.execute_fetchall(
            "SELECT id, channel_id, content, reply_to, attachments FROM messages ORDER BY id"
        )
    )
    assert [r[0] for r in rows] == list(range(1, 602))
    assert [r[1] for r in rows[:3]] == [101, 102, 100]
    assert rows[3][3] is None and rows[4][3] == 4
    assert rows[-1][2] in ("a NUL \x00 here", "a NUL \ufffd here")  # PostgreSQL's text holds no NUL
    assert "a.png" in rows[3][4] and rows[4][4] == "[]"
    threads = await store.db.execute_fetchall("SELECT id, private FROM threads ORDER BY id")
    assert [tuple(t) for t in threads] == [(100, 1), (101, 0), (102, 0)]


async def test_a_burst_that_cannot_be_stored_stores_none_of_it(store: Store) -> None:
    good = [said(n, 100) for n in range(1, 4)]
    broken = dataclasses.replace(said(4, 100), author_name=None)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        await store.messages.record_many([*good, broken])
    assert await store.db.execute_fetchall("SELECT id FROM messages") == []


async def test_many_rows_into_an_array_column_keep_each_row_s_array(
    migrated_postgres_url: PostgresUrl,
) -> None:
    # unnest would flatten a column of arrays: such an insert goes row by row (pipelined).
    async with Store(migrated_postgres_url) as store:
        async with store.transaction() as db:
            await db.execute("CREATE TABLE tagged (id BIGINT PRIMARY KEY, tags TEXT[])")
            await db.executemany(
                "INSERT INTO tagged (id, tags) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                [(1, ["a", "b"]), (2, []), (3, ["c"])],
            )
        rows = await store.db.execute_fetchall("SELECT id, tags FROM tagged ORDER BY id")
    assert [(r[0], list(r[1])) for r in rows] == [(1, ["a", "b"]), (2, []), (3, ["c"])]
