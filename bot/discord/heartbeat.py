"""Heartbeat latency measured from the heartbeat it answers (issue 22, finding 7).

discord.py's keep-alive thread schedules each heartbeat on the event loop, waits for the send to
finish, and only then stamps the send time (``KeepAliveHandler._last_send``). The ACK is handled
on the loop; when the server answers at once (the sandbox in the same process; any fast link
under load, when the thread waits for the GIL) the ACK is handled before the thread has stamped
the time, and the latency is measured from the previous heartbeat: a whole interval. At Discord's
41.25 s interval that logs ``Can't keep up, shard ID 0 websocket is 41.3s behind`` although
nothing held the loop (``benchmarks/loop_lag.py`` measures both). The handler here stamps the
time as the heartbeat is made, before the send is scheduled; the thread's later stamp is then a
few milliseconds later, as before.

discord.py builds the handler by its module name on HELLO (no argument chooses it), so the
class is set there, once, by :func:`install` when the bot is made: a class-level setting of
the library, like the sandbox's gateway and REST addresses (:func:`bot.discord.client.point_discord_at`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import discord.gateway

STOCK = discord.gateway.KeepAliveHandler
"""discord.py's own handler (the benchmark's "before")."""
_held = False


class KeepAliveHandler(STOCK):
    """discord.py's handler, with the send time stamped when the heartbeat is made."""

    def get_payload(self) -> dict[str, Any]:
        """The heartbeat, its send time stamped now (the ACK may be handled before the thread
        that sent it wakes)."""
        self._last_send = time.perf_counter()
        payload: dict[str, Any] = super().get_payload()
        return payload


def install() -> None:
    """Make discord.py's gateway build :class:`KeepAliveHandler` (idempotent; not while
    :func:`installed` holds the choice for a benchmark)."""
    if not _held:
        discord.gateway.KeepAliveHandler = KeepAliveHandler  # type: ignore[misc]


@contextlib.contextmanager
def installed(fixed: bool) -> Iterator[None]:
    """For the benchmark: the handler of this module (``fixed``) or discord.py's own, and
    whichever was there before afterwards."""
    global _held  # noqa: PLW0603 - one switch for the whole process, as the library's class is
    before = discord.gateway.KeepAliveHandler
    discord.gateway.KeepAliveHandler = KeepAliveHandler if fixed else STOCK  # type: ignore[misc]
    _held = True
    try:
        yield
    finally:
        _held = False
        discord.gateway.KeepAliveHandler = before  # type: ignore[misc]
