"""Following a blog (``/feed follow|list|unfollow|pause|resume``) and polling what is followed.

Each new entry of a followed feed is imported by its address (the web import, comments
included) and posted as a read-along through the posting service, as ``/article post`` would.
Nothing old is posted when a feed is followed unless ``backfill`` asks for the newest N; entries
are recorded as seen, so none is posted twice, whatever restarts or other processes on the same
PostgreSQL database do (an entry is claimed by one poller before it is posted; see
:mod:`bot.store.feeds`).

Polling is bounded and per feed: :func:`poll_due` polls every due feed at once (at most
:data:`CONCURRENCY` at a time), each within its own timeout, so a slow or failing feed never holds
up another; it asks conditionally (``ETag``/``Last-Modified``), backs off exponentially after
errors, follows a permanent redirect by storing the new address and stops polling a feed that
answers 404 or 410, saying so in ``/feed list``. The clock is passed in: a test polls by calling
:func:`poll_due` with the time it wants, never by waiting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.aio import TaskSet
from bot.articles.feeds import Feed, FeedFormatError, discover_feed, looks_like_feed, parse_feed
from bot.articles.web import page_name
from bot.domain.clock import Clock, SystemClock
from bot.domain.feed import ClaimedEntry, EntryState, FollowedFeed
from bot.errors import ConflictError, FetchError, ReadalongError
from bot.services import posting as posting_service
from bot.services.articles import import_from_web
from bot.services.comment_follow import follow_comments
from bot.services.posting import PostingEvents, PostTarget
from bot.services.webfetch import FeedFetched, Fetcher
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError
from bot.store.postings import utcnow

log = logging.getLogger(__name__)

DEFAULT_EVERY = dt.timedelta(minutes=15)
CONCURRENCY = 8
"""Feeds polled at once by one poller."""
FEED_TIMEOUT = 20.0
"""Seconds one feed's poll may take in all (discovery included) before it counts as failed."""
MAX_BACKOFF = dt.timedelta(hours=24)
TICK_SECONDS = 60.0
"""How often the background poller looks for due feeds (a query; the polling itself is per feed)."""
MAX_BACKFILL = 20
ENTRY_ATTEMPTS = 3
"""Polls at which an entry whose page failed to fetch (a 5xx, a timeout, a refused connection)
is tried again before it is given up (and shown in /feed list)."""


@dataclass(frozen=True, slots=True)
class PollOptions:
    """What a poll needs besides the store: the fetcher, where postings are announced, how long
    sections are, how often a feed is polled and how long one poll may take."""

    fetcher: Fetcher
    events: PostingEvents
    target_chars: int
    every: dt.timedelta = DEFAULT_EVERY
    feed_timeout: float = FEED_TIMEOUT
    comment_follow_hours: int = 0
    """How long after a web article's posting starts its blog post is fetched again for new
    comments (:mod:`bot.services.comment_follow`), with each poll; 0: never."""
    clock: Clock | None = None
    """The bot's clock, which an entry's posting starts at (as ``/article post``'s do); the
    system's when None."""


async def read_feed(
    fetcher: Fetcher, url: str, *, etag: str | None = None, last_modified: str | None = None
) -> tuple[FeedFetched, Feed | None]:
    """The feed at ``url``, or the one a blog page at ``url`` names; None for 304/404/410."""
    fetched = await fetcher.get_feed(url, etag=etag, last_modified=last_modified)
    if fetched.status in (304, 404, 410):
        return fetched, None
    if not looks_like_feed(fetched.text):
        found = discover_feed(fetched.text, url=fetched.url)
        if found is None:
            raise FeedFormatError(f'{url}: is neither a feed nor a page naming one (<link rel="alternate">)')
        fetched = await fetcher.get_feed(found)
        if fetched.status in (304, 404, 410):
            raise FetchError(f"{page_name(found)}: the feed the page names answered HTTP {fetched.status}")
    return fetched, parse_feed(fetched.text, url=fetched.url)


