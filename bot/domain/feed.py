"""A followed blog feed, as stored and as ``/feed list`` shows it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

FeedState = Literal["active", "paused", "gone"]
"""``feeds.state``: ``gone`` is a feed that answered 404 or 410; it is polled no more."""
EntryState = Literal["skipped", "pending", "claimed", "posted", "failed"]
"""``feed_entries.state``: ``skipped`` entries were there before the feed was followed."""


@dataclass(frozen=True, slots=True)
class FollowedFeed:
    """One feed followed into one channel, with what its last poll found."""

    id: int
    guild_id: int
    channel_id: int
    channel_kind: Literal["text", "forum"]
    tag_id: int | None
    url: str
    title: str
    pace_minutes: int
    state: FeedState
    created_by: int
    etag: str | None
    last_modified: str | None
    last_poll_at: dt.datetime | None
    last_error: str | None
    failures: int
    next_poll_at: dt.datetime
    notify_channel_id: int | None = None
    """Where ``/feed follow`` was used: a posting of the feed that is refused is reported there."""
    posted: int = 0
    """How many of its entries have been posted."""


@dataclass(frozen=True, slots=True)
class ClaimedEntry:
    """An entry one poller has claimed and now imports and posts."""

    feed: FollowedFeed
    key: str
    link: str
    title: str
