"""Sending a posting's items to Discord, each exactly once, in order, on schedule.

The plan lives in SQLite (``store.postings``). For each item the publisher records the intent
(``sending``) before it calls Discord, and the message id as soon as Discord answers. If the bot
is killed in between, the next start finds the item still ``sending`` and looks for its exact
rendered text in the target channel's history (or the forum's threads) before sending anything:
found, it is recorded; not found, it is sent. Starting a thread from a posted message is made
idempotent the same way (Discord gives a message's thread the message's id).

Postings are independent: each active posting is worked on by its own supervised task, so a
posting whose channel refuses it, or whose HTTP call hangs, never holds up another. What can
succeed later (429, 5xx, network errors, timeouts, a busy database) is retried with bounded
backoff for that posting alone; what cannot (403, 404, 400, Discord's limits) pauses that posting
with the reason stored, and the admin who started it is told where they ran ``/article post``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import aiohttp
import discord

from bot.aio import Backoff, TaskSet
from bot.discord.visibility import readers_see
from bot.discordfmt.limits import THREAD_NAME_LIMIT
from bot.discordfmt.links import jump_url
from bot.discordfmt.posting import EmbedSpec, Outgoing, pause_notice, render
from bot.domain.article import Article
from bot.domain.posting import ItemRow, PlanItem, Posting
from bot.errors import ReadalongError
from bot.posting.plan import plan_posting
from bot.store import describe_trouble, is_busy_error
from bot.store.errors import DatabaseUnavailableError
from bot.store.postings import utcnow

if TYPE_CHECKING:
    from bot.discord.client import ReadalongBot

log = logging.getLogger(__name__)

WEBHOOK_NAME = "Readalong"
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
"""A week, Discord's longest: threads stay open while people read along."""
_THREAD_ALREADY_CREATED = 160004
_UNKNOWN_WEBHOOK = 10015
_NO_MENTIONS = discord.AllowedMentions.none()
RETRY_FIRST = 1.0
RETRY_CAP = 300.0
"""A posting that keeps failing for a reason that may pass is tried again after 1, 2, 4 … s, at
most every five minutes: never given up on, never hammered."""
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
"""How long a posting another process is sending waits before this process asks for it again."""
_REASON_LIMIT = 300

_REFUSALS = {
    50013: "I am missing a permission there",
    50001: "I have no access to that channel",
    10003: "the channel or thread no longer exists",
    10008: "a message I posted was deleted",
    30007: (
        "this channel already has 15 webhooks, Discord's limit, and I need one for the original "
        "comments; delete one in Server Settings › Integrations › Webhooks"
    ),
    60003: (
        "this server requires two-factor authentication for moderation, so Discord lets me create "
        "webhooks only if my owner's account has 2FA: my owner must enable 2FA, or the server's "
        "owner lowers the requirement (Server Settings › Safety Setup)"
    ),
    30033: "the server has the most threads Discord allows",
    160006: (
        "the server has reached Discord's limit on active threads (about 1,000); archive or "
        "delete some threads"
    ),
    40067: (
        "the forum requires a tag on each post and I have none to apply (was the chosen tag "
        "deleted?); add a tag named after the article, such as a word of its title"
    ),
    160005: "the thread is locked",
    50083: "the thread is archived",
    50035: "Discord refused what I tried to send (invalid form body)",
    50024: "the channel is of a kind I cannot post in",
}
"""Discord's error codes for refusals that retrying cannot fix, in words an admin can act on."""
_VAGUE = {50013, 50035, 50024}
"""Refusals whose detail (which field, which permission) Discord's text adds to ours."""

PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
    "manage_webhooks": "Manage Webhooks",
}


def missing_permissions(permissions: discord.Permissions, *, forum: bool, with_comments: bool) -> list[str]:
    """The permissions (by their names in Discord's settings) the bot lacks to post here."""
    needed = [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "read_message_history",
    ]
    if not forum:
        needed.insert(2, "create_public_threads")
    if with_comments:
        needed.append("manage_webhooks")
    names = [PERMISSION_NAMES[name] for name in needed if not getattr(permissions, name)]
    if forum and "Send Messages" in names:
        names[names.index("Send Messages")] = "Create Posts"
    return names