async def follow(
    store: Store,
    url: str,
    target: PostTarget,
    *,
    pace_minutes: int,
    backfill: int,
    admin_id: int,
    options: PollOptions,
    now: dt.datetime | None = None,
    notify_channel_id: int | None = None,
) -> FollowedFeed:
    """Follow the feed at ``url`` (or the one its page names) into ``target``: its entries now are
    recorded as seen and not posted, but for the newest ``backfill``, posted at the next poll.
    A posting of the feed that Discord refuses is reported in ``notify_channel_id`` (where the
    admin followed it), as ``/article post``'s are."""
    now = now or utcnow()
    if not 0 <= backfill <= MAX_BACKFILL:
        raise ReadalongError(f"backfill: is between 0 and {MAX_BACKFILL}.")
    options.fetcher.check_url(url.strip())
    fetched, feed = await read_feed(options.fetcher, url.strip())
    if feed is None:
        raise FetchError(f"{page_name(url)}: not found (HTTP {fetched.status}); check the address")
    posted_now = {entry.key for entry in feed.entries[:backfill]}
    entries: list[tuple[str, str, str, dt.datetime | None, EntryState]] = [
        (e.key, e.link, e.title, e.published, "pending" if e.key in posted_now else "skipped")
        for e in feed.entries
    ]
    return await store.feeds.add(
        guild_id=target.guild_id,
        channel_id=target.channel_id,
        channel_kind=target.channel_kind,
        tag_id=target.tag_id,
        url=fetched.url,
        title=feed.title[:200],
        pace_minutes=pace_minutes,
        created_by=admin_id,
        now=now,
        next_poll_at=now + options.every,
        entries=entries,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        notify_channel_id=notify_channel_id,
    )


async def find(store: Store, guild_id: int, feed: str) -> FollowedFeed:
    """The server's feed named by its number in ``/feed list`` (``#2``) or its address."""
    feeds = await store.feeds.for_guild(guild_id)
    key = feed.strip().lstrip("#")
    for followed in feeds:
        if str(followed.id) == key or followed.url == feed.strip():
            return followed
    raise ReadalongError(f"No feed {feed!r} is followed in this server: `/feed list` shows them.")


async def listing(store: Store, guild_id: int) -> list[FollowedFeed]:
    """The server's feeds with their last poll, last error and next poll (``/feed list``)."""
    return await store.feeds.for_guild(guild_id)


async def unfollow(store: Store, guild_id: int, feed: str) -> FollowedFeed:
    """Stop following: nothing more of it is posted; what was posted stays."""
    followed = await find(store, guild_id, feed)
    await store.feeds.remove(followed.id)
    return followed


async def pause(store: Store, guild_id: int, feed: str) -> FollowedFeed:
    """Stop polling the feed until it is resumed."""
    followed = await find(store, guild_id, feed)
    if followed.state != "active":
        raise ReadalongError(f"{followed.url} is {followed.state}, not being followed now.")
    await store.feeds.set_state(followed.id, "paused")
    return await store.feeds.get(followed.id)


async def resume(store: Store, guild_id: int, feed: str, *, now: dt.datetime | None = None) -> FollowedFeed:
    """Poll the feed again (at once). A feed that had gone is tried again too."""
    followed = await find(store, guild_id, feed)
    if followed.state == "active":
        raise ReadalongError(f"{followed.url} is already being followed.")
    await store.feeds.set_state(followed.id, "active", now or utcnow())
    return await store.feeds.get(followed.id)


