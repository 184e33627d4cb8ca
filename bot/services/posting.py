"""Posting an article and steering it: ``/article post|pause|resume|cancel|delete`` and
``/article status``. Each action is one function here, and each change is announced through
:class:`PostingEvents`, which the publisher (:mod:`bot.discord.posting.worker`) listens to: it
looks at its postings again at once, so no front end has to know there is a publisher to wake.

Sending needs Discord and is the publisher's; what Discord would refuse for a whole posting
(the channel's kind, a tag, a permission) is checked on the Discord side first
(:mod:`bot.discord.posting.checks`), which hands over a plain :class:`PostTarget`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.domain.article import Article
from bot.domain.clock import Clock, SystemClock
from bot.domain.posting import Posting, PostingState, PostingStatus, Release
from bot.domain.schedule import parse_schedule
from bot.errors import ReadalongError
from bot.posting.plan import plan_posting, scheduled_due
from bot.services import articles as articles_service
from bot.services import places
from bot.services.events import ArticleEvents
from bot.store import Store
from bot.store.articles import Removed

ChangeKind = Literal["posted", "paused", "resumed", "cancelled", "deleted", "refused"]
"""``refused``: new blog comments could not reopen these finished postings (another posting of
the article is under way in the channel); their admins are told."""


@dataclass(frozen=True, slots=True)
class PostingChange:
    """What changed: postings created, paused, resumed or cancelled, or an article deleted (its
    postings cancelled first, with a change of their own), or finished postings that new blog
    comments could not reopen."""

    kind: ChangeKind
    article_id: str
    posting_ids: tuple[int, ...] = ()


class PostingListener(Protocol):
    """What listens to postings' changes (the publisher)."""

    def posting_changed(self, change: PostingChange, /) -> None:
        """Take note at once (without awaiting anything): the change is committed already."""

    async def settled(self, posting_id: int, within: float, /) -> bool:
        """Until nothing more of the posting is being sent, or ``within`` seconds pass; True if so."""


class PostingEvents:
    """The one channel through which posting changes reach whoever sends postings. A front
    end with no publisher (the CLI, a test of the services) simply has no listener: then nothing
    is being sent, and every posting is settled."""

    def __init__(self) -> None:
        self._listeners: list[PostingListener] = []

    def subscribe(self, listener: PostingListener) -> None:
        """Hear of every change from now on (the publisher, when it starts)."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unsubscribe(self, listener: PostingListener) -> None:
        """Hear of no more changes (the publisher, when it stops)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def announce(self, change: PostingChange) -> None:
        """Tell every listener of a change that is committed already."""
        for listener in list(self._listeners):
            listener.posting_changed(change)

    async def settled(self, posting_id: int, within: float) -> bool:
        """Whether every listener has stopped sending the posting, waiting at most ``within`` s for each."""
        results = [await listener.settled(posting_id, within) for listener in list(self._listeners)]
        return all(results)


@dataclass(frozen=True, slots=True)
class PostTarget:
    """Where a posting goes, checked on the Discord side: the channel, its kind and the forum tag
    every post carries."""

    guild_id: int
    channel_id: int
    channel_kind: Literal["text", "forum"]
    tag_id: int | None = None


async def post(
    store: Store,
    article: Article,
    target: PostTarget,
    *,
    pace_minutes: int,
    with_comments: bool,
    admin_id: int,
    events: PostingEvents,
    notify_channel_id: int | None = None,
    schedule: str | None = None,
    timezone: str | None = None,
    clock: Clock | None = None,
) -> Posting:
    """Record the whole plan (after this the posting survives any restart) and announce it: the
    publisher sends each item when it falls due. With ``schedule`` (and its ``timezone``), each
    section falls due at its release instead of at ``pace_minutes`` intervals; a schedule that
    cannot be read is refused in one line before anything is recorded."""
    start = (clock or SystemClock()).now()
    items = plan_posting(article, pace_minutes=pace_minutes, with_comments=with_comments)
    due, kept = None, None
    if schedule is not None:
        if pace_minutes:
            raise ReadalongError("Give either pace: or schedule:, not both.")
        parsed = parse_schedule(schedule, timezone)
        due, kept = scheduled_due(items, parsed, start), (parsed.text, parsed.zone)
    elif timezone is not None:
        raise ReadalongError("timezone: is read with schedule: (give both, or neither).")
    posting = await store.postings.create(
        article_id=article.id,
        guild_id=target.guild_id,
        channel_id=target.channel_id,
        channel_kind=target.channel_kind,
        pace_minutes=pace_minutes,
        with_comments=with_comments,
        created_by=admin_id,
        items=items,
        start=start,
        notify_channel_id=notify_channel_id,
        tag_id=target.tag_id,
        due=due,
        schedule=kept,
    )
    events.announce(PostingChange("posted", article.id, (posting.id,)))
    return posting


