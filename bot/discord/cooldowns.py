"""Per-member cooldowns that only an answered question uses up.

discord.py's ``app_commands.checks.cooldown`` takes the turn before the command runs and never
gives it back, so a member whose question was refused ("not found", "not posted yet", an error)
would have to wait for nothing. Here a turn is taken when the question arrives and handed back
unless the question was answered.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Hashable
from dataclasses import dataclass

from discord import app_commands


@dataclass
class Turn:
    """A member's turn to ask; set ``answered`` once the answer went out."""

    answered: bool = False


class AnsweredCooldowns:
    """One :class:`app_commands.Cooldown` of one question per ``seconds`` for each key (who
    asks, and how); ``seconds <= 0`` turns cooldowns off."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._buckets: dict[Hashable, app_commands.Cooldown] = {}
        self._swept_at = 0.0

    def take(self, key: Hashable) -> app_commands.Cooldown | None:
        """Count a question: None if the asker may ask now, else their bucket (on cooldown, with
        :meth:`~app_commands.Cooldown.get_retry_after`)."""
        if self.seconds <= 0:
            return None
        now = time.monotonic()
        if now - self._swept_at >= self.seconds:
            # A fresh bucket holds nothing worth keeping (a new one would say the same). Swept
            # once a cooldown, not at every question: a burst of n questions would cost n².
            self._swept_at = now
            for stale in [k for k, b in self._buckets.items() if b.get_tokens() == b.rate]:
                del self._buckets[stale]
        bucket = self._buckets.setdefault(key, app_commands.Cooldown(1, self.seconds))
        return bucket if bucket.update_rate_limit() is not None else None

    @contextlib.asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[Turn]:
        """The turn taken by :meth:`take`, given back on leaving unless the body marked the
        question answered (also when the body raises)."""
        turn = Turn()
        try:
            yield turn
        finally:
            bucket = self._buckets.get(key)
            if not turn.answered and bucket is not None:
                bucket.reset()
