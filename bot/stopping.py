"""SIGTERM and SIGINT as a request to stop, for the long-running commands (``readalong run``,
``readalong sandbox``).

systemd, Docker and Kubernetes stop a service with SIGTERM, and wait (10 to 90 s) before SIGKILL;
Python's default for SIGTERM is to die on the spot, with no log line, the gateway not closed and
the recorder's queue not written. So the first signal only asks: the command stops taking work,
finishes what it is doing (bounded) and returns its usual status. A second signal is the
operator insisting: the process exits at once, as it would have without a handler (what was cut
off mid-send is looked for in the channel at the next start, as after a crash).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

SIGNALS = (signal.SIGTERM, signal.SIGINT)
T = TypeVar("T")


class StopSignals:
    """While entered (in a running event loop): the first SIGTERM or SIGINT sets :attr:`requested`; a second one exits the process at once with status 128 + its number,
    as the shell reports a process killed by that signal."""

    def __init__(self, signals: tuple[signal.Signals, ...] = SIGNALS) -> None:
        self.signals = signals
        self.requested = asyncio.Event()
        self.received: signal.Signals | None = None

    def __repr__(self) -> str:
        return f"<StopSignals received={self.received.name if self.received else None}>"

    def __enter__(self) -> StopSignals:
        loop = asyncio.get_running_loop()
        for number in self.signals:
            loop.add_signal_handler(number, self._received, number)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        loop = asyncio.get_running_loop()
        for number in self.signals:
            loop.remove_signal_handler(number)

    def _received(self, number: signal.Signals) -> None:
        if self.received is not None:
            log.warning("%s again: exiting at once", number.name)
            for handler in logging.getLogger().handlers:
                handler.flush()
            sys.stdout.flush()
            os._exit(128 + number)
        self.received = number
        log.info("%s received: stopping (a second one exits at once)", number.name)
        self.requested.set()

    async def until_requested(self, work: Awaitable[T], stop: Callable[[], Awaitable[None]]) -> T:
        """Run ``work`` to its end; on a signal, await ``stop()`` (which makes ``work`` end,
        such as the bot's close) and then let ``work`` finish. ``work``'s errors are raised."""
        running: asyncio.Future[T] = asyncio.ensure_future(work)
        asked = asyncio.ensure_future(self.requested.wait())
        either: set[asyncio.Future[Any]] = {running, asked}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            if not running.done():
                await stop()
            return await running
        finally:
            asked.cancel()
            if not running.done():
                running.cancel()
