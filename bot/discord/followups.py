"""Follow-ups that outlast a rate limit: an answer worked out is never lost to a 429.

discord.py 2.7 already retries a follow-up itself (``AsyncWebhookAdapter.request``): on a 429
from Discord (one with a ``Via`` header) it sleeps ``retry_after`` and tries again, per
interaction token, but five attempts at most; then, and at once for a 429 without ``Via``, it
raises ``HTTPException``. Raised out of ``/ask``, that lost the answer ("command /ask failed")
while the interaction's token had most of its 15 minutes left. :func:`send_follow_up` adds only
what the library lacks: after its attempts, wait what Discord said to wait and send again, for as
long as the token lives. A 429 means Discord created nothing, so sending again never posts twice.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import discord

log = logging.getLogger(__name__)

RATE_LIMITED = 429
UNSAID_WAIT = 1.0
"""Seconds to wait when a 429 names no wait (no ``X-RateLimit-Reset-After`` nor ``Retry-After``)."""
LEAST_WAIT = 0.05
"""Never less, so that a 429 saying "0" is not answered with a burst of retries."""


def told_to_wait(error: discord.HTTPException) -> float:
    """How long the 429 said to wait: ``X-RateLimit-Reset-After`` (to the millisecond, equal to
    the body's ``retry_after``, which discord.py does not keep), else ``Retry-After`` (whole
    seconds), else :data:`UNSAID_WAIT`."""
    headers = error.response.headers
    for name in ("X-RateLimit-Reset-After", "Retry-After"):
        try:
            return max(float(headers[name]), LEAST_WAIT)
        except (KeyError, ValueError):
            continue
    return UNSAID_WAIT


async def send_follow_up(
    interaction: discord.Interaction[Any], content: str, **options: Any
) -> discord.WebhookMessage:
    """``interaction.followup.send(content, wait=True, **options)``, sent again after each 429
    that discord.py gave up on, until it goes through or the token would expire before the wait
    is over (then the last 429 is raised). Any other error is raised at once."""
    while True:
        try:
            return await interaction.followup.send(content, wait=True, **options)
        except discord.HTTPException as error:
            if error.status != RATE_LIMITED:
                raise
            wait = told_to_wait(error)
            left = (interaction.expires_at - discord.utils.utcnow()).total_seconds()
            if wait >= left:
                raise
            log.warning(
                "follow-up to interaction %s still rate-limited after discord.py's retries; "
                "sending again in %.2f s",
                interaction.id,
                wait,
            )
            await asyncio.sleep(wait)