async def candidates(
    store: Store, guild_id: int, article: str | None, channel_id: int | None
) -> tuple[str | None, list[Posting]]:
    """The postings an admin's command (``/article pause|resume|cancel|status``) may be about,
    those of the place it is used in first (a posting's thread: that posting; a channel: its
    postings), then the rest of the server's, newest first; of ``article`` if named (``ID`` or
    ``ID#POSTING`` for one posting). Also the article's key, if named."""
    named, posting_id = (None, None) if article is None else places.split_reference(article)
    key = None if named is None else await store.articles.resolve(guild_id, named)
    postings = await store.postings.for_guild(guild_id, key)
    if posting_id is not None:
        postings = [p for p in postings if p.id == posting_id]
        if not postings:
            raise ReadalongError(
                f"There is no posting #{posting_id} of `{named or 'any article'}` in this server."
            )
        return key, postings
    if channel_id is not None:
        thread_of = await store.postings.placement_of_thread(channel_id)
        postings.sort(key=lambda p: p.id != thread_of and p.channel_id != channel_id)
    return key, postings


async def find_posting(
    store: Store, guild_id: int, article: str | None, *, want: PostingState, channel_id: int | None = None
) -> Posting:
    """The posting in state ``want`` of the place used in (``channel_id``), else the latest in
    this server; of ``article`` if given."""
    _, postings = await candidates(store, guild_id, article, channel_id)
    postings = [p for p in postings if p.state == want]
    if not postings:
        what = f"`{article}`" if article else "any article"
        raise ReadalongError(f"There is no {want} posting of {what} in this server.")
    return postings[0]


async def pause(
    store: Store, guild_id: int, article: str | None, *, events: PostingEvents, channel_id: int | None = None
) -> Posting:
    """Stop posting further sections of the active posting where used (else the latest) until it is resumed."""
    posting = await find_posting(store, guild_id, article, want="active", channel_id=channel_id)
    await store.postings.set_state(posting.id, "paused")
    events.announce(PostingChange("paused", posting.article_id, (posting.id,)))
    return posting


