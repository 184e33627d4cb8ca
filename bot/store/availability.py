"""Whether the database can be reached now, said once when it goes and once when it returns.

Every store call that finds the server unreachable (PostgreSQL refusing or dropping connections,
an SQLite file whose disk fails) tells :meth:`Availability.lost`. The first such call of an outage
logs one line and starts a readiness probe (the store's cheap ``SELECT 1``, every second); the
probe's first success logs one line and sets the shared "database available" event that the
publisher's workers wait on. So work resumes within about a second of the database returning,
however long the outage lasted, and an outage costs two log lines, not a traceback per retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.store.errors import DatabaseUnavailableError, unavailable_from

log = logging.getLogger(__name__)

PROBE_EVERY = 1.0
"""Seconds between two readiness probes while the database is unavailable."""


class Availability:
    """The store's "database available" state: an event set while it is, a probe while it is not."""

    def __init__(self, probe: Callable[[], Awaitable[None]], *, every: float = PROBE_EVERY) -> None:
        self._probe = probe
        self._every = every
        self._up = asyncio.Event()
        self._up.set()
        self._since: float | None = None
        self._task: asyncio.Task[None] | None = None
        self.errors = 0
        """Store calls that found the database unreachable, since the store was made (a metric)."""
        self.outages = 0
        """Outages seen (each counted once, however many calls failed in it)."""

    @property
    def available(self) -> bool:
        """False from the first call that found the database unreachable until the probe reaches it."""
        return self._up.is_set()

    @property
    def down_for(self) -> float:
        """Seconds since the database became unavailable (0 while it is available)."""
        return 0.0 if self._since is None else time.monotonic() - self._since

    def lost(self, error: DatabaseUnavailableError) -> None:
        """A store call could not reach the database: the first of an outage logs it and starts probing."""
        self.errors += 1
        if not self._up.is_set():
            return
        self._up.clear()
        self._since = time.monotonic()
        self.outages += 1
        log.warning(
            "the database is unavailable (%s); work waits for it, checking every %.0f s",
            error.detail,
            self._every,
        )
        with contextlib.suppress(RuntimeError):  # no running loop: the next call in one starts it
            self._task = asyncio.get_running_loop().create_task(
                self._until_reachable(), name="readalong: database probe"
            )

    async def wait(self) -> None:
        """Until the database is available (at once if it is)."""
        await self._up.wait()

    async def _until_reachable(self) -> None:
        while True:
            await asyncio.sleep(self._every)
            try:
                await self._probe()
            except Exception as error:
                if unavailable_from(error) is None:
                    # Reached, but the statement failed for another reason: the database is there.
                    log.warning(
                        "the database probe failed (%s: %s); taking it as reachable",
                        type(error).__name__,
                        error,
                    )
                    break
                continue
            break
        down = self.down_for
        self._since = None
        self._task = None
        self._up.set()
        log.info("the database is available again after %.1f s; work resumes", down)

    async def close(self) -> None:
        """Stop probing (the store is closing)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
