"""Recording every message of an article's discussion: section threads, the comments thread,
forum posts, and replies to section messages in the article's channel."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.client import ReadalongBot
from bot.store.messages import StoredMessage
from bot.store.postings import Placement

log = logging.getLogger(__name__)


def stored_message(message: discord.Message, placement: Placement) -> StoredMessage:
    channel = message.channel
    parent_id = channel.parent_id if isinstance(channel, discord.Thread) else None
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
        author_name=author.display_name,
        author_bot=author.bot,
        webhook_id=message.webhook_id,
        content=message.content,
        created_at=message.created_at.isoformat(timespec="seconds"),
        reply_to=reply_to,
        attachments=tuple((a.filename, a.url, a.size) for a in message.attachments),
        embeds="\n\n".join(_embed_text(e) for e in message.embeds),
        edited_at=message.edited_at.isoformat(timespec="seconds") if message.edited_at else None,
    )


def _embed_text(embed: discord.Embed) -> str:
    parts = [embed.title or "", embed.description or ""]
    parts += [f"{field.name}: {field.value}" for field in embed.fields]
    return "\n".join(part for part in parts if part)


class Discussion(commands.Cog):
    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    async def placement_of(self, message: discord.Message) -> Placement | None:
        """Where in an article a message belongs, or None if it is not part of a discussion."""
        postings = self.bot.store.postings
        if isinstance(message.channel, discord.Thread):
            return await postings.placement(message.channel.id)
        if message.reference is not None and message.reference.message_id is not None:
            placed = await postings.placement(message.reference.message_id)
            if placed is not None:
                return placed
        return await postings.placement(message.channel.id)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None:
            return
        placement = await self.placement_of(message)
        if placement is not None:
            await self.bot.store.messages.record(stored_message(message, placement))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        content = payload.data.get("content")
        if isinstance(content, str):
            edited = payload.data.get("edited_timestamp") or discord.utils.utcnow().isoformat(
                timespec="seconds"
            )
            await self.bot.store.messages.record_edit(payload.message_id, content, str(edited))

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.bot.store.messages.mark_deleted(
            payload.message_id, discord.utils.utcnow().isoformat(timespec="seconds")
        )


async def setup(bot: ReadalongBot) -> None:
    await bot.add_cog(Discussion(bot))
