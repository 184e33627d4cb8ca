"""About Readalong itself."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot, version


class Admin(commands.Cog):
    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    @app_commands.command()
    async def about(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """What Readalong is, its version and how many articles it holds."""
        count = await self.bot.store.articles.count()
        await interaction.response.send_message(
            f"**Readalong {version()}**: read an article together. Sections are posted with a thread each, "
            f"the original comments come along, `/ask` answers by quoting the article.\n"
            f"Articles stored: {count}.",
            ephemeral=True,
        )


async def setup(bot: ReadalongBot) -> None:
    await bot.add_cog(Admin(bot))
