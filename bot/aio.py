"""Background work that never dies silently: run it, and when it fails, log why, wait, run it again.

The publisher, each posting, the recorder's writer and backfill all run under :func:`supervise`,
and their tasks are owned by a :class:`TaskSet` that cancels and awaits them on close. An
unexpected exception (a locked database, a bug, a network error nobody foresaw) costs a logged
traceback and a bounded pause, never the work itself: "the publisher stopped" is not a state the
bot can be in while it runs.

Also here, :class:`GroupCommit`: writes of one kind that arrive together (a burst of questions
logged), committed in one transaction rather than queued one behind the other.

Plain asyncio, no discord: it sits low in the layers (above the store, whose outage error it
knows) so that the archive's recorder and backfill use it without belonging to the Discord layer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

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


R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Writes of one kind that arrive together, committed together (a "group commit").

    Each caller of :meth:`submit` waits for its own item to be committed, as with one transaction
    each, but the items handed in while a commit is under way go in the next one, all at once:
    under a burst (200 members asking at once, each answer logged) the database sees a few
    transactions, not one per item queued behind each other, each statement a round trip through
    a busy event loop. Nothing runs in the background: the first caller to find no commit under
    way commits what is waiting, its own item included; the commit is shielded, so a caller
    cancelled meanwhile does not take the others' items down with it.

    ``write_many`` commits a list of items in one transaction and returns one result per item, in
    order. If it raises for a batch, each item is tried alone (one bad row must not sink the
    others) unless ``alone_may_pass(error)`` says the error is the database's, not the row's."""

    def __init__(
        self,
        write_many: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        alone_may_pass: Callable[[Exception], bool] = lambda error: True,
    ) -> None:
        self._write_many = write_many
        self._alone_may_pass = alone_may_pass
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._turn = asyncio.Lock()

    async def submit(self, item: T) -> R:
        """Commit ``item`` (with whatever else is waiting); its result, or the error that stopped it."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        try:
            async with self._turn:
                if not done.done():  # no commit took it while this caller waited its turn
                    batch, self._waiting = self._waiting, []
                    await asyncio.shield(self._commit(batch))
        except asyncio.CancelledError:
            done.add_done_callback(_retrieved)  # its outcome is nobody's now; not logged as lost
            raise
        return await done

    async def _commit(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._write_many([item for item, _ in batch])
        except Exception as error:
            if len(batch) == 1 or not self._alone_may_pass(error):
                for _, done in batch:
                    done.set_exception(error)
                return
            for item, done in batch:
                try:
                    (result,) = await self._write_many([item])
                except Exception as alone:
                    done.set_exception(alone)
                else:
                    done.set_result(result)
            return
        for (_, done), result in zip(batch, results, strict=True):
            done.set_result(result)


def _retrieved(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()
