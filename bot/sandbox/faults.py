"""Fault injection: what a test does to the sandbox to see the bot cope (stalled requests, forced
429s, dropped gateway connections, refused resumes, hooks around requests), and the recording of
REST exchanges the conformance test checks against Discord's spec."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.sandbox.gateway import Gateway
from bot.sandbox.ratelimit import RateLimiter

RequestHook = Callable[[str, str], Awaitable[None]]
"""Called with ``("before" | "after", "METHOD /path")`` around each REST request."""


@dataclass(frozen=True)
class Exchange:
    """One REST request and its answer, as recorded for checking against Discord's spec."""

    method: str
    path: str
    """The path as requested, without ``/api/v10`` or the query."""
    route: str
    """The sandbox's route template (``/channels/{channel_id}/messages``)."""
    status: int
    request: Any
    """The JSON body sent (``payload_json`` for multipart), or None."""
    response: Any
    """The JSON body answered, or None (204, or not JSON)."""


@dataclass
class Faults:
    """What a test has set the sandbox to do wrong: stall every request until a monotonic time, call a hook
    around each, answer the next matching requests with 429."""

    stall_until: float = 0.0
    stalled: int = 0
    """Requests being held by the stall now."""
    hook: RequestHook | None = None
    forced_429: list[tuple[str, float, bool]] = field(default_factory=list)
    """(route prefix, retry_after, global) for the next matching requests."""


class FaultInjection:
    """The fault-injection half of :class:`~bot.sandbox.Sandbox`'s Python API."""

    faults: Faults
    gateway: Gateway
    limiter: RateLimiter
    exchanges: list[Exchange] | None

    async def drop_gateway(self, *, shard: int | None = None) -> int:
        """Cut every gateway connection, or only shard ``shard``'s; the bot resumes it and gets
        what it missed replayed. Returns how many connections were cut."""
        return await self.gateway.drop(shard=shard)

    async def drop(self, *, shard: int) -> int:
        """Cut one shard's connection alone (the others stay up), as a network fault would."""
        return await self.gateway.drop(shard=shard)

    def refuse_next_resume(self, count: int = 1) -> None:
        """Answer the next resumes with INVALID_SESSION: the bot must identify again."""
        self.gateway.refuse_resumes += count

    def stall(self, seconds: float) -> None:
        """Hold every REST request for ``seconds`` from now."""
        self.faults.stall_until = time.monotonic() + seconds

    def rate_limit_next(
        self, route_prefix: str = "", *, retry_after: float = 1.0, count: int = 1, is_global: bool = False
    ) -> None:
        """Answer the next ``count`` requests whose ``METHOD /path`` starts with ``route_prefix``
        with 429, as Discord does when a limit is hit (headers included)."""
        self.faults.forced_429.extend([(route_prefix, retry_after, is_global)] * count)

    def record_exchanges(self) -> list[Exchange]:
        """Start recording every REST exchange (for the conformance test); the list fills as it goes."""
        if self.exchanges is None:
            self.exchanges = []
        return self.exchanges

    def forced_429(self, route: str) -> tuple[float, bool, dict[str, str]] | None:
        """A forced 429 waiting for ``route`` (``METHOD /path``), taken off the queue: its
        ``retry_after``, whether it is global, and the rate-limit headers Discord would send."""
        for index, (prefix, retry_after, is_global) in enumerate(self.faults.forced_429):
            if route.startswith(prefix):
                del self.faults.forced_429[index]
                self.limiter.hits += 1
                headers = {"X-RateLimit-Scope": "global" if is_global else "user"}
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                else:
                    headers |= {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
                        "X-RateLimit-Bucket": "forced",
                    }
                return retry_after, is_global, headers
        return None


async def record_exchange(request: web.Request, response: web.StreamResponse, prefix: str) -> Exchange:
    """What was asked and answered; bodies already read by the handler are cached by aiohttp."""
    sent: Any = None
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        if request.content_type.startswith("multipart/"):
            payload = (await request.post()).get("payload_json")
            sent = None if payload is None else json.loads(str(payload))
        elif request.body_exists:
            sent = json.loads(await request.read() or b"null")
    answered: Any = None
    if isinstance(response, web.Response) and response.content_type == "application/json" and response.body:
        answered = json.loads(bytes(response.body))  # type: ignore[arg-type]
    resource = request.match_info.route.resource
    return Exchange(
        request.method,
        request.path.removeprefix(prefix),
        resource.canonical.removeprefix(prefix) if resource is not None else request.path,
        response.status,
        sent,
        answered,
    )
