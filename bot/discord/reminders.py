"""The intro's "Remind me" button: the server's opt-in reminder role given, or taken back.

Giving a role needs Manage Roles, an optional permission: without it (or for a role not below
the bot's highest, which Discord refuses with 50013) the member is told which, and nothing else
changes. The view is persistent (one custom id, no timeout, registered in ``setup_hook``), so
intros posted before a restart still answer."""

from __future__ import annotations

import logging

import discord

from bot.discordfmt import reminders as text
from bot.services import settings as settings_service
from bot.store import Store

log = logging.getLogger(__name__)


class RemindView(discord.ui.View):
    """The button under a posting's intro."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label=text.REMIND_LABEL, style=discord.ButtonStyle.secondary, custom_id=text.REMIND_ID)
    async def remind(self, interaction: discord.Interaction, button: discord.ui.Button[RemindView]) -> None:
        """Give the member the reminder role, or take it back if they have it."""
        await interaction.response.send_message(
            await toggle(interaction), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


async def toggle(interaction: discord.Interaction) -> str:
    """What the press did, as the member is told: the role given or taken, or why not."""
    guild, member = interaction.guild, interaction.user
    store = getattr(interaction.client, "store", None)
    if guild is None or not isinstance(member, discord.Member) or not isinstance(store, Store):
        return "This button works in a server only."
    setting = await settings_service.reminders(store, guild.id)
    if not setting.on:
        return text.OFF
    if setting.role_id is None:
        return text.NO_ROLE
    role = guild.get_role(setting.role_id)
    if role is None:
        return text.ROLE_GONE
    me = guild.me
    if not me.guild_permissions.manage_roles:
        return text.missing_manage_roles()
    if role >= me.top_role and guild.owner_id != me.id:
        return text.role_too_high(role.id)
    having = any(r.id == role.id for r in member.roles)
    try:
        if having:
            await member.remove_roles(role, reason="Readalong: stopped reminders")
        else:
            await member.add_roles(role, reason="Readalong: asked for reminders")
    except discord.Forbidden:  # the permission or the hierarchy changed since the cache saw it
        return (
            text.missing_manage_roles()
            if not me.guild_permissions.manage_roles
            else text.role_too_high(role.id)
        )
    return text.reminded(role.id, on=not having)
