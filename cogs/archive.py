"""``/archive …``: review an article's discussions after the fact, even once Discord has archived
the threads: the threads, a thread's transcript, and an export file."""

from __future__ import annotations

import asyncio
import io
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot, defer_reply
from bot.discord.interactions import (
    Page,
    article_autocomplete,
    page_of,
    posting_autocomplete,
    posting_option,
    send_paged,
)
from bot.discord.names import guild_names, names_for
from bot.discord.visibility import viewer_for
from bot.discordfmt import archive as archive_fmt
from bot.discordfmt.limits import CHOICE_NAME_LIMIT, CHOICES_LIMIT
from bot.discordfmt.transcripts import transcript_pages
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import archive as archive_service
from bot.services import export as export_service

log = logging.getLogger(__name__)

AUTOCOMPLETE_BUDGET = 2.0
"""Seconds an autocomplete may spend working out the viewer: it cannot be deferred, and Discord
refuses an answer later than 3 s (10062), so past this the member gets no suggestions instead."""


class Archive(commands.Cog):
    """``/archive threads|show|search|export``: the archive shown to a member, limited to what
    they may view on Discord now."""

    archive = app_commands.Group(
        name="archive", description="Review and export the discussions of posted articles.", guild_only=True
    )

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    async def _viewer(self, interaction: discord.Interaction[ReadalongBot]) -> Viewer:
        """Who asks, and what they may read now (see :mod:`bot.discord.visibility`): worked out
        for the command and again for every page turned."""
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            raise ReadalongError("This command works in a server only.")
        return await viewer_for(self.bot, self.bot.store, interaction.user)

    @archive.command(name="threads")
    @app_commands.describe(
        article="The article (default: the one posted where you use this, else the latest posted here)",
        posting="Only this posting of it (one channel or forum)",
    )
    @app_commands.autocomplete(article=posting_autocomplete, posting=posting_autocomplete)
    async def threads(
        self,
        interaction: discord.Interaction[ReadalongBot],
        article: str | None = None,
        posting: str | None = None,
    ) -> None:
        """An article's threads by posting: messages, participants, last activity, archived or not."""
        await defer_reply(interaction, ephemeral=True)  # the viewer may take a lookup per private thread
        posting_id = posting_option(posting)

        async def page(now: discord.Interaction[ReadalongBot], index: int) -> Page:
            listing = await archive_service.threads(
                self.bot.store,
                await self._viewer(now),
                article,
                channel_id=now.channel_id,
                posting_id=posting_id,
            )
            guild = now.guild
            active = {t.id for t in guild.threads if not t.archived} if guild else set()
            return page_of(archive_fmt.threads_pages(listing, active, guild.id if guild else 0), index)

        await send_paged(interaction, page, ephemeral=True)

    async def thread_autocomplete(
        self, interaction: discord.Interaction[ReadalongBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Threads the member may view, matching what they typed; none rather than a late answer."""
        if interaction.guild is None or not isinstance(interaction.user, discord.Member):
            return []
        try:
            viewer = await asyncio.wait_for(
                viewer_for(self.bot, self.bot.store, interaction.user), AUTOCOMPLETE_BUDGET
            )
        except TimeoutError:
            log.info("no thread suggestions: working out the viewer took over %.0f s", AUTOCOMPLETE_BUDGET)
            return []
        choices = await archive_service.thread_choices(self.bot.store, viewer, current, limit=CHOICES_LIMIT)
        return [
            app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=str(thread_id))
            for thread_id, label in choices
        ]

    @archive.command(name="show")
    @app_commands.describe(thread="A section's thread or the comments thread (start typing the section)")
    @app_commands.autocomplete(thread=thread_autocomplete)
    async def show(self, interaction: discord.Interaction[ReadalongBot], thread: str) -> None:
        """A thread's discussion as a readable transcript, archived threads included."""
        raw = thread.strip().removeprefix("<#").removesuffix(">")
        if not raw.isdigit():
            raise ReadalongError(f"{thread!r} is not a thread: pick one from the list.")
        await defer_reply(interaction, ephemeral=True)
        thread_id = int(raw)

        async def page(now: discord.Interaction[ReadalongBot], index: int) -> Page:
            viewer = await self._viewer(now)
            messages = await archive_service.transcript(self.bot.store, viewer, thread_id)
            known = await names_for(now.guild, viewer, (m.content for m in messages))
            names = await archive_service.names_in(self.bot.store, viewer, messages, known=known)
            own = frozenset(i for i in (self.bot.application_id, self.bot.user and self.bot.user.id) if i)
            return page_of(transcript_pages(thread_id, messages, names, own), index)

        await send_paged(interaction, page, ephemeral=True)

    @archive.command(name="search")
    @app_commands.describe(
        query="Words to look for in readers' messages",
        article="Only this article's discussion (default: all)",
        author="Only messages by this member",
    )
    @app_commands.autocomplete(article=article_autocomplete)
    async def search(
        self,
        interaction: discord.Interaction[ReadalongBot],
        query: app_commands.Range[str, 1, 200],
        article: str | None = None,
        author: discord.Member | None = None,
    ) -> None:
        """Full-text search of what readers wrote, with links, in channels you can see."""
        await defer_reply(interaction, ephemeral=True)
        author_id = author.id if author else None

        async def page(now: discord.Interaction[ReadalongBot], index: int) -> Page:
            viewer = await self._viewer(now)
            assert viewer.guild_id is not None
            hits = await archive_service.search(
                self.bot.store,
                query,
                viewer=viewer,
                article_id=article,
                author_id=author_id,
                limit=100,
                empty_query="Type some words to search for.",
            )
            if not hits:
                raise ReadalongError(f"Nothing found for {query!r}.")
            return page_of(archive_fmt.search_pages(query, hits, viewer.guild_id), index)

        await send_paged(interaction, page, ephemeral=True)

    @archive.command(name="export")
    @app_commands.describe(
        article="The article (default: the one posted where you use this)",
        format="markdown (or md), html (one page) or json (DiscordChatExporter's files, zipped)",
        posting="Which posting of it (default: the one where you use this, else every one)",
        every_posting="All the postings of the article you can see, not only this one (default: no)",
    )
    @app_commands.autocomplete(article=posting_autocomplete, posting=posting_autocomplete)
    @app_commands.choices(format=[app_commands.Choice(name=n, value=n) for n in export_service.FORMAT_NAMES])
    async def export(
        self,
        interaction: discord.Interaction[ReadalongBot],
        article: str | None = None,
        format: str = "markdown",
        posting: str | None = None,
        every_posting: bool = False,
    ) -> None:
        """An article with its discussion, as a file: the posting where you use it, or all of them."""
        chosen = export_service.export_format(format)
        posting_id = posting_option(posting)
        await defer_reply(interaction, ephemeral=True)  # a big discussion takes a while to render
        viewer = await self._viewer(interaction)
        picked = await export_service.selection(
            self.bot.store,
            viewer,
            interaction.channel_id,
            article,
            posting_id=posting_id,
            every_posting=every_posting,
        )
        guild = interaction.guild
        known = guild_names(guild, viewer)  # the archive names those the cache does not hold
        exported = await export_service.export_article(
            self.bot.store,
            viewer,
            picked.article,
            chosen,
            exported_at=discord.utils.utcnow().isoformat(),
            guild_name=guild.name if guild else "",
            channel_names=known.channels,
            known=known,
            posting_ids=picked.posting_ids,
        )
        stored = exported.article
        filename, data = exported.attachment()
        # The limit Discord sends with the interaction (10 MiB by default for a bot, more in
        # boosted servers); over it, one line saying how to get the export instead.
        limit = interaction.filesize_limit
        if len(data) > limit:
            raise ReadalongError(
                archive_fmt.export_too_large(len(data), limit, stored, guild.id if guild else 0, chosen)
            )
        await interaction.followup.send(
            archive_fmt.exported_message(stored, exported.summary),
            file=discord.File(io.BytesIO(data), filename=filename),
            ephemeral=True,
        )


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Archive(bot))
