"""``/feed`` replies for Discord: times as Discord timestamps, so each member reads them in their
own time zone, and a feed's trouble in one line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.domain.feed import FollowedFeed


def _when(moment: dt.datetime | None) -> str:
    return "never" if moment is None else f"<t:{int(moment.timestamp())}:R>"


def followed_message(feed: FollowedFeed, channel: str, backfill: int) -> str:
    """What ``/feed follow`` answers."""
    first = (
        f" The newest {backfill} entr{'y' if backfill == 1 else 'ies'} will be posted now;"
        if backfill
        else " Nothing already in it is posted;"
    )
    return (
        f"Following **{feed.title}** (`#{feed.id}`, <{feed.url}>) into {channel}.{first}"
        f" new entries are posted as they appear (next look {_when(feed.next_poll_at)})."
    )


def listing_message(feeds: Sequence[FollowedFeed]) -> str:
    """``/feed list``: each feed with its state, last poll, last error and next poll."""
    lines = []
    for feed in feeds:
        state = {"active": "following", "paused": "paused", "gone": "**gone**"}[feed.state]
        line = (
            f"`#{feed.id}` **{feed.title}** <{feed.url}> → <#{feed.channel_id}> · {state}"
            f" · {feed.posted} posted · last poll {_when(feed.last_poll_at)}"
        )
        if feed.state == "active":
            line += f" · next {_when(feed.next_poll_at)}"
        if feed.last_error:
            failing = f" ({feed.failures} in a row)" if feed.failures > 1 else ""
            line += f"\n  ⚠ {feed.last_error[:300]}{failing}"
        lines.append(line)
    text = "\n".join(lines)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"
