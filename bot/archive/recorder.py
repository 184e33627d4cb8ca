"""Batched recording of live messages, edits and deletions, that survives a busy database.

Every message event awaits :meth:`BatchRecorder.add` (or :meth:`~BatchRecorder.edit`,
:meth:`~BatchRecorder.delete`), which returns once the change is committed: "acknowledged" means
on disk. Changes that arrive while a commit is under way wait for the next one and go in
together, so a burst costs a few transactions, not one per message.

When the database is locked (another process holding a write lock, a long checkpoint), nothing is
dropped: the changes stay queued in order and the commit is retried with bounded backoff until it
goes through. The queue is bounded (:data:`QUEUE_LIMIT`); past it the oldest change is dropped,
logged, and a backfill requested, which brings the archive level with Discord's history once the
database is writable again: the last resort, never the plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.aio import Backoff, TaskSet
from bot.domain.message import StoredMessage
from bot.store import DatabaseUnavailableError, Store, describe_trouble, is_busy_error

log = logging.getLogger(__name__)

QUEUE_LIMIT = 10_000
"""Changes held in memory while the database cannot take them (about 10 MB of messages)."""
_BUSY_LOG_EVERY = 5.0


@dataclass(eq=False)
class _Change:
    """A new message, or an edit or deletion of one (``message`` None), waiting to be committed."""

    message: StoredMessage | None
    message_id: int
    content: str | None = None
    at: str | None = None
    done: asyncio.Future[bool] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, committed: bool) -> None:
        if not self.done.done():
            self.done.set_result(committed)


class BatchRecorder:
    """One writer for the discussion's live changes; see the module's docstring."""

    def __init__(
        self,
        store: Store,
        *,
        on_overflow: Callable[[], None] | None = None,
        limit: int = QUEUE_LIMIT,
        backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._on_overflow = on_overflow
        self._limit = limit
        self._backoff = backoff or Backoff(first=0.1, cap=5.0)
        self._queue: deque[_Change] = deque()
        self._empty = asyncio.Event()
        self._empty.set()
        self._tasks = TaskSet()
        self.dropped = 0
        """Changes dropped because the queue overflowed (a backfill was requested for each burst)."""

    @property
    def waiting(self) -> int:
        """Changes queued but not written yet; at most the queue's limit (past it the oldest is dropped and
        ``on_overflow`` asks for a backfill)."""
        return len(self._queue)

    async def add(self, message: StoredMessage) -> bool:
        """Record ``message`` (once: a message stored before is left as it is). Returns True after
        the commit; False only if it was dropped from an overflowing queue (backfill brings it)."""
        return await self._submit(_Change(message, message.id))

    async def edit(self, message_id: int, content: str, edited_at: str) -> bool:
        """Record an edit, after the message itself if that is still queued."""
        return await self._submit(_Change(None, message_id, content, edited_at))

    async def delete(self, message_id: int, deleted_at: str) -> bool:
        """Record a deletion, after the message itself if that is still queued."""
        return await self._submit(_Change(None, message_id, None, deleted_at))

    async def _submit(self, change: _Change) -> bool:
        if len(self._queue) >= self._limit:
            oldest = self._queue.popleft()
            oldest.settle(False)
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.error(
                    "the recorder's queue is full (%d changes waiting for the database): dropped the "
                    "oldest (%d so far); a backfill will bring them back from Discord",
                    self._limit,
                    self.dropped,
                )
            if self._on_overflow is not None:
                self._on_overflow()
        self._queue.append(change)
        self._empty.clear()
        self._tasks.start("the recorder", self._write)
        return await change.done

    async def _write(self) -> None:
        """Commit the queue from its head, a run of new messages in one transaction, edits and
        deletions one by one in their place; a busy database is waited out, never skipped."""
        await asyncio.sleep(0)  # let the other handlers of this burst join the batch
        busy_since: float | None = None
        last_log = 0.0
        while self._queue:
            batch = self._head()
            try:
                await self._commit(batch)
            except Exception as error:
                if isinstance(error, DatabaseUnavailableError):
                    # An outage: the store has said so once, and says when it is back; the queue
                    # waits for that (one line here too), rather than retrying every 5 s.
                    if busy_since is None:
                        log.warning("%d changes wait in memory until the database is back", len(self._queue))
                    busy_since = busy_since or time.monotonic()
                    if self._store.availability.available:  # not told to the store: back off instead
                        await asyncio.sleep(self._backoff.next())
                    else:
                        await self._store.availability.wait()
                    continue
                if is_busy_error(error):
                    now = time.monotonic()
                    busy_since = busy_since or now
                    delay = self._backoff.next()
                    if now - last_log >= _BUSY_LOG_EVERY:
                        last_log = now
                        log.warning(
                            "%s; %d changes wait in memory, retrying in %.1f s",
                            describe_trouble(error),
                            len(self._queue),
                            delay,
                        )
                    await asyncio.sleep(delay)
                    continue
                if len(batch) == 1:
                    log.exception("could not record change of message %d; skipped", batch[0].message_id)
                    self._settle(batch, committed=False)
                    continue
                for change in batch:  # one bad row must not sink the rest: commit them one by one
                    try:
                        await self._commit([change])
                    except Exception as again:
                        if is_busy_error(again):
                            break  # busy again: the outer loop waits and retries from here
                        log.exception("could not record change of message %d; skipped", change.message_id)
                        self._settle([change], committed=False)
                    else:
                        self._settle([change], committed=True)
                continue
            self._settle(batch, committed=True)
            if busy_since is not None:
                log.info(
                    "the database took writes again after %.1f s; the recorder caught up",
                    time.monotonic() - busy_since,
                )
                busy_since = None
            self._backoff.reset()
        self._empty.set()

    def _head(self) -> list[_Change]:
        """The run of new messages at the head of the queue, or the edit or deletion there."""
        first = self._queue[0]
        if first.message is None:
            return [first]
        batch = []
        for change in self._queue:
            if change.message is None:
                break
            batch.append(change)
        return batch

    async def _commit(self, batch: list[_Change]) -> None:
        messages = self._store.messages
        first = batch[0]
        if first.message is not None:
            await messages.record_many([c.message for c in batch if c.message is not None])
        elif first.content is not None:
            assert first.at is not None
            await messages.record_edit(first.message_id, first.content, first.at)
        else:
            assert first.at is not None
            await messages.mark_deleted(first.message_id, first.at)

    def _settle(self, batch: list[_Change], *, committed: bool) -> None:
        """Take ``batch`` off the head of the queue (what overflow has not already dropped)."""
        members = set(map(id, batch))
        while self._queue and id(self._queue[0]) in members:
            self._queue.popleft().settle(committed)
        for change in batch:
            change.settle(committed)
        if not self._queue:
            self._empty.set()

    async def drain(self) -> None:
        """Wait until every change handed in so far is written (or dropped)."""
        while self._queue or "the recorder" in self._tasks:
            await self._empty.wait()
            await asyncio.sleep(0)

    async def close(self, within: float = 10.0) -> None:
        """Write what is queued, waiting at most ``within`` seconds for a busy database; what is
        still queued then is left to the next start's backfill (logged)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), within)
        left = list(self._queue)
        self._queue.clear()
        await self._tasks.close()
        for change in left:
            change.settle(False)
        if left:
            log.warning("closing with %d changes unwritten; the next backfill brings them back", len(left))
        self._empty.set()