def backoff(every: dt.timedelta, failures: int) -> dt.timedelta:
    """The wait before the next poll after ``failures`` errors in a row: the usual interval, then
    doubled with each further error, at most a day."""
    return min(every * (1 << min(max(failures - 1, 0), 10)), MAX_BACKOFF)


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one call of :func:`poll_due` did: feeds due, entries found new, postings made, and
    how many of the due feeds this call fetched (``taken``: another process may take a poll)."""

    polled: int
    new_entries: int
    posted: tuple[int, ...]
    taken: int = 0


async def poll_due(store: Store, options: PollOptions, now: dt.datetime | None = None) -> PollReport:
    """Poll every feed due at ``now``, each on its own and each within its own timeout, and post
    what is new; then post entries still waiting (a backfill, a claim left by a killed process)."""
    now = now or utcnow()
    due = await store.feeds.due(now, limit=200)
    gate = asyncio.Semaphore(CONCURRENCY)
    posted: list[int] = []
    taken: list[int] = []

    async def one(feed: FollowedFeed) -> int:
        async with gate:
            try:
                if not await store.feeds.take_poll(feed, now + options.every):
                    return 0  # another poller has it
                taken.append(feed.id)
                found = await _poll(store, feed, options, now)
                posted.extend(await _post_waiting(store, options, now, feed.id))
            except DatabaseUnavailableError:
                raise  # the poller waits for the database, every feed alike
            except Exception:
                # One feed's surprise (a bug, a constraint) is logged and never stops the others.
                log.exception("feed %s (%s): the poll failed", feed.id, feed.url)
                return 0
            return found

    results = await asyncio.gather(*(one(feed) for feed in due))
    posted.extend(await _post_waiting(store, options, now, None, exclude=[feed.id for feed in due]))
    return PollReport(polled=len(due), new_entries=sum(results), posted=tuple(posted), taken=len(taken))


async def _poll(store: Store, feed: FollowedFeed, options: PollOptions, now: dt.datetime) -> int:
    try:
        async with asyncio.timeout(options.feed_timeout):
            fetched, parsed = await read_feed(
                options.fetcher, feed.url, etag=feed.etag, last_modified=feed.last_modified
            )
    except (FetchError, FeedFormatError, TimeoutError) as error:
        message = (
            str(error)
            if not isinstance(error, TimeoutError)
            else f"too slow (over {options.feed_timeout:g} s)"
        )
        failures = feed.failures + 1
        log.info("feed %s (%s) failed (%d in a row): %s", feed.id, feed.url, failures, message)
        await store.feeds.polled(
            feed.id,
            now=now,
            next_poll_at=now + backoff(options.every, failures),
            error=message,
            failures=failures,
        )
        return 0
    if fetched.status in (404, 410):
        log.info("feed %s (%s) is gone (HTTP %d)", feed.id, feed.url, fetched.status)
        await store.feeds.polled(
            feed.id,
            now=now,
            next_poll_at=now + options.every,
            error=f"the feed is gone (HTTP {fetched.status}); unfollow it or resume to try again",
            failures=feed.failures + 1,
            gone=True,
        )
        return 0
    entries = [] if parsed is None else [(e.key, e.link, e.title, e.published) for e in parsed.entries]
    if fetched.moved_to:
        log.info("feed %s moved permanently: %s -> %s", feed.id, feed.url, fetched.moved_to)
    return await store.feeds.polled(
        feed.id,
        now=now,
        next_poll_at=now + options.every,
        error=None,
        failures=0,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        url=fetched.moved_to,
        entries=entries,
    )


async def _post_waiting(
    store: Store, options: PollOptions, now: dt.datetime, feed_id: int | None, exclude: Sequence[int] = ()
) -> list[int]:
    posted: list[int] = []
    for entry in await store.feeds.claim(now, limit=20, feed_id=feed_id, exclude=exclude):
        posting_id = await post_entry(store, entry, options)
        if posting_id is not None:
            posted.append(posting_id)
    return posted


async def post_entry(store: Store, entry: ClaimedEntry, options: PollOptions) -> int | None:
    """Import a claimed entry by its address and post it where its feed is followed; its posting's
    id, or None when it cannot be imported (the reason kept for ``/feed list``). Posting is
    idempotent: an entry claimed again after a crash finds the posting made before it."""
    feed = entry.feed
    try:
        imported = await import_from_web(
            store, options.fetcher, entry.link, options.target_chars, guild_id=feed.guild_id
        )
    except ReadalongError as error:
        # A page that is not an article will not become one; a fetch that failed may pass later.
        tries = await store.feeds.attempts(feed.id, entry.key) + 1
        retry = isinstance(error, FetchError) and _passing(str(error)) and tries < ENTRY_ATTEMPTS
        log.info("feed %s entry %s not imported (try %d): %s", feed.id, entry.link, tries, error)
        await store.feeds.finish(
            feed.id, entry.key, article_id=None, posting_id=None, error=str(error), retry=retry
        )
        return None
    stored = imported.article
    earlier = [
        p for p in await store.postings.for_guild(feed.guild_id, stored.id) if p.channel_id == feed.channel_id
    ]
    if earlier:
        posting_id = earlier[0].id
    else:
        target = PostTarget(feed.guild_id, feed.channel_id, feed.channel_kind, feed.tag_id)
        try:
            posting = await posting_service.post(
                store,
                stored,
                target,
                pace_minutes=feed.pace_minutes,
                with_comments=True,
                admin_id=feed.created_by,
                events=options.events,
                notify_channel_id=feed.notify_channel_id,
                clock=options.clock,
            )
            posting_id = posting.id
        except ConflictError:
            going = [
                p
                for p in await store.postings.for_guild(feed.guild_id, stored.id)
                if p.channel_id == feed.channel_id
            ]
            posting_id = going[0].id
    await store.feeds.finish(feed.id, entry.key, article_id=stored.id, posting_id=posting_id)
    return posting_id


def _passing(message: str) -> bool:
    """Whether a fetch failure may pass: not a 404/410 or a page of the wrong kind."""
    return not any(mark in message for mark in ("HTTP 404", "HTTP 410", "not a web page", "too large"))


class FeedPoller:
    """The bot's background poller: one supervised task that calls :func:`poll_due` every
    :data:`TICK_SECONDS` of the bot's clock (and at once when woken, after ``/feed follow`` or
    ``resume``)."""

    def __init__(self, store: Store, options: PollOptions) -> None:
        self.store = store
        self._comments_due: dt.datetime | None = None
        self.options = options
        self._time: Clock = options.clock or SystemClock()
        """The bot's one clock (``options.clock``): what "now" a poll is at, and the wait between
        looks (a test's :class:`~bot.domain.clock.ManualClock`, advanced, makes the poller look)."""
        self._clock = self._time.now
        self._tasks = TaskSet(ready=store.availability.wait)
        self._wake = asyncio.Event()

    def start(self) -> None:
        """Start polling (supervised: an error is logged and the loop restarted after a backoff)."""
        self._tasks.start("the feed poller", self._run)

    def wake(self) -> None:
        """Look for due feeds and waiting entries now."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop polling; an entry claimed and not yet posted is taken again after its lease."""
        await self._tasks.close()

    async def follow_comments(self, now: dt.datetime) -> int:
        """Fetch followed blog posts again for new comments, at most once a feed interval; what
        they gained is due at once (by the clock, whatever ``now`` a test polls at)."""
        if self._comments_due is not None and now < self._comments_due:
            return 0
        self._comments_due = now + self.options.every
        options = self.options
        return await follow_comments(
            self.store,
            options.fetcher,
            options.events,
            target_chars=options.target_chars,
            hours=options.comment_follow_hours,
            now=now,
            due=self._clock(),
        )

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            started = self._clock()
            report = await poll_due(self.store, self.options, started)
            if report.taken or report.posted:
                log.info(
                    "polled %d feeds, %d new entries, posted %d",
                    report.taken,
                    report.new_entries,
                    len(report.posted),
                )
            await self.follow_comments(self._clock())
            # The next look a tick after this one began, not after it ended: a clock moved on
            # while this look ran (a test's, or the sandbox's shared one) is not missed then.
            looked = max(0.0, (self._clock() - started).total_seconds())  # a wall clock set back
            await self._time.wait(self._wake, TICK_SECONDS - looked)
