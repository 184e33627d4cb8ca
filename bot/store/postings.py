"""Queries on postings (an article being posted into a channel) and their items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.article import article_slug
from bot.domain.posting import ItemRow, Placement, Posting, PostingState, Release
from bot.domain.shards import EVERY_SHARD, ShardSet
from bot.errors import ConflictError, NotFoundError
from bot.store.connection import Row

if TYPE_CHECKING:
    from bot.domain.posting import PlanItem
    from bot.store.db import Store


def utcnow() -> dt.datetime:
    """The current time, aware and in UTC, as every due time is stored."""
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _posting(row: Row) -> Posting:
    return Posting(
        row["id"],
        row["article_id"],
        row["guild_id"],
        row["channel_id"],
        row["channel_kind"],
        row["pace_minutes"],
        bool(row["with_comments"]),
        row["state"],
        row["created_by"],
        row["created_at"],
        row["paused_reason"],
        row["notify_channel_id"],
        row["tag_id"],
        row["cancelled_at"],
        row["schedule"],
        row["timezone"],
    )


def _item(row: Row) -> ItemRow:
    return ItemRow(
        row["posting_id"],
        row["seq"],
        row["kind"],
        row["section"],
        row["comment"],
        row["part"],
        dt.datetime.fromisoformat(row["due_at"]),
        row["status"],
        row["message_id"],
        row["thread_id"],
        row["container_id"],
    )


class PostingQueries:
    """Postings and their items; state changes are single transactions, so a crash leaves each item pending,
    sending or done."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def create(
        self,
        *,
        article_id: str,
        guild_id: int,
        channel_id: int,
        channel_kind: str,
        pace_minutes: int,
        with_comments: bool,
        created_by: int,
        items: list[PlanItem],
        start: dt.datetime,
        notify_channel_id: int | None = None,
        tag_id: int | None = None,
        due: Sequence[dt.datetime] | None = None,
        schedule: tuple[str, str] | None = None,
    ) -> Posting:
        """Record the whole plan in one transaction: after this, the posting survives any restart.
        Each item falls due ``start`` plus its offset, or at ``due[i]`` when the due times are
        given (a schedule's releases; ``schedule`` is then its text and zone, kept with it). The
        posting is recorded as made at ``start`` (the bot's clock): the history after it is where
        its messages are looked for after a restart, and what the archive backfills."""
        async with self._store.transaction() as db:
            # Only a posting still going excludes another of the article in the channel (the
            # database's partial index too): a cancelled or finished one may be posted again.
            async with db.execute(
                "SELECT id, state FROM postings WHERE article_id = ? AND channel_id = ? AND state != 'done'",
                (article_id, channel_id),
            ) as cursor:
                going = await cursor.fetchone()
            if going is not None:
                raise ConflictError(
                    f"{article_slug(article_id)!r} is already being posted in <#{channel_id}>"
                    f" ({'paused' if going['state'] == 'paused' else 'still posting'}):"
                    f" cancel it first with `/article cancel article:{article_slug(article_id)}#{going['id']}`"
                )
            cursor = await db.execute(
                "INSERT INTO postings (article_id, guild_id, channel_id, channel_kind, pace_minutes, with_comments,"
                " created_by, created_at, notify_channel_id, tag_id, schedule, timezone)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                (
                    article_id,
                    guild_id,
                    channel_id,
                    channel_kind,
                    pace_minutes,
                    int(with_comments),
                    created_by,
                    _iso(start),  # the bot's clock: the messages it sends carry the same time
                    notify_channel_id,
                    tag_id,
                    schedule[0] if schedule else None,
                    schedule[1] if schedule else None,
                ),
            )
            created = await cursor.fetchone()
            assert created is not None
            posting_id = int(created["id"])
            await db.executemany(
                "INSERT INTO posting_items (posting_id, seq, kind, section, comment, part, due_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        posting_id,
                        item.seq,
                        item.kind,
                        item.section,
                        item.comment,
                        item.part,
                        _iso(
                            due[i] if due is not None else start + dt.timedelta(minutes=item.offset_minutes)
                        ),
                    )
                    for i, item in enumerate(items)
                ],
            )
        return await self.get(posting_id)

    async def get(self, posting_id: int) -> Posting:
        """The posting ``posting_id``, or NotFoundError."""
        async with self._store.db.execute("SELECT * FROM postings WHERE id = ?", (posting_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no posting {posting_id}")
        return _posting(row)

    async def for_guild(self, guild_id: int, article_id: str | None = None) -> list[Posting]:
        """The guild's postings, newest first."""
        sql = "SELECT * FROM postings WHERE guild_id = ?"
        params: tuple[object, ...] = (guild_id,)
        if article_id is not None:
            sql += " AND article_id = ?"
            params = (guild_id, article_id)
        async with self._store.db.execute(sql + " ORDER BY id DESC", params) as cursor:
            return [_posting(row) for row in await cursor.fetchall()]

    async def items(self, posting_id: int) -> list[ItemRow]:
        """The posting's items in posting order (by ``seq``)."""
        async with self._store.db.execute(
            "SELECT * FROM posting_items WHERE posting_id = ? ORDER BY seq", (posting_id,)
        ) as cursor:
            return [_item(row) for row in await cursor.fetchall()]

    async def next_item(self, posting_id: int | None = None) -> tuple[Posting, ItemRow] | None:
        """The earliest unfinished item of an active posting (items of one posting go in seq
        order): of ``posting_id`` only if given, else of any posting. None if there is none."""
        where = "p.state = 'active' AND i.status != 'done'"
        params: tuple[object, ...] = ()
        if posting_id is not None:
            where += " AND p.id = ?"
            params = (posting_id,)
        async with self._store.db.execute(
            "SELECT i.* FROM posting_items i JOIN postings p ON p.id = i.posting_id"
            f" WHERE {where}"
            " AND i.seq = (SELECT min(seq) FROM posting_items j WHERE j.posting_id = i.posting_id AND j.status != 'done')"
            " ORDER BY i.due_at, i.posting_id LIMIT 1",
            params,
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        item = _item(row)
        return await self.get(item.posting_id), item

    async def any(self) -> bool:
        """Whether any posting was ever made in this database (active, paused or done)."""
        async with self._store.db.execute("SELECT 1 FROM postings LIMIT 1") as cursor:
            return await cursor.fetchone() is not None

    async def active_ids(self, shards: ShardSet = EVERY_SHARD) -> list[int]:
        """The postings with items still to send, each of which the publisher works on on its own;
        only those of servers on ``shards`` (a process sends only its own servers' postings)."""
        async with self._store.db.execute(
            "SELECT id, guild_id FROM postings WHERE state = 'active' ORDER BY id"
        ) as cursor:
            return [row["id"] for row in await cursor.fetchall() if shards.owns(row["guild_id"])]

    async def halt(self, posting_id: int, reason: str) -> None:
        """Pause a posting Discord refuses for good, keeping why (resuming clears it)."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE postings SET state = 'paused', paused_reason = ? WHERE id = ? AND state = 'active'",
                (reason, posting_id),
            )

    async def mark_sending(self, posting_id: int, seq: int) -> None:
        """Note that the item is about to be sent: after a crash, a ``sending`` item is looked for in the
        channel before it is sent again, so nothing posts twice."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE posting_items SET status = 'sending' WHERE posting_id = ? AND seq = ? AND status = 'pending'",
                (posting_id, seq),
            )

    async def record_message(self, posting_id: int, seq: int, message_id: int, container_id: int) -> None:
        """Remember the message the item was sent as, and the channel or thread it is in, before the item is
        marked done."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE posting_items SET message_id = ?, container_id = ? WHERE posting_id = ? AND seq = ?",
                (message_id, container_id, posting_id, seq),
            )

    async def mark_done(self, posting_id: int, seq: int, thread_id: int | None) -> None:
        """Finish an item; the posting is done with its last item."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE posting_items SET status = 'done', thread_id = ?, sent_at = ? WHERE posting_id = ? AND seq = ?",
                (thread_id, _iso(utcnow()), posting_id, seq),
            )
            await db.execute(
                "UPDATE postings SET state = 'done' WHERE id = ? AND NOT EXISTS"
                " (SELECT 1 FROM posting_items WHERE posting_id = ? AND status != 'done')",
                (posting_id, posting_id),
            )

    async def set_state(
        self,
        posting_id: int,
        state: PostingState,
        *,
        reschedule_pace: int | None = None,
        reschedule_due: Sequence[dt.datetime] | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """Pause or resume (either clears a stored reason for a pause: an admin acted on it);
        resuming spreads the pending items from now at the posting's pace, keeping it: the next
        section falls due one interval after resuming (what comes before it, such as an unsent
        intro, at once), each later one an interval after that, the comments with the last.
        A scheduled posting gives its next releases instead (``reschedule_due``: one per section
        still to send, in order)."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE postings SET state = ?, paused_reason = NULL WHERE id = ? AND state != 'done'",
                (state, posting_id),
            )
            if reschedule_pace is not None or reschedule_due is not None:
                async with db.execute(
                    "SELECT seq, kind FROM posting_items WHERE posting_id = ? AND status != 'done' ORDER BY seq",
                    (posting_id,),
                ) as cursor:
                    rows = await cursor.fetchall()
                now = now or utcnow()
                step = 0
                due = now
                for row in rows:
                    if row["kind"] == "section":
                        step += 1
                        if reschedule_due is not None:
                            due = reschedule_due[min(step, len(reschedule_due)) - 1]
                        else:
                            due = now + dt.timedelta(minutes=step * (reschedule_pace or 0))
                    await db.execute(
                        "UPDATE posting_items SET due_at = ? WHERE posting_id = ? AND seq = ?",
                        (_iso(due), posting_id, row["seq"]),
                    )

    async def upcoming(self, guild_id: int, channel_ids: Sequence[int], limit: int) -> list[Release]:
        """The next ``limit`` sections to be released in the server's active postings, soonest
        first, only of postings in ``channel_ids`` (those the member asking can read)."""
        if not channel_ids:
            return []
        marks = ", ".join("?" for _ in channel_ids)
        async with self._store.db.execute(
            "SELECT p.id, p.article_id, a.title, p.channel_id, i.section, i.due_at,"
            " (SELECT count(*) FROM posting_items t WHERE t.posting_id = p.id AND t.kind = 'section') AS total"
            " FROM posting_items i JOIN postings p ON p.id = i.posting_id JOIN articles a ON a.id = p.article_id"
            f" WHERE p.guild_id = ? AND p.state = 'active' AND p.channel_id IN ({marks})"
            " AND i.kind = 'section' AND i.status != 'done' ORDER BY i.due_at, p.id, i.seq LIMIT ?",
            (guild_id, *channel_ids, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            Release(
                row["id"],
                row["article_id"],
                row["title"] or article_slug(row["article_id"]),
                row["channel_id"],
                row["section"],
                row["total"],
                dt.datetime.fromisoformat(row["due_at"]),
            )
            for row in rows
        ]

    async def placement(self, channel_or_message_id: int) -> Placement | None:
        """The article and section a thread, forum post or posted message belongs to."""
        async with self._store.db.execute(
            "SELECT i.posting_id, p.article_id, i.section, i.kind FROM posting_items i"
            " JOIN postings p ON p.id = i.posting_id"
            " WHERE i.thread_id = ? OR i.message_id = ? LIMIT 1",
            (channel_or_message_id, channel_or_message_id),
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            async with self._store.db.execute(
                "SELECT id, article_id FROM postings WHERE channel_id = ? ORDER BY id DESC LIMIT 1",
                (channel_or_message_id,),
            ) as cursor:
                parent = await cursor.fetchone()
            return Placement(parent["id"], parent["article_id"], None) if parent else None
        return Placement(row["posting_id"], row["article_id"], row["section"])

    async def placement_of_thread(self, thread_id: int) -> int | None:
        """The posting whose thread (or forum post) this is; None for any other channel."""
        async with self._store.db.execute(
            "SELECT posting_id FROM posting_items WHERE thread_id = ? LIMIT 1", (thread_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else int(row["posting_id"])

    async def section_links(self, posting_id: int) -> dict[int, tuple[int, int]]:
        """Section number → (container id, message id) of its posted message."""
        async with self._store.db.execute(
            "SELECT section, container_id, message_id FROM posting_items"
            " WHERE posting_id = ? AND kind = 'section' AND message_id IS NOT NULL",
            (posting_id,),
        ) as cursor:
            return {
                row["section"]: (row["container_id"], row["message_id"]) for row in await cursor.fetchall()
            }

    async def posted_sections(self, posting_id: int) -> tuple[frozenset[int], int]:
        """The sections of a posting sent so far (their item done), and how many it has in all:
        what ``/ask`` may quote without spoiling what readers have not been posted yet."""
        async with self._store.db.execute(
            "SELECT section, status FROM posting_items WHERE posting_id = ? AND kind = 'section'",
            (posting_id,),
        ) as cursor:
            rows = list(await cursor.fetchall())
        return frozenset(r["section"] for r in rows if r["status"] == "done"), len(rows)

    async def cancel(self, posting_id: int) -> bool:
        """Stop a posting for good (``/article cancel``): its state becomes ``done`` with the
        moment it was cancelled, so neither the publisher nor a restart ever picks it up again.
        Its items keep their status: those sent stay ``done`` with their message ids (the status
        and the archive still link them), the rest stay unsent. False if it had already ended."""
        async with self._store.transaction() as db:
            cursor = await db.execute(
                "UPDATE postings SET state = 'done', paused_reason = NULL, cancelled_at = ?"
                " WHERE id = ? AND state != 'done'",
                (_iso(utcnow()), posting_id),
            )
            return cursor.rowcount > 0

    async def behind_schedule(
        self, grace_seconds: float, shards: ShardSet = EVERY_SHARD, now: dt.datetime | None = None
    ) -> int:
        """How many active postings (of servers on ``shards``) have an unsent item due more than
        ``grace_seconds`` before ``now`` (the bot's clock, which the due times were set by): the
        health check's and the metrics' "postings behind schedule"."""
        cutoff = _iso((now or utcnow()) - dt.timedelta(seconds=grace_seconds))
        async with self._store.db.execute(
            "SELECT DISTINCT p.id, p.guild_id FROM postings p JOIN posting_items i ON i.posting_id = p.id"
            " WHERE p.state = 'active' AND i.status != 'done' AND i.due_at < ?",
            (cutoff,),
        ) as cursor:
            return sum(1 for row in await cursor.fetchall() if shards.owns(row["guild_id"]))
