"""The publisher: each active posting's items sent to Discord exactly once, in order, on schedule.

The plan lives in the store (``store.postings``). For each item the worker records the intent
(``sending``) before it calls Discord, and the message id as soon as Discord answers. If the bot
is killed in between, the next start finds the item still ``sending`` and looks for it in the
channel (:meth:`~bot.discord.posting.sender.Sender.find_sent`) before sending anything: found, it
is recorded; not found, it is sent.

Postings are independent: each active posting is worked on by its own supervised task, so a
posting whose channel refuses it, or whose HTTP call hangs, never holds up another. Failures are
sorted by :mod:`~bot.discord.posting.policy`: what may pass is retried with bounded backoff for
that posting alone; what cannot pauses that posting with the reason stored, and the admin who
started it is told where they ran ``/article post``.

The publisher is a component of the bot (``bot.publisher``), started in its ``setup_hook`` and
stopped first in its ``close``; it hears of every post, pause, resume, cancel and delete from the
posting service's :class:`~bot.services.posting.PostingEvents`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable

import aiohttp
import discord

from bot.aio import Backoff, TaskSet
from bot.discord.health import Metrics
from bot.discord.posting.checks import missing_permissions
from bot.discord.posting.items import Items, comment_url, item_plan, opens_thread
from bot.discord.posting.policy import RETRY_CAP, RETRY_FIRST, PostingHalted, classify
from bot.discord.posting.sender import Sender, Sent
from bot.discord.visibility import readers_see
from bot.discordfmt import refusals
from bot.discordfmt.posting import comments_refused_notice, pause_notice, render, with_reminder
from bot.domain.article import Article
from bot.domain.clock import Clock, SystemClock
from bot.domain.posting import ItemRow, Posting
from bot.domain.shards import ShardSet
from bot.errors import NotFoundError
from bot.services.events import ArticleEvents
from bot.services.posting import PostingChange, PostingEvents
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

ITEM_TIMEOUT = 120.0
"""An item whose Discord calls hang longer than this is abandoned and retried (safe: the retry
looks for the message in the channel first, as after a restart)."""
LEASE_RETRY_SECONDS = 15.0
"""How long a posting another process is sending waits before this process asks for it again."""
STOP_GRACE = 10.0
"""On a stop (SIGTERM, Ctrl-C), how long the item being sent may take to finish; a worker still
sending then is cut off (the restart looks for its message in the channel before sending it)."""
LOOK_EVERY = 5.0
"""The manager also looks for due postings this often, woken or not: a wake-up missed (or a
posting committed by another process) never waits for someone else's command."""


