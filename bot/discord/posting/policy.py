"""Which failures of a posting's item may pass and which cannot: the one error policy.

What can succeed later (429, 5xx, network errors, timeouts, a busy database) is retried with
bounded backoff for that posting alone; what cannot (403, 404, 400, Discord's limits) pauses that
posting with the reason stored, and the admin who started it is told."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
import discord

from bot.discordfmt import refusals
from bot.errors import ReadalongError
from bot.store import describe_trouble, is_busy_error

RETRY_FIRST = 1.0
RETRY_CAP = 300.0
"""A posting that keeps failing for a reason that may pass is tried again after 1, 2, 4 … s, at
most every five minutes: never given up on, never hammered."""
THREAD_ALREADY_CREATED = 160004
UNKNOWN_WEBHOOK = 10015
_REASON_LIMIT = 300


class PostingHalted(ReadalongError):
    """The target channel is gone or the bot lost a permission: the posting pauses."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do about a failed item: retry it later (``permanent`` False) or pause the posting."""

    permanent: bool
    reason: str
    retry_after: float = 0.0
    expected: bool = True
    """False for an exception nobody foresaw: it is logged with its traceback."""


def classify(error: BaseException) -> Verdict:
    """Sort a failure into "may pass" and "cannot pass": 429, 5xx, network errors, timeouts and a
    busy database may pass; Discord's 4xx refusals (permissions, unknown channel, invalid form
    body, its limits) cannot, so retrying them would only stall the posting, silently."""
    if isinstance(error, PostingHalted):
        return Verdict(True, str(error))
    if isinstance(error, discord.RateLimited):
        return Verdict(False, refusals.RATE_LIMITED, retry_after=error.retry_after)
    if isinstance(error, discord.HTTPException):
        status, code = error.status, error.code
        if status == 429 or status >= 500:
            return Verdict(False, refusals.discord_answered(status))
        if code == UNKNOWN_WEBHOOK:
            return Verdict(False, refusals.WEBHOOK_DELETED)
        if code in refusals.REFUSALS and code not in refusals.VAGUE:
            return Verdict(True, refusals.REFUSALS[code])  # Discord's own words add nothing to ours
        what = refusals.REFUSALS.get(code, refusals.discord_refused(status, code))
        detail = (error.text or "").strip().replace("\n", " ")
        return Verdict(True, clip_reason(f"{what}: {detail}" if detail else what))
    if isinstance(error, TimeoutError):
        return Verdict(False, refusals.NO_ANSWER_IN_TIME)
    if isinstance(error, aiohttp.ClientError | OSError):
        return Verdict(False, refusals.network_error(type(error).__name__))
    if is_busy_error(error):
        return Verdict(False, describe_trouble(error))
    return Verdict(False, refusals.unexpected_error(type(error).__name__), expected=False)


def clip_reason(text: str) -> str:
    """A reason short enough to store and show: Discord's detail can be long."""
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"
