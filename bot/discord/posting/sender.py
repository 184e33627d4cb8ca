"""The Discord calls a posting makes: its messages, forum posts and section threads, the original
comments through the channel's webhook, and, after a restart, finding what an item already became.

Starting a thread from a posted message is idempotent (Discord gives a message's thread the
message's id), and an item left ``sending`` by a killed process is looked for by its exact
rendered text in the target channel's history (or the forum's threads) before it is sent again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import discord

from bot.discord.posting.checks import matching_tags
from bot.discord.posting.policy import THREAD_ALREADY_CREATED, UNKNOWN_WEBHOOK, PostingHalted
from bot.discord.reminders import RemindView
from bot.discordfmt import refusals
from bot.discordfmt.limits import THREAD_NAME_LIMIT
from bot.discordfmt.posting import EmbedSpec, Outgoing
from bot.domain.article import Article
from bot.domain.posting import ItemRow, Posting

WEBHOOK_NAME = "Readalong"
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080
"""A week, Discord's longest: threads stay open while people read along."""
NO_MENTIONS = discord.AllowedMentions.none()


def reminder_mentions(role_id: int | None) -> discord.AllowedMentions:
    """Nobody pinged, but for the server's reminder role on a released section: that role alone
    (a reader's ``@everyone`` or a user's mention quoted in the article still pings nobody)."""
    if role_id is None:
        return NO_MENTIONS
    return discord.AllowedMentions(
        everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
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


def as_discord_keeps_content(content: str) -> str:
    """A message's content as Discord stores it: trimmed of surrounding whitespace. Comparing the
    rendered text with what the channel shows must use this, or a message whose text ended in a
    blank line is not recognised after a restart and is sent twice."""
    return content.strip()


def as_discord_keeps_name(name: str) -> str:
    """A webhook username as Discord stores it: trimmed, inner runs of whitespace collapsed."""
    return " ".join(name.split())


class Sender:
    """Sends a posting's items for the publisher, with the channels' webhooks made once and kept
    (two postings in one channel share it; one deleted by someone is made again on the retry)."""

    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._webhooks: dict[int, discord.Webhook] = {}
        self._webhook_locks: dict[int, asyncio.Lock] = {}

    async def channel(self, channel_id: int) -> discord.abc.GuildChannel | discord.Thread:
        """The server channel or thread, fetched when not cached; gone or hidden halts the posting."""
        channel = self.client.get_channel(channel_id)
        if channel is None:
            try:
                fetched = await self.client.fetch_channel(channel_id)
            except (discord.NotFound, discord.Forbidden) as error:
                raise PostingHalted(refusals.channel_gone(channel_id, error.text)) from None
            if isinstance(fetched, discord.abc.PrivateChannel):
                raise PostingHalted(refusals.not_a_server_channel(channel_id))
            channel = fetched
        if isinstance(channel, discord.abc.PrivateChannel):
            raise PostingHalted(refusals.not_a_server_channel(channel_id))
        return channel

    async def send(self, posting: Posting, items: Sequence[ItemRow], out: Outgoing, article: Article) -> Sent:
        """Send one rendered item: a comment through the webhook into the comments thread, a forum
        post, or a message in the text channel."""
        embed = to_embed(out.embed) if out.embed else None
        if out.username is not None:
            thread = await self.comments_thread(items)
            parent = thread.parent
            if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
                raise PostingHalted(refusals.COMMENTS_THREAD_NO_PARENT)
            hook = await self._webhook(parent)
            if thread.archived:
                await thread.edit(archived=False)
            try:
                hooked = await hook.send(
                    out.content,
                    username=out.username,
                    thread=thread,
                    wait=True,
                    allowed_mentions=NO_MENTIONS,
                )
            except discord.NotFound as error:
                if error.code == UNKNOWN_WEBHOOK:
                    self._webhooks.pop(parent.id, None)  # deleted by someone: the retry makes a new one
                raise
            return Sent(hooked.id, thread.id, None)
        channel = await self.channel(posting.channel_id)
        mentions = reminder_mentions(out.ping_role)
        view = RemindView() if out.remind_button else discord.utils.MISSING
        if isinstance(channel, discord.ForumChannel):
            name = out.thread_name or out.content[:THREAD_NAME_LIMIT]
            created = await channel.create_thread(
                name=name,
                content=out.content,
                embeds=[embed] if embed is not None else [],
                applied_tags=self._post_tags(channel, posting, article),
                allowed_mentions=mentions,
                view=view,
                auto_archive_duration=THREAD_ARCHIVE_MINUTES,
            )
            return Sent(created.message.id, created.thread.id, created.thread.id)
        if not isinstance(channel, discord.TextChannel):
            raise PostingHalted(refusals.neither_text_nor_forum(str(channel)))
        if embed is not None:
            message = await channel.send(out.content, embed=embed, allowed_mentions=mentions, view=view)
        else:
            message = await channel.send(out.content, allowed_mentions=mentions)
        return Sent(message.id, channel.id, None)

    async def revise_comment(self, items: Sequence[ItemRow], message_id: int, out: Outgoing | None) -> None:
        """Edit an original comment's message to ``out`` (the blog edited it), or delete it (None: the
        blog deleted it); a message already deleted counts as done, so doing this twice is harmless."""
        thread = await self.comments_thread(items)
        parent = thread.parent
        if not isinstance(parent, discord.TextChannel | discord.ForumChannel):
            raise PostingHalted(refusals.COMMENTS_THREAD_NO_PARENT)
        hook = await self._webhook(parent)
        try:
            if out is None:
                await hook.delete_message(message_id, thread=thread)
            else:
                await hook.edit_message(
                    message_id, content=out.content, thread=thread, allowed_mentions=NO_MENTIONS
                )
        except discord.NotFound as error:
            if error.code == UNKNOWN_WEBHOOK:
                self._webhooks.pop(parent.id, None)
                raise
            if out is not None:
                raise

    async def start_thread(self, sent: Sent, out: Outgoing) -> int:
        """The thread of a section's message (or the comments' header), started once."""
        channel = await self.channel(sent.container_id)
        if not isinstance(channel, discord.TextChannel):
            raise PostingHalted(refusals.THREADS_IN_TEXT_ONLY)
        try:
            thread = await channel.get_partial_message(sent.message_id).create_thread(
                name=out.thread_name or "Discussion", auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.HTTPException as error:
            if error.code == THREAD_ALREADY_CREATED:
                return sent.message_id  # started before a restart: a message's thread has its id
            raise
        return thread.id

    async def notify(self, channel_id: int, text: str) -> None:
        """Send a notice (a posting paused) in a text channel or thread, pinging nobody."""
        channel = await self.channel(channel_id)
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise PostingHalted(refusals.not_a_text_channel(channel_id))
        await channel.send(text, allowed_mentions=NO_MENTIONS)

    async def comments_thread(self, items: Sequence[ItemRow]) -> discord.Thread:
        """The thread the comments' header started, where every original comment goes."""
        header = next((row for row in items if row.kind == "comments"), None)
        if header is None or header.thread_id is None:
            raise PostingHalted(refusals.COMMENTS_THREAD_MISSING)
        thread = await self.channel(header.thread_id)
        if not isinstance(thread, discord.Thread):
            raise PostingHalted(refusals.COMMENTS_THREAD_NOT_A_THREAD)
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
        me = self.client.user
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
                raise PostingHalted(refusals.REFUSALS[error.code]) from None
            if isinstance(error, discord.Forbidden):
                raise PostingHalted(refusals.need_manage_webhooks(parent.id)) from None
            raise
        return hook

    @staticmethod
    def _post_tags(forum: discord.ForumChannel, posting: Posting, article: Article) -> list[discord.ForumTag]:
        """The tag chosen when the posting was started; if an admin has since deleted it, the
        one matching the article (a forum that requires a tag and has none left refuses the post
        with code 40067, which pauses the posting with that reason)."""
        chosen = forum.get_tag(posting.tag_id) if posting.tag_id is not None else None
        if chosen is not None:
            return [chosen]
        return matching_tags(forum, article)[:1]

    async def find_sent(
        self, posting: Posting, items: Sequence[ItemRow], item: ItemRow, out: Outgoing
    ) -> Sent | None:
        """The message this item already became before a restart, if any."""
        me = self.client.user
        assert me is not None
        since = discord.Object(
            discord.utils.time_snowflake(dt.datetime.fromisoformat(posting.created_at)) - 1
        )
        earlier = [row for row in items if row.seq < item.seq and row.message_id is not None]
        if out.username is not None:
            thread = await self.comments_thread(items)
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
        channel = await self.channel(posting.channel_id)
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
