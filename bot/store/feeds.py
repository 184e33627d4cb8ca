"""Queries on followed feeds and the entries seen in them. Every change is one statement or one
transaction; an entry is claimed by a single conditional UPDATE, so of two pollers (two processes
on one PostgreSQL database, or a poll racing a restart) exactly one gets it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.feed import ClaimedEntry, EntryState, FollowedFeed
from bot.errors import ConflictError, NotFoundError
from bot.store.connection import Row

if TYPE_CHECKING:
    from bot.store.db import Store

CLAIM_LEASE = dt.timedelta(minutes=30)
"""How long a claimed entry is another poller's: a process killed mid-import leaves its claim,
which may be taken again after this (the posting is then looked for before it is made again)."""


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _when(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def _feed(row: Row) -> FollowedFeed:
    keys = row.keys()
    return FollowedFeed(
        id=int(row["id"]),
        guild_id=int(row["guild_id"]),
        channel_id=int(row["channel_id"]),
        channel_kind=row["channel_kind"],
        tag_id=row["tag_id"],
        url=row["url"],
        title=row["title"],
        pace_minutes=int(row["pace_minutes"]),
        state=row["state"],
        created_by=int(row["created_by"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_poll_at=_when(row["last_poll_at"]),
        last_error=row["last_error"],
        failures=int(row["failures"]),
        next_poll_at=dt.datetime.fromisoformat(row["next_poll_at"]),
        notify_channel_id=row["notify_channel_id"],
        posted=int(row["posted"]) if "posted" in keys else 0,
    )


_WITH_POSTED = (
    "SELECT f.*, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id AND e.state = 'posted')"
    " AS posted FROM feeds f"
)


class FeedQueries:
    """Feeds followed by servers, and every entry each has shown."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(
        self,
        *,
        guild_id: int,
        channel_id: int,
        channel_kind: str,
        tag_id: int | None,
        url: str,
        title: str,
        pace_minutes: int,
        created_by: int,
        now: dt.datetime,
        next_poll_at: dt.datetime,
        entries: Sequence[tuple[str, str, str, dt.datetime | None, EntryState]],
        etag: str | None,
        last_modified: str | None,
        notify_channel_id: int | None = None,
    ) -> FollowedFeed:
        """Follow a feed with the entries its first poll found (``skipped``, or ``pending`` for
        those asked to be posted), in one transaction."""
        async with self._store.transaction() as db:
            async with db.execute(
                "SELECT id FROM feeds WHERE guild_id = ? AND channel_id = ? AND url = ?",
                (guild_id, channel_id, url),
            ) as cursor:
                if await cursor.fetchone() is not None:
                    raise ConflictError(f"{url} is already followed in <#{channel_id}>")
            cursor = await db.execute(
                "INSERT INTO feeds (guild_id, channel_id, channel_kind, tag_id, url, title, pace_minutes,"
                " created_by, created_at, etag, last_modified, last_poll_at, next_poll_at, notify_channel_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    guild_id,
                    channel_id,
                    channel_kind,
                    tag_id,
                    url,
                    title,
                    pace_minutes,
                    created_by,
                    _iso(now),
                    etag,
                    last_modified,
                    _iso(now),
                    _iso(next_poll_at),
                    notify_channel_id,
                ),
            )
            created = await cursor.fetchone()
            assert created is not None
            feed_id = int(created["id"])
            await db.executemany(
                "INSERT INTO feed_entries (feed_id, entry_key, link, title, published, seen_at, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed_id, entry_key) DO NOTHING",
                [
                    (feed_id, key, link, title, None if when is None else _iso(when), _iso(now), state)
                    for key, link, title, when, state in entries
                ],
            )
        return await self.get(feed_id)

    async def get(self, feed_id: int) -> FollowedFeed:
        """The feed ``feed_id``, or NotFoundError."""
        async with self._store.db.execute(f"{_WITH_POSTED} WHERE f.id = ?", (feed_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no feed {feed_id}")
        return _feed(row)

    async def for_guild(self, guild_id: int) -> list[FollowedFeed]:
        """The server's feeds, oldest first (the order /feed list numbers them in)."""
        async with self._store.db.execute(
            f"{_WITH_POSTED} WHERE f.guild_id = ? ORDER BY f.id", (guild_id,)
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def due(self, now: dt.datetime, limit: int) -> list[FollowedFeed]:
        """Active feeds whose next poll is due, the longest waiting first."""
        async with self._store.db.execute(
            f"{_WITH_POSTED} WHERE f.state = 'active' AND f.next_poll_at <= ? ORDER BY f.next_poll_at LIMIT ?",
            (_iso(now), limit),
        ) as cursor:
            return [_feed(row) for row in await cursor.fetchall()]

    async def take_poll(self, feed: FollowedFeed, until: dt.datetime) -> bool:
        """Claim this feed's poll (its next poll moved to ``until``) unless another poller did since
        it was read: True if this one polls it."""
        async with self._store.transaction() as db:
            cursor = await db.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE id = ? AND next_poll_at = ? AND state = 'active'",
                (_iso(until), feed.id, _iso(feed.next_poll_at)),
            )
            return cursor.rowcount == 1

    async def polled(
        self,
        feed_id: int,
        *,
        now: dt.datetime,
        next_poll_at: dt.datetime,
        error: str | None,
        failures: int,
        etag: str | None = None,
        last_modified: str | None = None,
        url: str | None = None,
        gone: bool = False,
        entries: Sequence[tuple[str, str, str, dt.datetime | None]] = (),
    ) -> int:
        """Record a poll: its outcome, the validators and address to use next time, and the entries
        it found (new ones ``pending``; ones seen before untouched). How many were new."""
        async with self._store.transaction() as db:
            added = 0
            for key, link, title, when in entries:
                cursor = await db.execute(
                    "INSERT INTO feed_entries (feed_id, entry_key, link, title, published, seen_at, state)"
                    " VALUES (?, ?, ?, ?, ?, ?, 'pending') ON CONFLICT (feed_id, entry_key) DO NOTHING",
                    (feed_id, key, link, title, None if when is None else _iso(when), _iso(now)),
                )
                added += cursor.rowcount
            await db.execute(
                "UPDATE feeds SET last_poll_at = ?, next_poll_at = ?, last_error = ?, failures = ?,"
                " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),"
                " url = COALESCE(?, url), state = CASE WHEN ? = 1 THEN 'gone' ELSE state END WHERE id = ?",
                (
                    _iso(now),
                    _iso(next_poll_at),
                    error,
                    failures,
                    etag,
                    last_modified,
                    url,
                    int(gone),
                    feed_id,
                ),
            )
        return added

    async def claim(
        self, now: dt.datetime, limit: int, feed_id: int | None = None, exclude: Sequence[int] = ()
    ) -> list[ClaimedEntry]:
        """Claim up to ``limit`` entries waiting to be posted (pending, or claimed by a poller that
        has not finished within :data:`CLAIM_LEASE`) of active feeds, oldest seen first. Each is
        taken by one UPDATE that only one poller can win. Only ``feed_id``'s if given; none of
        ``exclude`` (feeds this poll has dealt with already)."""
        one_feed = "" if feed_id is None else f" AND e.feed_id = {int(feed_id)}"
        if exclude:
            one_feed += f" AND e.feed_id NOT IN ({', '.join(str(int(i)) for i in exclude)})"
        async with self._store.db.execute(
            "SELECT e.feed_id, e.entry_key, e.link, e.title, e.claimed_at FROM feed_entries e"
            " JOIN feeds f ON f.id = e.feed_id WHERE f.state = 'active'"
            f" AND (e.state = 'pending' OR (e.state = 'claimed' AND e.claimed_at < ?)){one_feed}"
            " ORDER BY e.seen_at, e.published, e.entry_key LIMIT ?",
            (_iso(now - CLAIM_LEASE), limit),
        ) as cursor:
            waiting = await cursor.fetchall()
        claimed: list[ClaimedEntry] = []
        feeds: dict[int, FollowedFeed] = {}
        for row in waiting:
            async with self._store.transaction() as db:
                cursor = await db.execute(
                    "UPDATE feed_entries SET state = 'claimed', claimed_at = ? WHERE feed_id = ? AND entry_key = ?"
                    " AND (state = 'pending' OR (state = 'claimed' AND claimed_at = ?))",
                    (_iso(now), row["feed_id"], row["entry_key"], row["claimed_at"]),
                )
                won = cursor.rowcount == 1
            if won:
                feed_id = int(row["feed_id"])
                if feed_id not in feeds:
                    feeds[feed_id] = await self.get(feed_id)
                claimed.append(ClaimedEntry(feeds[feed_id], row["entry_key"], row["link"], row["title"]))
        return claimed

    async def finish(
        self,
        feed_id: int,
        key: str,
        *,
        article_id: str | None,
        posting_id: int | None,
        error: str | None = None,
        retry: bool = False,
    ) -> None:
        """An entry claimed is posted (``posting_id``), failed for good (``error``), or failed for
        now (``retry``: pending again, tried at the next poll). The error is shown in /feed list."""
        state = "posted" if error is None else "pending" if retry else "failed"
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE feed_entries SET state = ?, article_id = ?, posting_id = ?, error = ?,"
                " attempts = attempts + 1 WHERE feed_id = ? AND entry_key = ?",
                (state, article_id, posting_id, error, feed_id, key),
            )
            if error is not None:
                await db.execute("UPDATE feeds SET last_error = ? WHERE id = ?", (error, feed_id))

    async def attempts(self, feed_id: int, key: str) -> int:
        """How many times an entry has been tried."""
        async with self._store.db.execute(
            "SELECT attempts FROM feed_entries WHERE feed_id = ? AND entry_key = ?", (feed_id, key)
        ) as cursor:
            row = await cursor.fetchone()
        return 0 if row is None else int(row["attempts"])

    async def set_state(self, feed_id: int, state: str, next_poll_at: dt.datetime | None = None) -> None:
        """Pause, resume (polled again from ``next_poll_at``) or mark a feed gone."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE feeds SET state = ?, next_poll_at = COALESCE(?, next_poll_at) WHERE id = ?",
                (state, None if next_poll_at is None else _iso(next_poll_at), feed_id),
            )

    async def remove(self, feed_id: int) -> None:
        """Unfollow: the feed and its entries are forgotten (what was posted stays posted)."""
        async with self._store.transaction() as db:
            await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    async def entry_states(self, feed_id: int) -> dict[str, str]:
        """Each entry's state by its key (for tests and the CLI's look at a feed)."""
        async with self._store.db.execute(
            "SELECT entry_key, state FROM feed_entries WHERE feed_id = ?", (feed_id,)
        ) as cursor:
            return {row["entry_key"]: row["state"] for row in await cursor.fetchall()}
