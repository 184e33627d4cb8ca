"""Backfill: bringing the archive level with Discord after the bot was away (a restart, a lost
session, a recorder queue that overflowed), whatever Discord will never send as events.

Every tracked channel and thread of every server this process serves is read back from Discord
and reconciled with what was archived (:func:`bot.archive.sync.reconcile_channel`): added, edited,
deleted. The sequence lives here, without Discord: the discussion cog hands in how to read a
channel's history (:data:`History`, the one part that touches Discord objects) and how to redact
the bot's answers quoting a message found deleted or edited. One backfill runs at a time; one
asked for meanwhile runs once more after it (events may have been missed during the first), and
a failure is logged and retried under :func:`~bot.discord.supervise.supervise`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable

from bot.aio import Backoff, supervise
from bot.archive.sync import SyncCounts, reconcile_channel
from bot.domain.message import StoredMessage
from bot.services import archive as archive_service
from bot.store import Store

log = logging.getLogger(__name__)

DISCORD_EPOCH = 1420070400000
"""Discord's epoch (2015-01-01) in Unix milliseconds: a message id's top bits count from it."""

History = Callable[[int, int], Awaitable[list[StoredMessage] | None]]
"""``history(channel_id, after)``: the channel's or thread's messages after message id ``after``
(0: all of them) that belong to a discussion, as archived, oldest first; None when the channel
cannot be read (gone, no access, not one with messages of its own), which skips it."""
Redact = Callable[[int, str | None], Awaitable[None]]
"""``redact(message_id, now_reads)``: the bot's answers quoting a message found deleted (None) or
edited to ``now_reads`` are edited as for a live deletion or edit."""


def first_id_since(since: dt.datetime | None) -> int:
    """The id just below any message sent at or after ``since`` (``discord.utils.time_snowflake``
    less one): history after it is what came from then on; 0 (everything) for None."""
    if since is None:
        return 0
    return (int(since.timestamp() * 1000 - DISCORD_EPOCH) << 22) - 1


class Backfill:
    """The backfill of one bot process; see the module's docstring."""

    def __init__(
        self,
        store: Store,
        *,
        guilds: Callable[[], Iterable[int]],
        history: History,
        redact: Redact,
        backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._guilds = guilds
        self._history = history
        self._redact = redact
        self._backoff = backoff or Backoff(1.0, 300.0)
        self._task: asyncio.Task[SyncCounts] | None = None
        self._again = False
        self._started = asyncio.Event()

    def request(self) -> None:
        """Start a backfill, or run one more after the current one (events may have been missed)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(
            supervise("backfill", self._loop, backoff=self._backoff, ready=self._store.availability.wait),
            name="readalong-backfill",
        )
        self._started.set()

    async def _loop(self) -> SyncCounts:
        total = SyncCounts()
        while True:  # any failure (Discord, network, a busy database) is logged and retried by supervise
            self._again = False
            total += await self.run()
            if not self._again:
                return total

    async def wait(self) -> SyncCounts:
        """The result of the backfill under way (for tests and the sandbox)."""
        await self._started.wait()
        assert self._task is not None
        return await self._task

    async def close(self) -> None:
        """Stop the backfill under way, if any (the next start's backfill does its work)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def run(self) -> SyncCounts:
        """Bring the archive level with every tracked channel and thread, archived ones included."""
        counts = SyncCounts()
        for guild_id in self._guilds():
            for tracked in await archive_service.tracked_channels(self._store, guild_id):
                # In the article's channel, only what came after the posting; threads in full.
                counts += await self._channel(tracked.channel_id, first_id_since(tracked.since))
        if counts != SyncCounts():
            log.info("backfill: %d added, %d edited, %d deleted", counts.added, counts.edited, counts.deleted)
        return counts

    async def _channel(self, channel_id: int, after: int) -> SyncCounts:
        rows = await self._history(channel_id, after)
        if rows is None:
            return SyncCounts()
        counts = await reconcile_channel(self._store, channel_id, rows, after_id=after)
        # Deleted or edited while the bot was away: its answers quoting them follow, as live.
        for message_id in counts.gone:
            await self._redact(message_id, None)
        for message_id, now_reads in counts.rewritten:
            await self._redact(message_id, now_reads)
        return counts