def refuse_channel_kind(channel: discord.abc.GuildChannel) -> None:
    """Announcement and media channels are refused in one line: Readalong posts in text
    channels (a thread per section) and forums (a post per section) only. Threads in an
    announcement channel are of another type (10) and media channels' posts are made for
    attachments; neither is tested end to end, so neither is offered as if it worked."""
    if isinstance(channel, discord.TextChannel) and channel.is_news():
        raise ReadalongError(
            f"{channel.mention} is an announcement channel; I post in text channels and forums only. "
            "Nothing was posted."
        )
    if isinstance(channel, discord.ForumChannel) and channel.is_media():
        raise ReadalongError(
            f"{channel.mention} is a media channel; I post in text channels and forums only. "
            "Nothing was posted."
        )


def matching_tags(forum: discord.ForumChannel, article: Article) -> list[discord.ForumTag]:
    """The forum's tags for this article, the bot may apply: one named as its id, or a word of
    its title (tag names are at most 20 characters, so "Zhanaozen" stands for "The Lessons of
    Zhanaozen"). A moderated tag needs Manage Threads, so without it one is never picked."""
    title_words = set(re.findall(r"\w+", (article.title or "").lower()))
    may_moderate = forum.permissions_for(forum.guild.me).manage_threads

    def fits(tag: discord.ForumTag) -> bool:
        name = tag.name.lower()
        matches = name == article.slug.lower() or (len(name) >= 4 and name in title_words)
        return matches and (may_moderate or not tag.moderated)

    return [tag for tag in forum.available_tags if fits(tag)]


def choose_tag(forum: discord.ForumChannel, article: Article, wanted: str | None) -> discord.ForumTag | None:
    """The tag every post of this posting carries, checked before anything is posted.

    ``wanted`` is a tag's id (what the ``tag:`` autocomplete offers) or its name. A forum with the
    REQUIRE_TAG flag refuses untagged posts (code 40067), and a moderated tag needs Manage
    Threads (code 50013): both would otherwise stop the posting after its intro."""
    names = ", ".join(f"`{t.name}`" for t in forum.available_tags) or "none"
    if wanted is None or not wanted.strip():
        found = matching_tags(forum, article)
        if not found and forum.flags.require_tag:
            raise ReadalongError(
                f"{forum.mention} requires a tag on each post and none of its tags matches this "
                f"article: choose one with `tag:` (its tags: {names}). Nothing was posted."
            )
        return found[0] if found else None
    key = wanted.strip()
    tag = next((t for t in forum.available_tags if str(t.id) == key or t.name.lower() == key.lower()), None)
    if tag is None:
        raise ReadalongError(f"{forum.mention} has no tag {key!r} (its tags: {names}). Nothing was posted.")
    if tag.moderated and not forum.permissions_for(forum.guild.me).manage_threads:
        raise ReadalongError(
            f"The tag `{tag.name}` in {forum.mention} is moderated: only members with Manage Threads "
            "may apply it, and I do not have that permission there. Give it to me there, or choose "
            "another tag. Nothing was posted."
        )
    return tag


def _no_tag_outside_forums(channel: discord.abc.GuildChannel, tag: str | None) -> None:
    if tag is not None and tag.strip():
        raise ReadalongError(
            f"`tag:` is for forums; {channel.mention} is a text channel. Nothing was posted."
        )


