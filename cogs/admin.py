"""About Readalong itself."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot, version
from bot.discordfmt import articles as articles_fmt
from bot.services import articles as articles_service


class Admin(commands.Cog):
    """``/about``: what the bot is, for anyone who wonders what it is doing in the server."""

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    @app_commands.command()
    async def about(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """What Readalong is, its version and how many articles it holds."""
        # This server's articles only (in a DM the shared library's): another server's imports
        # are theirs, and a count that moves would tell when they import.
        guild_id = interaction.guild_id if interaction.guild_id is not None else articles_service.NO_SERVER
        count = await articles_service.count(self.bot.store, guild_id)
        await interaction.response.send_message(articles_fmt.about_message(version(), count), ephemeral=True)


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Admin(bot))
