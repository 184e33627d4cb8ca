"""The one clock the bot reads and waits on, passed in.

Due times are wall-clock moments (a section released "daily at 09:00"), so the publisher asks a
clock what time it is and how long to wait, instead of ``datetime.now`` and ``asyncio.sleep``.
In production that is :class:`SystemClock`; a test passes a :class:`ManualClock` it advances, so
a week of daily releases runs in a second, and a bot restarted on the same clock carries on from
the same "now"."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Protocol


class Clock(Protocol):
    """What the publisher needs of time: the present, and a wait that a change can cut short."""

    def now(self) -> dt.datetime:
        """The current moment, aware and in UTC."""

    async def wait(self, wake: asyncio.Event, seconds: float) -> None:
        """Until ``wake`` is set or ``seconds`` of this clock's time pass, whichever comes first."""


class SystemClock:
    """Wall time: what the running bot uses."""

    def now(self) -> dt.datetime:
        """The current moment, aware and in UTC."""
        return dt.datetime.now(dt.UTC)

    async def wait(self, wake: asyncio.Event, seconds: float) -> None:
        """Until ``wake`` is set or ``seconds`` pass."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=max(0.0, seconds))


class ManualClock:
    """Time that moves only when told (:meth:`advance`): every wait whose end is reached then
    returns. Waits end on ``wake`` too, as with the system clock."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock's start must be aware")
        self._now = start.astimezone(dt.UTC)
        self._waiters: list[tuple[dt.datetime, asyncio.Event]] = []

    def now(self) -> dt.datetime:
        """The moment the clock was last moved to."""
        return self._now

    def advance(self, by: dt.timedelta) -> None:
        """Move time on by ``by``; waits that end by then are woken."""
        if by < dt.timedelta(0):
            raise ValueError("time only moves forward")
        self._now += by
        for deadline, done in list(self._waiters):
            if deadline <= self._now:
                done.set()

    async def wait(self, wake: asyncio.Event, seconds: float) -> None:
        """Until ``wake`` is set or the clock is advanced ``seconds`` past now."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        entry = (self._now + dt.timedelta(seconds=seconds), asyncio.Event())
        self._waiters.append(entry)
        woken = asyncio.ensure_future(wake.wait())
        reached = asyncio.ensure_future(entry[1].wait())
        try:
            await asyncio.wait({woken, reached}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            reached.cancel()
            self._waiters.remove(entry)