class Publisher:
    """Starts one supervised worker per active posting and stops caring about it when it is done,
    paused or cancelled. It listens to the posting service's events: on any change it looks at
    the postings again, and each worker reads its next item again (a resume has moved its due
    time one interval on, a cancel or delete leaves it none)."""

    def __init__(
        self,
        client: discord.Client,
        store: Store,
        *,
        events: PostingEvents,
        article_events: ArticleEvents,
        metrics: Metrics,
        shards: ShardSet,
        retry_first: float = RETRY_FIRST,
        retry_cap: float = RETRY_CAP,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.clock: Clock = clock or SystemClock()
        """What "now" is and how long to wait for the next item: the bot's one clock."""
        self.store = store
        self.events = events
        self.article_events = article_events
        self._stop_forgetting: Callable[[], None] | None = None
        self.metrics = metrics
        self.shards = shards
        self.sender = Sender(client)
        self._wake = asyncio.Event()
        self._nudges: dict[int, asyncio.Event] = {}
        # A database outage ends a worker's run quietly; it runs again once the store's probe
        # reaches the database (not after a backoff that grows with the outage).
        self._tasks = TaskSet(ready=self.store.availability.wait)
        self._articles: dict[str, Article] = {}
        self._retry_first = retry_first
        self._retry_cap = retry_cap
        self._trouble: dict[int, str] = {}
        self._stopping = asyncio.Event()
        """Set by :meth:`stop`: no worker starts another item."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Listen to posting changes (and to articles deleted: an article imported later under
        the same id must be read afresh, not posted from the deleted one's text) and start the
        supervised manager that runs one worker per active posting (postings left active by the
        last run carry on where they stopped)."""
        self.events.subscribe(self)
        self._stop_forgetting = self.article_events.on_deleted(self._forget)
        self._tasks.start("the publisher", self._manage)

    async def stop(self, within: float | None = None) -> None:
        """Stop between items: no worker starts another item, the one being sent is given
        ``within`` seconds (:data:`STOP_GRACE` unless given) to be sent and recorded, then the
        manager and every worker are cancelled. An item cut off while sending (past ``within``)
        is looked for in the channel on the next start, and sent again only if it is not there."""
        if within is None:
            within = STOP_GRACE
        self.events.unsubscribe(self)
        if self._stop_forgetting is not None:
            self._stop_forgetting()
        self._stopping.set()
        self.wake()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while any(name.startswith("posting ") for name in self._tasks.names()):
            if loop.time() >= deadline:
                log.warning(
                    "items still sending after %.0f s; cut off (looked for at the next start)", within
                )
                break
            await asyncio.sleep(0.02)
        await self._tasks.close()

    def posting_changed(self, change: PostingChange, /) -> None:
        """A posting was created, paused, resumed or cancelled, or an article deleted: look at
        the postings again, and every worker at its next item. Finished postings that new blog
        comments could not reopen: their admins are told, each in one line."""
        if change.kind == "refused":
            for posting_id in change.posting_ids:
                self._tasks.start(f"refusal {posting_id}", functools.partial(self._tell_refused, posting_id))
            return
        self.wake()

    async def settled(self, posting_id: int, within: float, /) -> bool:
        """Until the posting's worker has ended (after a cancel or delete: it finishes the item it
        is sending, if any, records it, and stops), or ``within`` seconds pass. True if it ended:
        then nothing more of the posting goes out."""
        deadline = asyncio.get_running_loop().time() + within
        while f"posting {posting_id}" in self._tasks:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def _forget(self, article_id: str) -> None:
        """Drop the cached article (deleted in a server)."""
        self._articles.pop(article_id, None)

    def trouble(self, posting_id: int) -> str | None:
        """Why the posting's current item is being retried, if it is (for ``/article status``)."""
        return self._trouble.get(posting_id)

    def wake(self) -> None:
        """Look at the postings again now, and every worker at its next item. Every posting
        change calls this through :meth:`posting_changed`; otherwise only a change made behind
        the posting service's back (a test moving due times in the database) needs it."""
        self._wake.set()
        for nudge in self._nudges.values():
            nudge.set()

    # -- the manager and the workers -----------------------------------------------------------

    async def _manage(self) -> None:
        """Give every active posting a worker of its own; wake on changes and when a worker ends."""
        await self.client.wait_until_ready()
        while not self._stopping.is_set():
            self._wake.clear()
            # Only this process's servers: another process sends those on the shards it holds.
            for posting_id in await self.store.postings.active_ids(self.shards):
                if self._stopping.is_set():
                    return
                name = f"posting {posting_id}"
                if name not in self._tasks:
                    self._tasks.start(
                        name,
                        functools.partial(self._work, posting_id),
                        backoff=Backoff(self._retry_first, self._retry_cap),
                        on_exit=self._wake.set,
                    )
            await _wait(self._wake, LOOK_EVERY)

    async def _work(self, posting_id: int) -> None:
        """Send one posting's items in order as they fall due; return when it is done or paused.

        Each item only while holding the posting's lease: on a database shared by several
        processes (PostgreSQL), a posting another process is sending (a second process started on
        the same servers, an old one still stopping) is left to it and tried again later."""
        try:
            await self._send_due(posting_id)
        finally:
            # Gone with the connection anyway when the database cannot be reached.
            with contextlib.suppress(DatabaseUnavailableError):
                await self.store.release_posting(posting_id)

    async def _send_due(self, posting_id: int) -> None:
        nudge = self._nudges.setdefault(posting_id, asyncio.Event())
        backoff = Backoff(self._retry_first, self._retry_cap)
        # The posting's items, read once per run and kept current as this worker records each
        # one (only the lease holder writes them): the links between items (a comment's reply
        # link, the comments thread, the messages sent before) are looked up here, not re-read.
        rows: Items | None = None
        try:
            while not self._stopping.is_set():
                nudge.clear()
                found = await self.store.postings.next_item(posting_id)
                if found is None:
                    return
                posting, item = found
                delay = (item.due_at - self.clock.now()).total_seconds()
                if delay > 0:
                    await self.clock.wait(nudge, min(delay, 3600.0))
                    continue
                if self._stopping.is_set():  # between items: the next one waits for the next start
                    return
                if not await self.store.lease_posting(posting_id):
                    log.info("posting %d is being sent by another process; trying again later", posting_id)
                    await asyncio.sleep(LEASE_RETRY_SECONDS)
                    return
                try:
                    if rows is None or item.seq not in rows:  # or items were added (new blog comments)
                        rows = Items(await self.store.postings.items(posting_id))
                    async with asyncio.timeout(ITEM_TIMEOUT):
                        await self._process(posting, item, rows)
                except DatabaseUnavailableError:
                    raise  # not this posting's failure: the supervisor waits for the database
                except Exception as error:
                    self.metrics.items_failed.inc()
                    verdict = classify(error)
                    if verdict.permanent:
                        await self._halt(posting, item, verdict.reason)
                        return
                    wait = max(backoff.next(), min(verdict.retry_after, self._retry_cap))
                    self._trouble[posting_id] = refusals.retrying(verdict.reason, backoff.failures + 1)
                    log.warning(
                        "posting %d item %d failed (%s); retrying in %.1f s",
                        posting_id,
                        item.seq,
                        verdict.reason,
                        wait,
                        exc_info=error if not verdict.expected else None,
                    )
                    await _wait(nudge, wait)
                    continue
                if backoff.failures:
                    log.info(
                        "posting %d resumed: item %d sent after %d failed attempts",
                        posting_id,
                        item.seq,
                        backoff.failures,
                    )
                    backoff.reset()
                    self._trouble.pop(posting_id, None)
        finally:
            self._trouble.pop(posting_id, None)
            if self._nudges.get(posting_id) is nudge:
                del self._nudges[posting_id]

    async def _process(self, posting: Posting, item: ItemRow, rows: Items) -> None:
        """Send one item (or find it sent before a restart), record it, start its thread."""
        article = await self._article(posting.article_id)
        if item.kind == "comment" and item.status == "pending" and item.message_id is not None:
            await self._revise(posting, item, rows)
            return
        if item.kind == "comment" and all(c.index != item.comment for c in article.comments):
            # A comment that came after the import (bot.services.comment_follow): read it afresh.
            self._forget(posting.article_id)
            article = await self._article(posting.article_id)
        items = rows.rows
        out = render(
            article,
            item_plan(item),
            pace_minutes=posting.pace_minutes,
            with_comments=posting.with_comments,
            comment_jump_url=lambda number: comment_url(posting, items, number),
            schedule=None if posting.schedule is None else f"{posting.schedule} ({posting.timezone})",
            releases=[(row.section or 0, row.due_at) for row in items if row.kind == "section"],
        )
        if item.kind in ("intro", "section"):
            role, on = await self.store.guilds.reminders(posting.guild_id)
            out = with_reminder(out, role if on else None)
        sent: Sent | None = None
        if item.status == "pending":
            await self.store.postings.mark_sending(posting.id, item.seq)
            rows.update(item.seq, status="sending")
        elif item.message_id is None:
            sent = await self.sender.find_sent(posting, items, item, out)
            if sent is not None:
                log.info(
                    "posting %d item %d was sent before a restart; not sending again", posting.id, item.seq
                )
                # Its message id too, or the archive's links and the comments' jump links lack it.
                await self._record(posting, item, sent, rows)
        if item.message_id is not None:
            sent = Sent(item.message_id, item.container_id or posting.channel_id, None)
        if sent is None:
            sent = await self.sender.send(posting, items, out, article)
            await self._record(posting, item, sent, rows)
        thread_id = sent.thread_id
        if thread_id is None and opens_thread(posting, item):
            thread_id = await self.sender.start_thread(sent, out)
        await self.store.postings.mark_done(posting.id, item.seq, thread_id)
        rows.update(item.seq, status="done", thread_id=thread_id)
        self.metrics.items_sent.inc()
        log.info("posting %d item %d sent (message %d)", posting.id, item.seq, sent.message_id)

    async def _revise(self, posting: Posting, item: ItemRow, rows: Items) -> None:
        """A sent comment the blog edited or deleted since (pending again with its message id; see
        :mod:`bot.services.comment_follow`): its message edited to the stored words, or deleted."""
        assert item.message_id is not None
        self._forget(posting.article_id)
        article = await self._article(posting.article_id)
        out = None
        if any(c.index == item.comment for c in article.comments):
            out = render(
                article,
                item_plan(item),
                pace_minutes=posting.pace_minutes,
                with_comments=posting.with_comments,
                comment_jump_url=lambda number: comment_url(posting, rows.rows, number),
            )
        await self.sender.revise_comment(rows.rows, item.message_id, out)
        await self.store.postings.mark_done(posting.id, item.seq, item.thread_id)
        log.info(
            "posting %d item %d: comment %s", posting.id, item.seq, "deleted" if out is None else "edited"
        )

    async def _record(self, posting: Posting, item: ItemRow, sent: Sent, rows: Items) -> None:
        """The message the item became, in the store and in this run's copy of the items."""
        await self.store.postings.record_message(posting.id, item.seq, sent.message_id, sent.container_id)
        rows.update(item.seq, message_id=sent.message_id, container_id=sent.container_id)

    async def _article(self, article_id: str) -> Article:
        if article_id not in self._articles:
            self._articles[article_id] = await self.store.articles.get(article_id)
        return self._articles[article_id]

    async def _halt(self, posting: Posting, item: ItemRow, reason: str) -> None:
        """Pause the posting with its reason and tell the admin who started it."""
        where = f"<#{posting.channel_id}>"
        if refusals.MISSING_A_PERMISSION in reason:
            named = self._missing_here(posting)
            if named:
                reason = refusals.missing_permissions(where, named)
        log.warning("posting %d paused at item %d: %s", posting.id, item.seq, reason)
        await self.store.postings.halt(posting.id, reason)
        target = posting.notify_channel_id or posting.channel_id
        # Told where `/article post` was used: the channel named only if all who read there see it.
        shown = readers_see(self.client, target, posting.channel_id)
        notice = pause_notice(
            posting.article_slug, posting.channel_id, posting.created_by, reason, named=shown
        )
        try:
            async with asyncio.timeout(30.0):
                await self.sender.notify(target, notice)
        except (discord.HTTPException, PostingHalted, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning(
                "could not tell the admin of posting %d in channel %d that it is paused (%s): %s",
                posting.id,
                target,
                error,
                reason,
            )

    async def _tell_refused(self, posting_id: int) -> None:
        """Tell the admin of a finished posting, where it was started, in one line, that new blog
        comments did not reopen it: another posting of the article is under way in its channel."""
        try:
            posting = await self.store.postings.get(posting_id)
        except NotFoundError:
            return  # deleted since, with its article: nobody to tell
        going = [
            p
            for p in await self.store.postings.for_guild(posting.guild_id, posting.article_id)
            if p.channel_id == posting.channel_id and p.state != "done" and p.id != posting.id
        ]
        target = posting.notify_channel_id or posting.channel_id
        notice = comments_refused_notice(
            posting.article_slug,
            posting.channel_id,
            brings_them=any(p.with_comments for p in going),
            named=readers_see(self.client, target, posting.channel_id),
        )
        try:
            async with asyncio.timeout(30.0):
                await self.sender.notify(target, notice)
        except (discord.HTTPException, PostingHalted, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("could not tell the admin of posting %d (%s): %s", posting.id, error, notice)

    def _missing_here(self, posting: Posting) -> list[str]:
        channel = self.client.get_channel(posting.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return []
        return missing_permissions(
            channel.permissions_for(channel.guild.me),
            forum=isinstance(channel, discord.ForumChannel),
            with_comments=posting.with_comments,
        )


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` pass, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
