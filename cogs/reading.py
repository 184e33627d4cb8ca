"""``/article …``: import an article, post it into a channel, follow, steer, cancel or delete it
(admins); ``/articles``: the server's articles, for every member."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.articles.parse import MAX_ARTICLE_BYTES
from bot.discord.client import ReadalongBot
from bot.discord.confirm import Confirm
from bot.discord.interactions import (
    article_autocomplete,
    forum_tag_autocomplete,
    posting_autocomplete,
    posting_option,
)
from bot.discord.posting.checks import post_target
from bot.discordfmt import articles as articles_fmt
from bot.discordfmt import reminders as reminders_fmt
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services import posting as posting_service
from bot.services import settings as settings_service
from bot.services.articles import import_article, parse_upload
from bot.services.webfetch import Fetcher

log = logging.getLogger(__name__)

_ADMIN = discord.Permissions(manage_guild=True)
CONFIRM_SECONDS = 60.0
"""How long ``/article delete``'s Confirm button stays pressable."""


class Reading(commands.Cog):
    """``/article …`` for admins (import, post, then follow, steer, cancel or delete a posting) and
    ``/articles`` for everyone. The bot's publisher posts each item when it is due; it hears of
    every change from the posting service, so nothing here needs to know it is there."""

    article = app_commands.Group(
        name="article",
        description="Import articles and post them for the server to read together (admins).",
        guild_only=True,
        default_permissions=_ADMIN,
    )

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot
        self.confirm_seconds = CONFIRM_SECONDS
        self.fetcher = Fetcher(allow_private=bot.settings.allow_private_urls)
        """Fetches ``/article import url:`` pages (tests give one routing names to a local server)."""
        if bot.settings.allow_private_urls:
            log.warning(
                "READALONG_ALLOW_PRIVATE_URLS is on: /article import url: may fetch private addresses"
            )

    @article.command(name="import")
    @app_commands.describe(
        file="The article: a blog-post text scrape, Markdown (.md) or plain text, UTF-8",
        url="Or the article's web address (http/https; a web.archive.org capture too), with its comments",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def import_(
        self,
        interaction: discord.Interaction[ReadalongBot],
        file: discord.Attachment | None = None,
        url: app_commands.Range[str, 1, 2048] | None = None,
    ) -> None:
        """Import an article file, or a page by its address, so it can be posted and asked about."""
        if (file is None) == (url is None):
            raise ReadalongError("Give either file: (an article file) or url: (its web address), not both.")
        if file is not None and file.size > MAX_ARTICLE_BYTES:
            raise ReadalongError(
                f"{file.filename}: is too large (the limit is {MAX_ARTICLE_BYTES // 1_000_000} MB)"
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = self.bot.settings.section_target_chars
        if url is not None:

            async def progress(text: str) -> None:
                with contextlib.suppress(discord.HTTPException):  # progress is a courtesy, not the import
                    await interaction.edit_original_response(content=text)

            imported = await articles_service.import_from_web(
                self.bot.store, self.fetcher, url, target, progress=progress, guild_id=_guild_id(interaction)
            )
        else:
            assert file is not None
            parsed = await parse_upload(await file.read(), file.filename, target)
            imported = await import_article(self.bot.store, parsed, guild_id=_guild_id(interaction))
        await interaction.followup.send(
            articles_fmt.imported_message(
                imported.article, created=imported.created, channel=_postable_channel(interaction)
            ),
            ephemeral=True,
        )

    @article.command(name="post")
    @app_commands.describe(
        article="The article to post (start typing its title or id)",
        channel="A text channel (a thread per section) or a forum (a post per section)",
        pace="Minutes between sections; 0 posts them all now",
        comments="Also bring the article's original comments along (default: yes)",
        tag="Forums: the tag each post carries (needed where the forum requires one)",
        schedule="Release sections on a schedule: every 2 hours, daily at 09:00, weekly on monday at 18:30",
        timezone="The IANA time zone the schedule's hours are in (default UTC), e.g. Europe/Paris",
    )
    @app_commands.autocomplete(article=article_autocomplete, tag=forum_tag_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def post(  # noqa: PLR0917 (a slash command's options are its parameters)
        self,
        interaction: discord.Interaction[ReadalongBot],
        article: str,
        channel: discord.TextChannel | discord.ForumChannel,
        pace: app_commands.Range[int, 0, 10080] = 0,
        comments: bool = True,
        tag: str | None = None,
        schedule: app_commands.Range[str, 1, 100] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        """Post an article in sections, each with its own discussion thread."""
        stored = await articles_service.article(self.bot.store, article, _guild_id(interaction))
        resolved = interaction.guild.get_channel(channel.id) if interaction.guild else None
        if not isinstance(resolved, discord.TextChannel | discord.ForumChannel):
            raise ReadalongError(f"I cannot see {channel.mention}; check that I have access to it.")
        posting = await posting_service.post(
            self.bot.store,
            stored,
            post_target(resolved, stored, tag=tag, with_comments=comments),
            pace_minutes=pace,
            with_comments=comments,
            admin_id=interaction.user.id,
            events=self.bot.posting_events,
            notify_channel_id=interaction.channel_id,
            schedule=schedule,
            timezone=timezone,
            clock=self.bot.clock,
        )
        await interaction.response.send_message(
            articles_fmt.posting_message(stored, posting, resolved.mention), ephemeral=True
        )

    @article.command(name="status")
    @app_commands.describe(
        article="The article whose postings to show (default: the one posted where you use this, else the latest)",
        posting="Only this posting of it (one channel or forum)",
    )
    @app_commands.autocomplete(article=posting_autocomplete, posting=posting_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def status(
        self,
        interaction: discord.Interaction[ReadalongBot],
        article: str | None = None,
        posting: str | None = None,
    ) -> None:
        """Sections posted and pending, the next one due, with links."""
        posting_id = posting_option(posting)
        stored, statuses = await posting_service.status(
            self.bot.store,
            _guild_id(interaction),
            article if posting_id is None else f"{article or ''}#{posting_id}",
            channel_id=interaction.channel_id,
            channel_name=_postable_channel(interaction),
        )
        trouble = {
            s.posting.id: found
            for s in statuses
            if s.posting.state == "active" and (found := self.bot.publisher.trouble(s.posting.id))
        }
        await interaction.response.send_message(
            articles_fmt.status_message(stored, statuses, trouble), ephemeral=True
        )

    @article.command(name="pause")
    @app_commands.describe(
        article="The posting to pause (default: the one where you use this, else the latest)"
    )
    @app_commands.autocomplete(article=posting_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def pause(self, interaction: discord.Interaction[ReadalongBot], article: str | None = None) -> None:
        """Stop posting further sections until resumed."""
        posting = await posting_service.pause(
            self.bot.store,
            _guild_id(interaction),
            article,
            events=self.bot.posting_events,
            channel_id=interaction.channel_id,
        )
        await interaction.response.send_message(articles_fmt.paused_message(posting), ephemeral=True)

    @article.command(name="resume")
    @app_commands.describe(
        article="The posting to resume (default: the paused one where you use this, else the latest)"
    )
    @app_commands.autocomplete(article=posting_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def resume(
        self, interaction: discord.Interaction[ReadalongBot], article: str | None = None
    ) -> None:
        """Resume a paused posting at its pace: the next section one interval from now."""
        posting = await posting_service.resume(
            self.bot.store,
            _guild_id(interaction),
            article,
            events=self.bot.posting_events,
            channel_id=interaction.channel_id,
            clock=self.bot.clock,
        )
        await interaction.response.send_message(articles_fmt.resumed_message(posting), ephemeral=True)

    @article.command(name="cancel")
    @app_commands.describe(
        article="The posting to stop (default: the one going where you use this, else the latest)"
    )
    @app_commands.autocomplete(article=posting_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def cancel(
        self, interaction: discord.Interaction[ReadalongBot], article: str | None = None
    ) -> None:
        """Stop a posting for good: nothing more of it is sent; what was posted stays."""
        # A section being sent right now is finished and recorded, not cut off: the service
        # waits for that within 2 s (Discord wants a first response within 3 s).
        cancelled = await posting_service.cancel(
            self.bot.store,
            _guild_id(interaction),
            article,
            events=self.bot.posting_events,
            within=2.0,
            channel_id=interaction.channel_id,
        )
        await interaction.response.send_message(
            articles_fmt.cancelled_message(cancelled.posting, in_flight=cancelled.in_flight), ephemeral=True
        )

    @article.command(name="close")
    @app_commands.describe(
        article="The finished posting to close (default: the one where you use this, else the latest)"
    )
    @app_commands.autocomplete(article=posting_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def close(self, interaction: discord.Interaction[ReadalongBot], article: str | None = None) -> None:
        """Lock and archive a finished read-along's threads; the archive keeps everything."""
        posting, threads = await posting_service.close(
            self.bot.store, _guild_id(interaction), article, channel_id=interaction.channel_id
        )
        channel = interaction.guild.get_channel(posting.channel_id) if interaction.guild else None
        if channel is None or not channel.permissions_for(channel.guild.me).manage_threads:
            # Optional, like Manage Roles: asked for only by this command.
            raise ReadalongError(
                f"I need the Manage Threads permission in <#{posting.channel_id}> to lock its threads; nothing was changed."
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = 0
        for thread_id in threads:
            thread = await self.bot.publisher.sender.channel(thread_id)
            if isinstance(thread, discord.Thread) and not thread.locked:
                if thread.archived:  # Discord edits an archived thread only as it is unarchived
                    await thread.edit(archived=False)
                await thread.edit(locked=True, archived=True)
                closed += 1
        await interaction.followup.send(articles_fmt.closed_message(posting, closed), ephemeral=True)

    @article.command(name="delete")
    @app_commands.describe(
        article="The article to delete in this server",
        archive="Also delete its postings here and their archive (needed once it has been posted)",
    )
    @app_commands.autocomplete(article=article_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def delete(
        self, interaction: discord.Interaction[ReadalongBot], article: str, archive: bool = False
    ) -> None:
        """Delete an article in this server, after you confirm; a posting still going is cancelled."""
        guild_id = _guild_id(interaction)
        store = self.bot.store
        plan = await articles_service.plan_deletion(store, guild_id, article, archive=archive)

        async def delete_it() -> str:
            # The button is answered already (Confirm defers): a message being sent, even one
            # waiting out a rate limit, is given 10 s to finish and be recorded.
            removed = await posting_service.delete(
                store,
                guild_id,
                plan.article.id,
                archive=archive,
                events=self.bot.posting_events,
                article_events=self.bot.article_events,
                within=10.0,
            )
            return articles_fmt.deleted_message(
                plan.article.slug,
                postings=removed.postings,
                messages=removed.messages,
                questions=removed.questions,
            )

        view = Confirm(
            interaction.user.id,
            action=delete_it,
            dropped=lambda timed_out: articles_fmt.delete_dropped_message(
                plan.article.slug, timed_out=timed_out
            ),
            working=f"Deleting `{plan.article.slug}`…",
            timeout=self.confirm_seconds,
        )
        prompt = articles_fmt.delete_prompt(
            plan.article,
            list(plan.postings),
            archive=archive,
            shared=plan.shared,
            expires=discord.utils.utcnow() + dt.timedelta(seconds=self.confirm_seconds),
        )
        await interaction.response.send_message(prompt, view=view, ephemeral=True)
        view.message = await interaction.original_response()

    @article.command(name="settings")
    @app_commands.describe(
        purge_deleted="When a member deletes a message, also forget its words in the archive "
        "(default: keep them, marked deleted)",
        file_cap_mib="Largest reader's file the archive keeps, in MiB (default 8; 0 keeps none)",
        server_cap_mib="Most this server's archive keeps in files, in MiB (default 500; 0 keeps none)",
        reminder_role="The role members give themselves with the intro's Remind me button; mentioned at each release",
        reminders="Turn release reminders (the role's mention and the button) on or off (default: on)",
    )
    @app_commands.checks.has_permissions(manage_guild=True)
    async def settings(  # noqa: PLR0917 (a slash command's options are its parameters)
        self,
        interaction: discord.Interaction[ReadalongBot],
        purge_deleted: bool | None = None,
        file_cap_mib: app_commands.Range[int, 0, 1024] | None = None,
        server_cap_mib: app_commands.Range[int, 0, 1_000_000] | None = None,
        reminder_role: discord.Role | None = None,
        reminders: bool | None = None,
    ) -> None:
        """This server's archive and reminder settings: show them, or change one."""
        guild_id = _guild_id(interaction)
        setting = await settings_service.purge_deleted(self.bot.store, guild_id, purge_deleted)
        files = await settings_service.file_caps(
            self.bot.store, guild_id, file_mib=file_cap_mib, server_mib=server_cap_mib
        )
        message = articles_fmt.purge_setting_message(
            setting.purge_deleted, changed=setting.changed, purged_now=setting.purged_now
        )
        message += "\n" + articles_fmt.file_caps_message(files.caps, changed=files.changed, used=files.used)
        remind = await settings_service.reminders(
            self.bot.store, guild_id, role_id=reminder_role.id if reminder_role else None, on=reminders
        )
        message += "\n" + reminders_fmt.settings_line(remind.role_id, remind.on)
        await interaction.response.send_message(message, ephemeral=True)

    @article.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """The imported articles, where each is posted here, and why a posting is paused."""
        listings = await articles_service.listing(self.bot.store, _guild_id(interaction))
        if not listings:
            raise ReadalongError("No articles yet: import one with /article import.")
        await interaction.response.send_message(articles_fmt.listing_message(listings), ephemeral=True)

    @app_commands.command(name="articles")
    @app_commands.guild_only()
    async def articles(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """The articles of this server, and where each is posted (for every member)."""
        guild = interaction.guild
        member = interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise ReadalongError("This command works in a server only.")
        # Discord applies default_member_permissions per top-level command only, so the members'
        # list cannot be a subcommand of the admins' /article: it is a command of its own. A
        # member is shown postings only in channels they can see.
        visible = {c.id for c in guild.channels if c.permissions_for(member).view_channel}
        listings = await articles_service.listing(self.bot.store, guild.id, channels=visible)
        if not listings:
            raise ReadalongError("No articles here yet: an admin imports one with /article import.")
        await interaction.response.send_message(
            articles_fmt.listing_message(listings, reasons=False), ephemeral=True
        )


def _postable_channel(interaction: discord.Interaction[ReadalongBot]) -> str:
    """The channel an article can be posted in, named as ``/article post channel:`` takes it:
    the one the command was used in (a thread's parent), else the server's first text channel."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        channel = channel.parent
    if isinstance(channel, discord.TextChannel | discord.ForumChannel):
        return channel.name
    guild = interaction.guild
    return guild.text_channels[0].name if guild is not None and guild.text_channels else "general"


def _guild_id(interaction: discord.Interaction[ReadalongBot]) -> int:
    if interaction.guild_id is None:
        raise ReadalongError("This command works in a server only.")
    return interaction.guild_id


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Reading(bot))
