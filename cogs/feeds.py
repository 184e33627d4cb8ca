"""``/feed …``: follow a blog so each new post becomes a read-along by itself (admins). The work
is :mod:`bot.services.feeds`'; this turns options into its arguments and its answers into replies."""

from __future__ import annotations

import datetime as dt

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot
from bot.discord.interactions import forum_tag_autocomplete
from bot.discord.posting.checks import feed_target
from bot.discordfmt import feeds as feeds_fmt
from bot.errors import ReadalongError
from bot.services import feeds as feeds_service
from bot.services.feeds import PollOptions
from bot.services.webfetch import Fetcher

_ADMIN = discord.Permissions(manage_guild=True)


class Feeds(commands.Cog):
    """``/feed follow|list|unfollow|pause|resume``. The bot's feed poller polls what is followed;
    a follow or resume wakes it, so a backfill goes out at once."""

    feed = app_commands.Group(
        name="feed",
        description="Follow blogs: each new post is posted as a read-along (admins).",
        guild_only=True,
        default_permissions=_ADMIN,
    )

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    def _options(self) -> PollOptions:
        poller = self.bot.feed_poller
        if poller is not None:
            return poller.options
        return PollOptions(
            Fetcher(allow_private=self.bot.settings.allow_private_urls),
            self.bot.posting_events,
            self.bot.settings.section_target_chars,
            every=dt.timedelta(minutes=self.bot.settings.feed_poll_minutes),
        )

    def _wake(self) -> None:
        if self.bot.feed_poller is not None:
            self.bot.feed_poller.wake()

    @feed.command(name="follow")
    @app_commands.describe(
        url="The feed's address (RSS or Atom), or the blog's page that names its feed",
        channel="A text channel (a thread per section) or a forum (a post per section)",
        pace="Minutes between sections of each new post; 0 posts them all at once",
        tag="Forums: the tag each post carries (needed where the forum requires one)",
        backfill="How many of the newest posts already in the feed to post now (default: none)",
    )
    @app_commands.autocomplete(tag=forum_tag_autocomplete)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def follow(  # noqa: PLR0917 (a slash command's options are its parameters)
        self,
        interaction: discord.Interaction[ReadalongBot],
        url: app_commands.Range[str, 1, 2048],
        channel: discord.TextChannel | discord.ForumChannel,
        pace: app_commands.Range[int, 0, 10080] = 0,
        tag: str | None = None,
        backfill: app_commands.Range[int, 0, feeds_service.MAX_BACKFILL] = 0,
    ) -> None:
        """Follow a blog: each new post is imported with its comments and posted here."""
        resolved = interaction.guild.get_channel(channel.id) if interaction.guild else None
        if not isinstance(resolved, discord.TextChannel | discord.ForumChannel):
            raise ReadalongError(f"I cannot see {channel.mention}; check that I have access to it.")
        target = feed_target(resolved, tag=tag)
        await interaction.response.defer(ephemeral=True, thinking=True)
        followed = await feeds_service.follow(
            self.bot.store,
            url,
            target,
            pace_minutes=pace,
            backfill=backfill,
            admin_id=interaction.user.id,
            options=self._options(),
            now=self.bot.clock.now(),
            notify_channel_id=interaction.channel_id,
        )
        self._wake()
        await interaction.followup.send(
            feeds_fmt.followed_message(followed, resolved.mention, backfill), ephemeral=True
        )

    @feed.command(name="list")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def list_(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """The blogs followed here: last poll, last error, next poll."""
        feeds = await feeds_service.listing(self.bot.store, _guild_id(interaction))
        if not feeds:
            raise ReadalongError("No feeds are followed here: follow one with /feed follow.")
        await interaction.response.send_message(feeds_fmt.listing_message(feeds), ephemeral=True)

    @feed.command(name="unfollow")
    @app_commands.describe(feed="The feed: its number in /feed list (#2) or its address")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def unfollow(self, interaction: discord.Interaction[ReadalongBot], feed: str) -> None:
        """Stop following a blog; what was posted stays."""
        gone = await feeds_service.unfollow(self.bot.store, _guild_id(interaction), feed)
        await interaction.response.send_message(
            f"No longer following {gone.title} (<{gone.url}>).", ephemeral=True
        )

    @feed.command(name="pause")
    @app_commands.describe(feed="The feed: its number in /feed list (#2) or its address")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def pause(self, interaction: discord.Interaction[ReadalongBot], feed: str) -> None:
        """Stop looking for new posts of a blog until it is resumed."""
        paused = await feeds_service.pause(self.bot.store, _guild_id(interaction), feed)
        await interaction.response.send_message(
            f"Paused {paused.title}: `/feed resume` goes on.", ephemeral=True
        )

    @feed.command(name="resume")
    @app_commands.describe(feed="The feed: its number in /feed list (#2) or its address")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def resume(self, interaction: discord.Interaction[ReadalongBot], feed: str) -> None:
        """Look for new posts of a paused (or vanished) blog again, now."""
        resumed = await feeds_service.resume(
            self.bot.store, _guild_id(interaction), feed, now=self.bot.clock.now()
        )
        self._wake()
        await interaction.response.send_message(f"Following {resumed.title} again.", ephemeral=True)


def _guild_id(interaction: discord.Interaction[ReadalongBot]) -> int:
    if interaction.guild_id is None:
        raise ReadalongError("This command works in a server only.")
    return interaction.guild_id


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Feeds(bot))
