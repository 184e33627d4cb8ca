"""Background work that never dies silently: run it, and when it fails, log why, wait, run it again.

The publisher, each posting, the recorder's writer and backfill all run under :func:`supervise`,
and their tasks are owned by a :class:`TaskSet` that cancels and awaits them on close. An
unexpected exception (a locked database, a bug, a network error nobody foresaw) costs a logged
traceback and a bounded pause, never the work itself: "the publisher stopped" is not a state the
bot can be in while it runs.

Plain asyncio, no discord: it sits low in the layers (above the store, whose outage error it
knows) so that the archive's recorder and backfill use it without belonging to the Discord layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.store.errors import DatabaseUnavailableError

T = TypeVar("T")
log = logging.getLogger(__name__)


class Backoff:
    """Delays that double from ``first`` up to ``cap`` (bounded: a long outage costs at most
    ``cap`` seconds of delay after it ends), and start again from ``first`` after a success."""

    def __init__(self, first: float = 1.0, cap: float = 300.0, factor: float = 2.0) -> None:
        if not 0 < first <= cap or factor < 1:
            raise ValueError("backoff needs 0 < first <= cap and factor >= 1")
        self.first = first
        self.cap = cap
        self.factor = factor
        self.failures = 0

    def next(self) -> float:
        """The delay before the next attempt, counting this failure."""
        delay = min(self.cap, self.first * self.factor**self.failures)
        self.failures += 1
        return delay

    def reset(self) -> None:
        """Start again from ``first`` after a success."""
        self.failures = 0


HEALTHY_AFTER = 60.0
"""A run that lasted this long before failing was healthy: the next failure starts the backoff
over, so a crash once a day does not inherit yesterday's five-minute delay."""


_AFTER_OUTAGE = 0.1
Ready = Callable[[], Awaitable[None]]
"""Waits until the database is available again (the store's ``availability.wait``)."""


async def supervise(
    name: str, work: Callable[[], Awaitable[T]], *, backoff: Backoff | None = None, ready: Ready | None = None
) -> T:
    """Run ``work()`` until it returns, and return what it returns. Any exception is logged with
    its traceback, then ``work`` runs again after a bounded delay; cancelling the caller stops it
    (cancellation is never swallowed). A database outage (:class:`DatabaseUnavailableError`) is
    expected, not a bug: with ``ready`` given, ``work`` runs again as soon as ``ready()`` says the
    database is back, with no traceback and no backoff (the store logs the outage, once)."""
    backoff = backoff or Backoff()
    restarts = 0
    while True:
        started = time.monotonic()
        try:
            result = await work()
        except Exception as error:
            if ready is not None and isinstance(error, DatabaseUnavailableError):
                await ready()
                await asyncio.sleep(_AFTER_OUTAGE)  # never a busy loop, should ready() not wait
                continue
            if time.monotonic() - started >= HEALTHY_AFTER:
                backoff.reset()
            delay = backoff.next()
            restarts += 1
            log.exception("%s failed; restarting it in %.1f s", name, delay)
            await asyncio.sleep(delay)
            log.info("%s restarted (restart %d)", name, restarts)
            continue
        return result


class TaskSet:
    """Named background tasks with one owner: each is started supervised, replaced or cancelled
    by name, and :meth:`close` cancels and awaits them all. No task is fire-and-forget."""

    def __init__(self, ready: Ready | None = None) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._ready = ready

    def __contains__(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()

    def names(self) -> list[str]:
        """The names of the tasks still running."""
        return [name for name, task in self._tasks.items() if not task.done()]

    def start(
        self,
        name: str,
        work: Callable[[], Awaitable[None]],
        *,
        backoff: Backoff | None = None,
        on_exit: Callable[[], None] | None = None,
    ) -> asyncio.Task[None]:
        """Run ``work`` supervised under ``name``, unless a task of that name is still running."""
        running = self._tasks.get(name)
        if running is not None and not running.done():
            return running
        task = asyncio.create_task(
            supervise(name, work, backoff=backoff, ready=self._ready), name=f"readalong: {name}"
        )
        self._tasks[name] = task

        def finished(done: asyncio.Task[None]) -> None:
            if self._tasks.get(name) is done:
                del self._tasks[name]
            if on_exit is not None:
                on_exit()

        task.add_done_callback(finished)
        return task

    async def cancel(self, name: str) -> None:
        """Cancel the task called ``name``, if any, and wait until it has stopped."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close(self) -> None:
        """Cancel every task and wait until each has finished."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
