"""A posting (an article being posted into a channel) and its items, as planned and as stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.domain.article import article_slug

PostingState = Literal["active", "paused", "done"]
"""``postings.state`` in the database."""
ItemKind = Literal["intro", "section", "comments", "comment"]
"""``posting_items.kind``: the header of the comments thread is ``comments``."""
ItemStatus = Literal["pending", "sending", "done"]


@dataclass(frozen=True, slots=True)
class PlanItem:
    """One message of a posting, in the order it goes out."""

    seq: int
    kind: ItemKind
    """``intro``, ``section``, ``comments`` (the header of the comments thread) or ``comment``."""
    section: int | None = None
    comment: int | None = None
    part: int = 1
    offset_minutes: int = 0
    """When it falls due, counted from the start of the posting."""


@dataclass(frozen=True, slots=True)
class Posting:
    """An article being posted into a channel: one row of ``postings``."""

    id: int
    article_id: str
    guild_id: int
    channel_id: int
    channel_kind: str
    pace_minutes: int
    with_comments: bool
    state: PostingState
    created_by: int
    created_at: str
    paused_reason: str | None = None
    """Why the bot paused it (Discord refused it for good); None when active or paused by an admin."""
    notify_channel_id: int | None = None
    """Where ``/article post`` was used: the admin is told there if the posting is paused."""
    tag_id: int | None = None
    """The forum tag put on each post (``/article post tag:``); None: the one matching the article."""
    cancelled_at: str | None = None
    """When ``/article cancel`` stopped it for good (its state is then ``done``); None otherwise."""
    schedule: str | None = None
    """``/article post schedule:`` as stored (``daily at 09:00``); None: paced by ``pace_minutes``."""
    timezone: str | None = None
    """The IANA zone the schedule is read in; None without a schedule."""

    @property
    def article_slug(self) -> str:
        """The article's id as members see and type it (``article_id`` is the store's key)."""
        return article_slug(self.article_id)


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One message of a posting as stored: when it falls due, and where it went once sent."""

    posting_id: int
    seq: int
    kind: ItemKind
    section: int | None
    comment: int | None
    part: int
    due_at: dt.datetime
    status: ItemStatus
    message_id: int | None
    thread_id: int | None
    container_id: int | None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a channel or thread sits in a posted article."""

    posting_id: int
    article_id: str
    section: int | None


@dataclass(frozen=True, slots=True)
class PostingStatus:
    """Where one posting of an article stands."""

    posting: Posting
    posted: tuple[ItemRow, ...]
    """Its sections sent so far, in order."""
    total_sections: int
    next_due: dt.datetime | None
    """When the next item (of any kind) falls due; None once everything is sent."""
    upcoming: tuple[tuple[int, dt.datetime], ...] = ()
    """Each section still to be released, with when: (section number, moment in UTC)."""


@dataclass(frozen=True, slots=True)
class ArticleListing:
    """An imported article, and where it is posted in the server asking (``/article list``)."""

    id: str
    title: str | None
    sections: int
    comments: int
    postings: tuple[Posting, ...] = ()


@dataclass(frozen=True, slots=True)
class PostingPlace:
    """A posting as members see and pick it: the article's title, where it is, and how far it
    went (``The Lessons of Zhanaozen — #general, done``; ``— #reading-room, cancelled at §2``)."""

    posting: Posting
    title: str
    posted: tuple[int, ...]
    """Its sections sent so far, in order."""
    total: int
    """How many sections the article has."""

    @property
    def progress(self) -> str:
        """How far it went, in words: ``done``, ``cancelled at §2``, ``paused at §3``, ``posting, §1 of 6``."""
        last = f"§{self.posted[-1]}" if self.posted else "the start"
        posting = self.posting
        if posting.cancelled_at is not None:
            return (
                f"cancelled at {last}"
                if len(self.posted) < self.total
                else "cancelled after the last section"
            )
        if posting.state == "done":
            return "done"
        if posting.state == "paused":
            return f"paused at {last}"
        return f"posting, §{len(self.posted)} of {self.total}" if self.posted else "posting, starting"


@dataclass(frozen=True, slots=True)
class Release:
    """A section of a posting still to come (``/schedule``): where, what and when."""

    posting_id: int
    article_id: str
    title: str
    channel_id: int
    section: int
    total: int
    due_at: dt.datetime
