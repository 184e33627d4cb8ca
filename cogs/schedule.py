"""``/schedule``: what comes next in the server, for every member."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot
from bot.discord.visibility import readable_channels
from bot.discordfmt.articles import schedule_message
from bot.errors import ReadalongError
from bot.services import posting as posting_service


class Schedule(commands.Cog):
    """``/schedule``: the next sections to be released, in channels the member can read."""

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    @app_commands.command(name="schedule")
    @app_commands.guild_only()
    async def schedule(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """The next sections to be released here, shown in your own time zone."""
        guild, member = interaction.guild, interaction.user
        if guild is None or not isinstance(member, discord.Member):
            raise ReadalongError("This command works in a server only.")
        # Decided now, from the member's permissions as they are: a posting in a channel they
        # cannot read is not named, nor is what it will release.
        releases = await posting_service.upcoming(self.bot.store, guild.id, readable_channels(guild, member))
        await interaction.response.send_message(schedule_message(releases), ephemeral=True)


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Schedule(bot))
