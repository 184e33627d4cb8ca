"""Recording every message of an article's discussion (section threads, the comments thread,
forum posts, replies in the article's channel), live and, after downtime, by backfill."""

from __future__ import annotations

import dataclasses
import logging

import aiohttp
import discord
from discord.ext import commands

from bot.archive.backfill import Backfill
from bot.archive.recorder import BatchRecorder
from bot.archive.sync import SyncCounts
from bot.discord.client import ReadalongBot
from bot.domain.message import StoredMessage
from bot.domain.posting import Placement
from bot.services.keeping import FileKeeper, FileUnavailable, Offered
from bot.services.recording import Discussions, redact_answers
from bot.store import DatabaseUnavailableError

log = logging.getLogger(__name__)
THREAD_ARCHIVED = 50083


def stored_message(
    message: discord.Message,
    placement: Placement,
    bot_id: int | None = None,
    *,
    author_name: str | None = None,
) -> StoredMessage:
    """The message as archived. ``bot_id``: the bot's user, so a message that mentions it is
    marked as addressed to it (a question to the bot is never quoted as a reader's answer).
    ``author_name``: the original commenter's name, for a comment posted under a webhook name."""
    channel = message.channel
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
    private = isinstance(channel, discord.Thread) and channel.type is discord.ChannelType.private_thread
    to_bot = bot_id is not None and (
        any(user.id == bot_id for user in message.mentions)
        or f"<@{bot_id}>" in message.content
        or f"<@!{bot_id}>" in message.content
    )
    reply_to = message.reference.message_id if message.reference is not None else None
    author = message.author
    return StoredMessage(
        id=message.id,
        guild_id=message.guild.id if message.guild else None,
        channel_id=channel.id,
        parent_id=parent_id,
        article_id=placement.article_id,
        section=placement.section,
        author_id=author.id,
        author_name=author.display_name if author_name is None else author_name,
        author_bot=author.bot,
        webhook_id=message.webhook_id,
        content=message.content,
        created_at=message.created_at.isoformat(timespec="seconds"),
        reply_to=reply_to,
        attachments=tuple((a.filename, a.url, a.size) for a in message.attachments),
        embeds="\n\n".join(_embed_text(e) for e in message.embeds),
        edited_at=message.edited_at.isoformat(timespec="seconds") if message.edited_at else None,
        to_bot=to_bot,
        thread_private=private,
    )


def offered_files(message: discord.Message) -> list[Offered]:
    """A reader's attachments as :class:`FileKeeper` takes them: name, size, type, and how to
    read the bytes (from Discord's CDN, through discord.py, while the link is valid)."""

    def reader(attachment: discord.Attachment) -> Offered:
        async def read() -> bytes:
            try:
                return await attachment.read()
            except discord.HTTPException as error:
                raise FileUnavailable(f"Discord did not serve it ({error.status})") from None
            except (TimeoutError, aiohttp.ClientError, OSError) as error:
                raise FileUnavailable(f"could not fetch it ({type(error).__name__})") from None

        return Offered(attachment.filename, attachment.size, attachment.content_type, read)

    return [reader(a) for a in message.attachments]


def _embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{field.name}: {field.value}" for field in embed.fields]
    return "\n".join(part for part in parts if part)


