"""Batched recording of live messages.

Every message event awaits :meth:`BatchRecorder.add`, which returns once the message is committed
(so "acknowledged" means on disk). Messages that arrive while a commit is under way wait for the
next one and go in together, so a burst costs a few transactions, not one per message.
"""

from __future__ import annotations

import asyncio
import contextlib

from bot.store import Store
from bot.store.messages import StoredMessage


class BatchRecorder:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[tuple[StoredMessage, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def add(self, message: StoredMessage) -> None:
        """Record ``message`` (once: a message stored before is left as it is). Returns after the commit."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((message, done))
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush(), name="readalong-recorder")
        return await done

    async def _flush(self) -> None:
        """One writer at a time: whatever arrives during a commit goes in the next one, so batches
        grow with the load instead of many small transactions queueing for the write lock."""
        try:
            await asyncio.sleep(0)  # let the other handlers of this burst join the batch
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    await self._store.messages.record_many([m for m, _ in batch])
                except BaseException as error:
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(
                                error if isinstance(error, Exception) else RuntimeError("recorder stopped")
                            )
                    raise
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._flusher = None

    async def drain(self) -> None:
        """Wait until every message handed in so far is written."""
        while self._flusher is not None:
            with contextlib.suppress(Exception):
                await self._flusher