async def resume(
    store: Store,
    guild_id: int,
    article: str | None,
    *,
    events: PostingEvents,
    channel_id: int | None = None,
    clock: Clock | None = None,
) -> Posting:
    """Resume the paused posting where used (else the latest) at its pace: the next section is
    due one interval from now (at once for an unpaced posting), the rest an interval apart; a
    scheduled posting's sections at its next releases from now."""
    posting = await find_posting(store, guild_id, article, want="paused", channel_id=channel_id)
    now = (clock or SystemClock()).now()
    if posting.schedule is not None:
        # The sections left are released at the schedule's next releases, none in the past.
        left = [
            row
            for row in await store.postings.items(posting.id)
            if row.kind == "section" and row.status != "done"
        ]
        releases = parse_schedule(posting.schedule, posting.timezone).releases(now, len(left))
        await store.postings.set_state(posting.id, "active", reschedule_due=releases, now=now)
    else:
        await store.postings.set_state(posting.id, "active", reschedule_pace=posting.pace_minutes, now=now)
    events.announce(PostingChange("resumed", posting.article_id, (posting.id,)))
    return posting


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The cancelled posting, and whether an item of it was still being sent when the answer was due."""

    posting: Posting
    in_flight: bool


async def cancel(
    store: Store,
    guild_id: int,
    article: str | None,
    *,
    events: PostingEvents,
    within: float,
    channel_id: int | None = None,
) -> Cancelled:
    """Stop the posting still going (active or paused) where used, else the latest, of
    ``article`` if given, for good: nothing more of it is sent, after a restart either. What was sent stays, and so does
    its archive; the article can be posted again elsewhere, or deleted.

    An item being sent right now is finished and recorded, not cut off: this waits up to
    ``within`` seconds for that, so that what the admin is told is true."""
    _, postings = await candidates(store, guild_id, article, channel_id)
    going = [p for p in postings if p.state != "done"]
    if not going:
        what = f"`{article}`" if article else "any article"
        raise ReadalongError(f"There is no active or paused posting of {what} in this server to cancel.")
    posting = going[0]
    await store.postings.cancel(posting.id)
    cancelled = await store.postings.get(posting.id)
    events.announce(PostingChange("cancelled", posting.article_id, (posting.id,)))
    stopped = await events.settled(posting.id, within)
    return Cancelled(cancelled, in_flight=not stopped)


async def delete(
    store: Store,
    guild_id: int,
    article_id: str,
    *,
    archive: bool,
    events: PostingEvents,
    article_events: ArticleEvents,
    within: float,
) -> Removed:
    """Delete an article in this server once the admin has confirmed (see
    :func:`bot.services.articles.delete_article`): its postings here are cancelled first, and a
    message being sent (even one waiting out a rate limit) is given ``within`` seconds in all to
    finish and be recorded, so nothing of a deleted posting arrives after the reply. Then every
    cache of the article hears of the deletion (``article_events``), and the publisher looks at
    its postings again."""

    async def settle(postings: Sequence[Posting]) -> None:
        events.announce(PostingChange("cancelled", article_id, tuple(p.id for p in postings)))
        for posting in postings:
            await events.settled(posting.id, within / len(postings))

    removed = await articles_service.delete_article(
        store, guild_id, article_id, archive=archive, settle=settle, events=article_events
    )
    events.announce(PostingChange("deleted", article_id))
    return removed


async def status(
    store: Store,
    guild_id: int,
    article: str | None,
    *,
    channel_id: int | None = None,
    channel_name: str = "general",
) -> tuple[Article, list[PostingStatus]]:
    """The article and each of its postings in this server, newest first (one alone when named
    as ``ID#POSTING``); refused when it has not been posted here, with the command that posts it
    in ``channel_name`` (where the admin is). Without ``article``: the article of the posting
    where used, else of the latest posting here."""
    _, postings = await candidates(store, guild_id, article, channel_id)
    if not postings:
        if article is None:
            raise ReadalongError(
                "Nothing has been posted in this server yet: `/article list` shows what can be."
            )
        stored = await store.articles.in_guild(guild_id, places.split_reference(article)[0] or article)
        raise ReadalongError(
            f"{stored.slug!r} has not been posted in this server yet: post it with"
            f" `/article post article:{stored.slug} channel:#{channel_name}`."
        )
    article_id = postings[0].article_id
    stored = await store.articles.get(article_id)
    if article is None or places.split_reference(article)[1] is None:
        postings = await store.postings.for_guild(guild_id, article_id)
    statuses = []
    for posting in postings:
        items = await store.postings.items(posting.id)
        pending = [row for row in items if row.status != "done"]
        statuses.append(
            PostingStatus(
                posting=posting,
                posted=tuple(row for row in items if row.kind == "section" and row.status == "done"),
                total_sections=len(stored.sections),
                next_due=pending[0].due_at if pending and posting.state != "done" else None,
                upcoming=tuple(
                    (row.section or 0, row.due_at)
                    for row in pending
                    if row.kind == "section" and posting.state == "active"
                ),
            )
        )
    return stored, statuses


async def upcoming(store: Store, guild_id: int, readable: Sequence[int], *, limit: int = 15) -> list[Release]:
    """``/schedule``: the next sections to be released in the server, soonest first, only in the
    channels the member asking can read (``readable``, decided by the front end from their
    permissions now)."""
    return await store.postings.upcoming(guild_id, list(readable), limit)


async def close(
    store: Store, guild_id: int, article: str | None, *, channel_id: int | None = None
) -> tuple[Posting, list[int]]:
    """``/article close``: the finished posting where used (else the latest finished one), of
    ``article`` if named, and the threads it opened (sections', the comments', forum posts), for
    the front end to lock and archive. Nothing is deleted: the archive keeps every message. A
    posting still going is refused (cancel it first, or let it finish)."""
    _, postings = await candidates(store, guild_id, article, channel_id)
    if postings and postings[0].state != "done":
        going = postings[0]
        raise ReadalongError(
            f"`{going.article_slug}` is still being posted in <#{going.channel_id}>: let it finish, or"
            f" `/article cancel article:{going.article_slug}#{going.id}` first."
        )
    finished = [p for p in postings if p.state == "done"]
    if not finished:
        what = f"`{article}`" if article else "any article"
        raise ReadalongError(f"There is no finished posting of {what} in this server to close.")
    posting = finished[0]
    threads = [row.thread_id for row in await store.postings.items(posting.id) if row.thread_id is not None]
    return posting, list(dict.fromkeys(threads))
