"""The sandbox as its REST routes and middleware see it (:class:`Host`), and the record of each
interaction it sends the bot (:class:`InteractionRecord`).

The server registers the routes and hands them itself; they name it through this protocol rather
than importing :class:`~bot.sandbox.server.Sandbox`, so imports run one way (server → api →
middleware → host), with no circle, not even for the type checker.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.sandbox.faults import Exchange, Faults
from bot.sandbox.gateway import Gateway
from bot.sandbox.protocol import CallbackType, InteractionType
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.state import Payload, World


@dataclass
class InteractionRecord:
    """One interaction the sandbox sent the bot, and what the bot has done with it: how it responded, the
    messages it sent, the choices or modal it answered with."""

    id: str
    token: str
    kind: InteractionType
    user_id: str
    channel_id: str
    name: str
    response_type: CallbackType | None = None
    original_id: str | None = None
    ephemeral: bool = False
    message_ids: list[str] = field(default_factory=list)
    choices: list[Payload] | None = None
    modal: Payload | None = None
    source_message: tuple[str, str] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    last_activity: float = field(default_factory=time.monotonic)
    created_at: float = field(default_factory=time.monotonic)
    answered_at: float | None = None
    original_deleted: bool = False
    """The deferred ("thinking…") response was deleted before any follow-up replaced it."""

    @property
    def deferred_message(self) -> bool:
        """Answered with "thinking…" (type 5): the first follow-up replaces it."""
        return self.response_type == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE


class Host(Protocol):
    """What the routes and the middleware use of the :class:`~bot.sandbox.server.Sandbox`."""

    world: World
    token: str
    limiter: RateLimiter
    faults: Faults
    gateway: Gateway
    interactions: dict[str, InteractionRecord]
    interaction_deadline: float
    token_lifetime: float
    interaction_clock: Callable[[], float]
    requests: Counter[str]
    responses: Counter[int]
    exchanges: list[Exchange] | None
    in_flight: int

    @property
    def ws_url(self) -> str:
        """The gateway URL that ``GET /gateway`` hands the bot."""

    def touch(self) -> None:
        """Marks activity (what :meth:`~bot.sandbox.driver.Driver.wait_idle` waits out)."""

    def forced_429(self, route: str) -> tuple[float, bool, dict[str, str]] | None:
        """A forced 429 waiting for ``route``, taken off the queue (see :mod:`bot.sandbox.faults`)."""
