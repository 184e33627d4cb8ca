"""``/help``: what Readalong does and every command it has, listed from the command tree."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord.client import ReadalongBot
from bot.discord.posting.sender import to_embed
from bot.discordfmt.help import CommandHelp, help_text
from bot.discordfmt.posting import EmbedSpec


def command_list(tree: app_commands.CommandTree[ReadalongBot]) -> list[CommandHelp]:
    """Every slash command the bot registers, by its full name and description, and whether it
    is for admins: read from the tree itself, so the help never drifts from the commands."""
    found = []
    for command in tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        root = command.root_parent or command
        found.append(
            CommandHelp(command.qualified_name, command.description, root.default_permissions is not None)
        )
    return found


class Help(commands.Cog):
    """``/help``: the command list, built from the tree, so it never lists a command that does not exist."""

    def __init__(self, bot: ReadalongBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: discord.Interaction[ReadalongBot]) -> None:
        """What Readalong does, and its commands with examples."""
        title, description = help_text(command_list(self.bot.tree))
        embed = to_embed(EmbedSpec(title=title, description=description))
        await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: ReadalongBot) -> None:
    """Add the cog (the bot's ``setup_hook`` calls this, as ``load_extension`` would)."""
    await bot.add_cog(Help(bot))
