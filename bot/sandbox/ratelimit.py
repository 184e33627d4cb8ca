"""Rate limits as Discord applies them: per-route buckets keyed by their top-level resource (a
channel, a guild, a webhook with its token: each interaction's follow-ups are a bucket of their
own), a global limit that interaction endpoints are outside of, ``X-RateLimit-*`` headers on every
answer, and 429 with ``retry_after`` when exceeded.

Discord documents the headers, not the numbers ("do not hard-code"); the defaults here are the
ones commonly observed (5 messages per 5 s per channel, 5 webhook executions per 2 s, 50 requests
per second overall) and every figure is configurable.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limit:
    """``requests`` per window of ``per_seconds`` in one bucket."""

    requests: int
    per_seconds: float


@dataclass(frozen=True, slots=True)
class RateLimitConfig:
    """The figures the sandbox limits with (Discord publishes none: these are the commonly observed ones); a
    test tightens them, or turns limiting off."""

    messages_per_channel: Limit = Limit(5, 5.0)
    webhook_executions: Limit = Limit(5, 2.0)
    other_routes: Limit = Limit(50, 1.0)
    global_per_second: int = 50
    enabled: bool = True


@dataclass(slots=True)
class _Window:
    remaining: int
    resets_at: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a request may go ahead, the ``X-RateLimit-*`` headers to answer with, and for a 429 how long to
    wait and whether the global limit was hit."""

    allowed: bool
    headers: dict[str, str]
    retry_after: float = 0.0
    scope: str = "user"
    is_global: bool = False


@dataclass
class RateLimiter:
    """Fixed windows per bucket, as Discord's headers describe them (remaining, reset-after)."""

    config: RateLimitConfig = field(default_factory=RateLimitConfig)
    clock: Callable[[], float] = time.monotonic
    _windows: dict[str, _Window] = field(default_factory=dict)
    _global: _Window | None = None
    hits: int = 0
    """How many 429s were answered."""

    def limit_for(self, route: str) -> Limit:
        """The limit of ``route``'s bucket: message creation per channel, webhook execution per webhook
        and token (an interaction's follow-ups included), anything else shares one figure."""
        if route.startswith("POST /channels/{channel_id}/messages") and route.count("/") == 3:
            return self.config.messages_per_channel
        if route.startswith("POST /webhooks/{webhook_id}/{webhook_token}"):
            return self.config.webhook_executions
        return self.config.other_routes

    def check(self, route: str, major: str, *, exempt_from_global: bool = False) -> Verdict:
        """Count one request on ``route`` (a template like ``POST /channels/{channel_id}/messages``) in
        ``major``'s bucket; ``exempt_from_global``: one of Discord's interaction endpoints, which
        the global limit neither counts nor refuses."""
        if not self.config.enabled:
            return Verdict(True, {})
        now = self._now()
        if not exempt_from_global:
            window = self._global
            if window is None or now >= window.resets_at:
                window = self._global = _Window(self.config.global_per_second, now + 1.0)
            if window.remaining <= 0:
                self.hits += 1
                retry = window.resets_at - now
                return Verdict(
                    False,
                    {"X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"},
                    retry,
                    "global",
                    True,
                )
            window.remaining -= 1
        limit = self.limit_for(route)
        bucket = hashlib.sha1(route.encode()).hexdigest()[:16]
        key = f"{bucket}:{major}"
        window = self._windows.get(key)
        if window is None or now >= window.resets_at:
            window = self._windows[key] = _Window(limit.requests, now + limit.per_seconds)
        reset_after = max(window.resets_at - now, 0.0)
        headers = {
            "X-RateLimit-Limit": str(limit.requests),
            "X-RateLimit-Bucket": bucket,
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        }
        if window.remaining <= 0:
            self.hits += 1
            headers |= {"X-RateLimit-Remaining": "0", "X-RateLimit-Scope": "user"}
            return Verdict(False, headers, reset_after)
        window.remaining -= 1
        headers["X-RateLimit-Remaining"] = str(window.remaining)
        return Verdict(True, headers)

    def exhausted_until(self) -> float:
        """When the last exhausted bucket resets (0 if none is): a client is likely waiting on it."""
        now = self._now()
        pending = [w.resets_at for w in self._windows.values() if w.remaining <= 0 and w.resets_at > now]
        return max(pending, default=0.0)

    def _now(self) -> float:
        return self.clock()