class Discussion(commands.Cog):
    """Records every message of an article's discussion as it happens (in batches, one writer) and backfills
    from Discord what was said while the bot was away."""

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot
        self.backfiller = Backfill(
            bot.store,
            guilds=lambda: [guild.id for guild in bot.guilds],
            history=self._history,
            redact=lambda message_id, now_reads: self.redact_answers(message_id, now_reads=now_reads),
        )
        self.recorder = BatchRecorder(bot.store, on_overflow=self.request_backfill)
        self.discussions = Discussions(bot.store)
        self.keeper = FileKeeper(bot.store)
        self._stop_listening = bot.article_events.on_deleted(self.discussions.forget)

    async def cog_unload(self) -> None:
        """Stop the backfill and write what the recorder still holds (for up to 10 s; the rest is left to the
        next start's backfill)."""
        self._stop_listening()
        await self.backfiller.close()
        await self.recorder.close()

    def _bot_id(self) -> int | None:
        return self.bot.user.id if self.bot.user is not None else None

    async def _archived(
        self, message: discord.Message, placement: Placement, *, keep_files: bool = True
    ) -> StoredMessage:
        """The message as archived; an original comment under its commenter's own name; a
        reader's attachments with their bytes (within the server's caps), which outlive Discord's
        expiring links."""
        original = None
        if message.webhook_id is not None:
            original = await self.discussions.commenter(placement, message.author.name)
        archived = stored_message(message, placement, self._bot_id(), author_name=original)
        if keep_files and message.attachments and not message.author.bot:
            guild_id = message.guild.id if message.guild else None
            files = await self.keeper.keep(guild_id, offered_files(message))
            archived = dataclasses.replace(archived, files=files)
        return archived

    async def placement_of(self, message: discord.Message) -> Placement | None:
        """Where in an article a message belongs, or None if it is not part of a discussion."""
        channel = message.channel
        reference = message.reference
        return await self.discussions.placement(
            channel.id,
            thread_parent_id=channel.parent_id if isinstance(channel, discord.Thread) else None,
            replied_to=reference.message_id if reference is not None else None,
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Queue a server message for the archive when it is part of an article's discussion; others (and DMs)
        are not recorded."""
        if message.guild is None:
            return
        while True:
            try:
                placement = await self.placement_of(message)
                archived = await self._archived(message, placement) if placement is not None else None
                break
            except DatabaseUnavailableError:
                # Where it belongs is in the database: wait for it (the store logs the outage
                # once), so a message said during an outage is archived, not lost with a traceback.
                await self.bot.store.availability.wait()
        if archived is not None:
            await self.recorder.add(archived)

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Record the new text of an edited message (raw: the message may be too old for discord.py's cache);
        edits without content (embeds unfurling) change nothing."""
        content = payload.data.get("content")
        if isinstance(content, str):
            edited = payload.data.get("edited_timestamp") or discord.utils.utcnow().isoformat(
                timespec="seconds"
            )
            await self.recorder.edit(payload.message_id, content, str(edited))  # queued after the message
            await self.redact_answers(payload.message_id, now_reads=content)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """Mark the message deleted in the archive (its words are purged only where the server asked for
        that)."""
        await self.recorder.delete(payload.message_id, discord.utils.utcnow().isoformat(timespec="seconds"))
        await self.redact_answers(payload.message_id)

    async def redact_answers(self, message_id: int, *, now_reads: str | None = None) -> None:
        """The bot's posted answers that quote this message, edited without the quote (deleted,
        or its words edited away). Through Edit Message, as the message's author: a public
        interaction response is the bot's own message, editable after its token's 15 minutes."""
        for edit in await redact_answers(self.bot.store, message_id, now_reads=now_reads):
            try:
                await self._edit_answer(edit.channel_id, edit.message_id, edit.content)
            except discord.HTTPException as error:
                # Gone (deleted by a moderator), or in a thread locked since: the archive and the
                # log no longer hold the quote either way.
                log.warning(
                    "could not edit answer %d in %d without a deleted quote: %s",
                    edit.message_id,
                    edit.channel_id,
                    error,
                )

    async def _edit_answer(self, channel_id: int, message_id: int, content: str) -> None:
        """Edit the bot's message; in a thread archived since (Discord refuses edits there, 50083),
        unarchive it, edit, and archive it again."""
        answer = self.bot.get_partial_messageable(channel_id).get_partial_message(message_id)
        try:
            await answer.edit(content=content, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as error:
            if error.code != THREAD_ARCHIVED:
                raise
            thread = await self.bot.fetch_channel(channel_id)
            if not isinstance(thread, discord.Thread):
                raise
            await thread.edit(archived=False)
            try:
                await answer.edit(content=content, allowed_mentions=discord.AllowedMentions.none())
            finally:
                await thread.edit(archived=True)

    # -- backfill ----------------------------------------------------------------------------

    @commands.Cog.listener()
    async def on_shard_ready(self, shard_id: int) -> None:
        """Each shard's READY, at start and whenever Discord made it identify afresh: what its
        servers said meanwhile will never be sent, so it is fetched. ``on_ready`` comes once,
        after every shard, and not when one shard of several identifies again."""
        self.request_backfill()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Backfill after a resumed session too: a backfill only adds what is missing, so it is safe whenever
        events may have been lost."""
        self.request_backfill()

    def request_backfill(self) -> None:
        """Start a backfill, or run one more after the current one (see :mod:`bot.archive.backfill`)."""
        self.backfiller.request()

    async def wait_backfilled(self) -> SyncCounts:
        """The result of the backfill under way (for tests and the sandbox)."""
        return await self.backfiller.wait()

    async def backfill(self) -> SyncCounts:
        """Bring the archive level with every tracked channel and thread, archived ones included."""
        return await self.backfiller.run()

    async def _history(self, channel_id: int, after: int) -> list[StoredMessage] | None:
        """The channel's or thread's messages after ``after`` that belong to a discussion, as
        archived (:data:`bot.archive.backfill.History`); None when it cannot be read."""
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)  # archived threads are not cached
            except (discord.NotFound, discord.Forbidden):
                return None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            return None  # a forum has no messages of its own, only posts (threads)
        rows = []
        start = discord.Object(after) if after else None
        # Files are fetched for messages the archive lacks only: a backfill reads whole threads.
        known = await self.bot.store.messages.ids_in_channel(channel_id)
        try:
            async for message in channel.history(limit=None, after=start, oldest_first=True):
                placement = await self.placement_of(message)
                if placement is not None:
                    rows.append(await self._archived(message, placement, keep_files=message.id not in known))
        except (discord.NotFound, discord.Forbidden) as error:
            log.warning("backfill skips channel %d: %s", channel_id, error)  # retrying cannot help
            return None
        return rows


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Discussion(bot))