def to_embed(spec: EmbedSpec) -> discord.Embed:
    """The discord.py embed for a spec made by ``bot.discordfmt`` (which never imports discord)."""
    embed = discord.Embed(title=spec.title, description=spec.description)
    for name, value in spec.fields:
        embed.add_field(name=name, value=value, inline=True)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a posted item landed: the message, the channel or thread it is in, and the thread it started (a
    section's thread, a forum post), if any."""

    message_id: int
    container_id: int
    thread_id: int | None


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
        return Verdict(False, "rate limited by Discord", retry_after=error.retry_after)
    if isinstance(error, discord.HTTPException):
        status, code = error.status, error.code
        if status == 429 or status >= 500:
            return Verdict(False, f"Discord answered {status}")
        if code == _UNKNOWN_WEBHOOK:
            return Verdict(False, "the channel's webhook was deleted; making a new one")
        if code in _REFUSALS and code not in _VAGUE:
            return Verdict(True, _REFUSALS[code])  # Discord's own words add nothing to ours
        what = _REFUSALS.get(code, f"Discord refused it ({status}{f', code {code}' if code else ''})")
        detail = (error.text or "").strip().replace("\n", " ")
        return Verdict(True, _clip(f"{what}: {detail}" if detail else what))
    if isinstance(error, TimeoutError):
        return Verdict(False, "Discord did not answer in time")
    if isinstance(error, aiohttp.ClientError | OSError):
        return Verdict(False, f"network error ({type(error).__name__})")
    if is_busy_error(error):
        return Verdict(False, describe_trouble(error))
    return Verdict(False, f"unexpected error ({type(error).__name__}; see the log)", expected=False)


def _clip(text: str) -> str:
    return text if len(text) <= _REASON_LIMIT else text[: _REASON_LIMIT - 1] + "…"


class Publisher:
    """Starts one supervised worker per active posting and stops caring about it when it is done,
    paused or cancelled; :meth:`wake` after a post, pause, resume, cancel or delete (each worker
    then reads its next item again: a resume has moved its due time one interval on, a cancel
    or delete leaves it none)."""

    def __init__(
        self, bot: ReadalongBot, *, retry_first: float = RETRY_FIRST, retry_cap: float = RETRY_CAP
    ) -> None:
        self.bot = bot
        self.store = bot.store
        self._wake = asyncio.Event()
        self._nudges: dict[int, asyncio.Event] = {}
        # A database outage ends a worker's run quietly; it runs again once the store's probe
        # reaches the database (not after a backoff that grows with the outage).
        self._tasks = TaskSet(ready=self.store.availability.wait)
        self._articles: dict[str, Article] = {}
        self._webhooks: dict[int, discord.Webhook] = {}
        self._webhook_locks: dict[int, asyncio.Lock] = {}
        self._retry_first = retry_first
        self._retry_cap = retry_cap
        self._trouble: dict[int, str] = {}
        self._stopping = asyncio.Event()
        """Set by :meth:`stop`: no worker starts another item."""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start the supervised manager that runs one worker per active posting; :meth:`stop` ends it."""
        self._tasks.start("the publisher", self._manage)

    async def stop(self, within: float = STOP_GRACE) -> None:
        """Stop between items: no worker starts another item, the one being sent is given
        ``within`` seconds to be sent and recorded, then the manager and every worker are
        cancelled. An item cut off while sending (past ``within``) is looked for in the channel
        on the next start, and sent again only if it is not there."""
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

    def wake(self) -> None:
        """Look at the postings again (one was created, paused, resumed), and every worker at its
        next item (a resume reschedules them)."""
        self._wake.set()
        for nudge in self._nudges.values():
            nudge.set()

    async def wait_stopped(self, posting_id: int, within: float) -> bool:
        """Until the posting's worker has ended (after a cancel or delete: it finishes the item it
        is sending, if any, records it, and stops), or ``within`` seconds pass. True if it ended:
        then nothing more of the posting goes out."""
        deadline = asyncio.get_running_loop().time() + within
        while f"posting {posting_id}" in self._tasks:
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def forget(self, article_id: str) -> None:
        """Drop the cached article (``/article delete``): an article imported later under the
        same id must be read afresh, not posted from the deleted one's text."""
        self._articles.pop(article_id, None)

    def trouble(self, posting_id: int) -> str | None:
        """Why the posting's current item is being retried, if it is (for ``/article status``)."""
        return self._trouble.get(posting_id)

    # -- commands ------------------------------------------------------------------------------

    async def post(
        self,
        article: Article,
        channel: discord.TextChannel | discord.ForumChannel,
        *,
        pace_minutes: int,
        with_comments: bool,
        admin_id: int,
        notify_channel_id: int | None = None,
        tag: str | None = None,
    ) -> Posting:
        """Check the channel, the tag and permissions, record the whole plan, and let a worker
        send it. What Discord would refuse for the whole posting and can be known now (the
        channel's kind, a required or moderated tag, a missing permission) is refused here, in
        one line, with nothing posted."""
        refuse_channel_kind(channel)
        forum = isinstance(channel, discord.ForumChannel)
        if isinstance(channel, discord.ForumChannel):
            chosen = choose_tag(channel, article, tag)
        else:
            _no_tag_outside_forums(channel, tag)
            chosen = None
        missing = missing_permissions(
            channel.permissions_for(channel.guild.me),
            forum=forum,
            with_comments=with_comments and bool(article.comments),
        )
        if missing:
            raise ReadalongError(
                f"I am missing these permissions in {channel.mention}: {', '.join(missing)}. Nothing was posted."
            )
        posting = await self.store.postings.create(
            article_id=article.id,
            guild_id=channel.guild.id,
            channel_id=channel.id,
            channel_kind="forum" if forum else "text",
            pace_minutes=pace_minutes,
            with_comments=with_comments,
            created_by=admin_id,
            items=plan_posting(article, pace_minutes=pace_minutes, with_comments=with_comments),
            start=utcnow(),
            notify_channel_id=notify_channel_id,
            tag_id=chosen.id if chosen is not None else None,
        )
        self.wake()
        return posting

    # -- the manager and the workers -----------------------------------------------------------

    async def _manage(self) -> None:
        """Give every active posting a worker of its own; wake on changes and when a worker ends."""
        await self.bot.wait_until_ready()
        while not self._stopping.is_set():
            self._wake.clear()
            # Only this process's servers: another process sends those on the shards it holds.
            for posting_id in await self.store.postings.active_ids(self.bot.shard_set):
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
        try:
            while not self._stopping.is_set():
                nudge.clear()
                found = await self.store.postings.next_item(posting_id)
                if found is None:
                    return
                posting, item = found
                delay = (item.due_at - utcnow()).total_seconds()
                if delay > 0:
                    await _wait(nudge, min(delay, 3600.0))
                    continue
                if self._stopping.is_set():  # between items: the next one waits for the next start
                    return
                if not await self.store.lease_posting(posting_id):
                    log.info("posting %d is being sent by another process; trying again later", posting_id)
                    await asyncio.sleep(LEASE_RETRY_SECONDS)
                    return
                try:
                    async with asyncio.timeout(ITEM_TIMEOUT):
                        await self._process(posting, item)
                except DatabaseUnavailableError:
                    raise  # not this posting's failure: the supervisor waits for the database
                except Exception as error:
                    self.bot.metrics.items_failed.inc()
                    verdict = classify(error)
                    if verdict.permanent:
                        await self._halt(posting, item, verdict.reason)
                        return
                    wait = max(backoff.next(), min(verdict.retry_after, self._retry_cap))
                    self._trouble[posting_id] = (
                        f"{verdict.reason}; trying again (attempt {backoff.failures + 1})"
                    )
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

    async def _halt(self, posting: Posting, item: ItemRow, reason: str) -> None:
        """Pause the posting with its reason and tell the admin who started it."""
        where = f"<#{posting.channel_id}>"
        if "missing a permission" in reason:
            named = await self._missing_here(posting)
            if named:
                reason = f"I am missing these permissions in {where}: {', '.join(named)}"
        log.warning("posting %d paused at item %d: %s", posting.id, item.seq, reason)
        await self.store.postings.halt(posting.id, reason)
        target = posting.notify_channel_id or posting.channel_id
        # Told where `/article post` was used: the channel named only if all who read there see it.
        shown = readers_see(self.bot, target, posting.channel_id)
        notice = pause_notice(
            posting.article_slug, posting.channel_id, posting.created_by, reason, named=shown
        )
        try:
            async with asyncio.timeout(30.0):
                channel = await self._channel(target)
                if not isinstance(channel, discord.TextChannel | discord.Thread):
                    raise PostingHalted(f"<#{target}> is not a text channel")
                await channel.send(notice, allowed_mentions=_NO_MENTIONS)
        except (discord.HTTPException, PostingHalted, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning(
                "could not tell the admin of posting %d in channel %d that it is paused (%s): %s",
                posting.id,
                target,
                error,
                reason,
            )

    async def _missing_here(self, posting: Posting) -> list[str]:
        channel = self.bot.get_channel(posting.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return []
        return missing_permissions(
            channel.permissions_for(channel.guild.me),
            forum=isinstance(channel, discord.ForumChannel),
            with_comments=posting.with_comments,
        )

    async def _article(self, article_id: str) -> Article:
        if article_id not in self._articles:
            self._articles[article_id] = await self.store.articles.get(article_id)
        return self._articles[article_id]

    async def _process(self, posting: Posting, item: ItemRow) -> None:
        article = await self._article(posting.article_id)
        items = await self.store.postings.items(posting.id)
        out = render(
            article,
            item_plan(item),
            pace_minutes=posting.pace_minutes,
            with_comments=posting.with_comments,
            comment_jump_url=lambda number: self._comment_url(posting, items, number),
        )
        sent: Sent | None = None
        if item.status == "pending":
            await self.store.postings.mark_sending(posting.id, item.seq)
        elif item.message_id is None:
            sent = await self._find_sent(posting, items, item, out)
            if sent is not None:
                log.info(
                    "posting %d item %d was sent before a restart; not sending again", posting.id, item.seq
                )
                # Its message id too, or the archive's links and the comments' jump links lack it.
                await self.store.postings.record_message(
                    posting.id, item.seq, sent.message_id, sent.container_id
                )
        if item.message_id is not None:
            sent = Sent(item.message_id, item.container_id or posting.channel_id, None)
        if sent is None:
            sent = await self._send(posting, items, item, out)
            await self.store.postings.record_message(posting.id, item.seq, sent.message_id, sent.container_id)
        thread_id = sent.thread_id
        if thread_id is None and self._opens_thread(posting, item):
            thread_id = await self._start_thread(sent, out)
        await self.store.postings.mark_done(posting.id, item.seq, thread_id)
        self.bot.metrics.items_sent.inc()
        log.info("posting %d item %d sent (message %d)", posting.id, item.seq, sent.message_id)

    @staticmethod
    def _opens_thread(posting: Posting, item: ItemRow) -> bool:
        return posting.channel_kind == "text" and item.kind in ("section", "comments")

    def _comment_url(self, posting: Posting, items: list[ItemRow], comment: int) -> str | None:
        for row in items:
            if row.kind == "comment" and row.comment == comment and row.part == 1 and row.message_id:
                return jump_url(posting.guild_id, row.container_id or posting.channel_id, row.message_id)
        return None

    # -- Discord calls -------------------------------------------------------------------------

    async def _channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                fetched = await self.bot.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden) as error:
                raise PostingHalted(
                    f"channel {channel_id} is gone or hidden from me ({error.text})"
                ) from None
            if isinstance(fetched, discord.abc.PrivateChannel):
                raise PostingHalted(f"channel {channel_id} is not a server channel")
            channel = fetched
        if isinstance(channel, discord.abc.PrivateChannel):
            raise PostingHalted(f"channel {channel_id} is not a server channel")
        return channel

    async def _comments_thread(self, items: list[ItemRow]) -> discord.Thread:
        header = next((row for row in items if row.kind == "comments"), None)
        if header is None or header.thread_id is None:
            raise PostingHalted("the comments thread was not created")
        thread = await self._channel(header.thread_id)
        if not isinstance(thread, discord.Thread):
            raise PostingHalted("the comments thread is not a thread")
        return thread

    async def _webhook(self, parent: discord.TextChannel | discord.ForumChannel) -> discord.Webhook:
        """The channel's Readalong webhook, made once (two postings in one channel share it)."""
        async with self._webhook_locks.setdefault(parent.id, asyncio.Lock()):
            cached = self._webhooks.get(parent.id)
            if cached is not None:
                return cached
            hook = await self._find_or_make_webhook(parent)
            self._webhooks[parent.id] = hook
            return hook

    async def _find_or_make_webhook(
        self, parent: discord.TextChannel | discord.ForumChannel
    ) -> discord.Webhook:
        me = self.bot.user
        try:
            hooks = await parent.webhooks()
            hook = next(
                (
                    h
                    for h in hooks
                    if h.name == WEBHOOK_NAME and h.user is not None and me and h.user.id == me.id
                ),
                None,
            )
            if hook is None:
                hook = await parent.create_webhook(name=WEBHOOK_NAME, reason="Readalong: original comments")
        except discord.HTTPException as error:
            if error.code in (30007, 60003):
                raise PostingHalted(_REFUSALS[error.code]) from None
            if isinstance(error, discord.Forbidden):
                raise PostingHalted(f"I need the Manage Webhooks permission in <#{parent.id}>") from None
            raise
        return hook

    async def _send(self, posting: Posting, items: list[ItemRow], item: ItemRow, out: Outgoing) -> Sent:
        embed = to_embed(out.embed) if out.embed else None
        if out.username is not None:
            thread = await self._comments_thread(items)
            parent = thread.parent
            if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
                raise PostingHalted("the comments thread has no parent channel")
            hook = await self._webhook(parent)
            if thread.archived:
                await thread.edit(archived=False)
            try:
                hooked = await hook.send(
                    out.content,
                    username=out.username,
                    thread=thread,
                    wait=True,
                    allowed_mentions=_NO_MENTIONS,
                )
            except discord.NotFound as error:
                if error.code == _UNKNOWN_WEBHOOK:
                    self._webhooks.pop(parent.id, None)  # deleted by someone: the retry makes a new one
                raise
            return Sent(hooked.id, thread.id, None)
        channel = await self._channel(posting.channel_id)
        if isinstance(channel, discord.ForumChannel):
            name = out.thread_name or out.content[:THREAD_NAME_LIMIT]
            tags = await self._post_tags(channel, posting)
            created = await channel.create_thread(
                name=name,
                content=out.content,
                embeds=[embed] if embed is not None else [],
                applied_tags=tags,
                allowed_mentions=_NO_MENTIONS,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            return Sent(created.message.id, created.thread.id, created.thread.id)
        if not isinstance(channel, discord.TextChannel):
            raise PostingHalted(f"#{channel} is neither a text nor a forum channel")
        if embed is not None:
            message = await channel.send(out.content, embed=embed, allowed_mentions=_NO_MENTIONS)
        else:
            message = await channel.send(out.content, allowed_mentions=_NO_MENTIONS)
        return Sent(message.id, channel.id, None)

    async def _start_thread(self, sent: Sent, out: Outgoing) -> int:
        channel = await self._channel(sent.container_id)
        if not isinstance(channel, discord.TextChannel):
            raise PostingHalted("threads can only be started in a text channel")
        try:
            thread = await channel.get_partial_message(sent.message_id).create_thread(
                name=out.thread_name or "Discussion", auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as error:
            if error.code == _THREAD_ALREADY_CREATED:
                return sent.message_id  # started before a restart: a message's thread has its id
            raise
        return thread.id

    async def _post_tags(self, forum: discord.ForumChannel, posting: Posting) -> list[discord.ForumTag]:
        """The tag chosen when the posting was started; if an admin has since deleted it, the
        one matching the article (a forum that requires a tag and has none left refuses the post
        with code 40067, which pauses the posting with that reason)."""
        chosen = forum.get_tag(posting.tag_id) if posting.tag_id is not None else None
        if chosen is not None:
            return [chosen]
        article = await self._article(posting.article_id)
        return matching_tags(forum, article)[:1]

    async def _find_sent(
        self, posting: Posting, items: list[ItemRow], item: ItemRow, out: Outgoing
    ) -> Sent | None:
        """The message this item already became before a restart, if any."""
        me = self.bot.user
        assert me is not None
        since = discord.Object(
            discord.utils.time_snowflake(dt.datetime.fromisoformat(posting.created_at)) - 1
        )
        earlier = [row for row in items if row.seq < item.seq and row.message_id is not None]
        if out.username is not None:
            thread = await self._comments_thread(items)
            previous = [row.message_id for row in earlier if row.container_id == thread.id]
            after = discord.Object(previous[-1]) if previous and previous[-1] else since
            async for message in thread.history(after=after, limit=None, oldest_first=True):
                if (
                    message.webhook_id is not None
                    and message.author.name == as_discord_keeps_name(out.username)
                    and message.content == as_discord_keeps_content(out.content)
                ):
                    return Sent(message.id, thread.id, None)
            return None
        channel = await self._channel(posting.channel_id)
        if isinstance(channel, discord.ForumChannel):
            candidates: list[discord.Thread] = list(channel.threads)
            async for archived in channel.archived_threads(limit=None):
                candidates.append(archived)
            for thread in sorted(candidates, key=lambda t: t.id):
                if thread.owner_id == me.id and thread.name == out.thread_name and thread.id > since.id:
                    return Sent(thread.id, thread.id, thread.id)
            return None
        if not isinstance(channel, discord.TextChannel):
            return None
        previous = [row.message_id for row in earlier if row.container_id == channel.id]
        after = discord.Object(previous[-1]) if previous and previous[-1] else since
        async for message in channel.history(after=after, limit=None, oldest_first=True):
            if message.author.id == me.id and message.content == as_discord_keeps_content(out.content):
                return Sent(message.id, channel.id, None)
        return None


def as_discord_keeps_content(content: str) -> str:
    """A message's content as Discord stores it: trimmed of surrounding whitespace. Comparing the
    rendered text with what the channel shows must use this, or a message whose text ended in a
    blank line is not recognised after a restart and is sent twice."""
    return content.strip()


def as_discord_keeps_name(name: str) -> str:
    """A webhook username as Discord stores it: trimmed, inner runs of whitespace collapsed."""
    return " ".join(name.split())


def item_plan(item: ItemRow) -> PlanItem:
    """The plan item a stored posting item stands for, so rendering reads the same whether planned or
    stored."""
    return PlanItem(item.seq, item.kind, section=item.section, comment=item.comment, part=item.part)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until ``event`` is set or ``seconds`` pass, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=seconds)
