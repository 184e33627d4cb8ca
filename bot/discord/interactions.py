"""Discord-side presentation helpers shared by the cogs: article autocomplete, a pager."""

from __future__ import annotations

import contextlib

import discord
from discord import app_commands

from bot.discord.client import ReadalongBot
from bot.discord.views import OwnedView
from bot.discordfmt.limits import CHOICE_NAME_LIMIT, CHOICES_LIMIT
from bot.store import DatabaseUnavailableError


class Pager(OwnedView):
    """Previous/next buttons over pre-cut pages; only the member who asked can turn them.

    On timeout the buttons are removed, so an old pager never answers with an error.
    """

    refusal = "Only the member who asked can turn these pages."

    def __init__(self, pages: list[str], owner_id: int, *, timeout: float = 300.0) -> None:
        super().__init__(owner_id, timeout=timeout)
        self.pages = pages
        self.index = 0
        self.message: discord.Message | discord.InteractionMessage | None = None
        self._update_buttons()

    def render(self) -> str:
        """The current page with its ``page i/n`` footer (none for a single page)."""
        footer = f"\n-# page {self.index + 1}/{len(self.pages)}" if len(self.pages) > 1 else ""
        return self.pages[self.index] + footer

    def _update_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[Pager]) -> None:
        """Show the previous page (the button is disabled on the first)."""
        self.index = max(0, self.index - 1)
        self._update_buttons()
        await interaction.response.edit_message(content=self.render(), view=self)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction, button: discord.ui.Button[Pager]) -> None:
        """Show the next page (the button is disabled on the last)."""
        self.index = min(len(self.pages) - 1, self.index + 1)
        self._update_buttons()
        await interaction.response.edit_message(content=self.render(), view=self)

    async def on_timeout(self) -> None:
        """Remove the buttons, so an old pager is not pressed into an error."""
        if self.message is not None:
            # The message may be gone or the token expired: then there is nothing left to tidy.
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)


async def send_paged(interaction: discord.Interaction, pages: list[str], *, ephemeral: bool = False) -> None:
    """Answer with the first page, and buttons if there are more: as the response, or as the
    follow-up that replaces a deferred one."""
    deferred = interaction.response.is_done()
    if len(pages) == 1:
        if deferred:
            await interaction.followup.send(pages[0], ephemeral=ephemeral)
        else:
            await interaction.response.send_message(pages[0], ephemeral=ephemeral)
        return
    pager = Pager(pages, interaction.user.id)
    if deferred:
        pager.message = await interaction.followup.send(
            pager.render(), view=pager, ephemeral=ephemeral, wait=True
        )
        return
    await interaction.response.send_message(pager.render(), view=pager, ephemeral=ephemeral)
    pager.message = await interaction.original_response()


async def article_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Articles listed in this server (imported or posted here, or the shared library) whose
    title or id contains what the member typed, newest first, at most 25."""
    client = interaction.client
    if not isinstance(client, ReadalongBot) or interaction.guild_id is None:
        return []
    needle = current.lower().strip()
    choices = []
    try:
        summaries = await client.store.articles.list(interaction.guild_id)
    except DatabaseUnavailableError:
        return []  # no choices while the database is away (the store logs the outage once)
    for summary in summaries:
        label = f"{summary.title or '(untitled)'} ({summary.id})"
        if needle in label.lower():
            choices.append(app_commands.Choice(name=label[:CHOICE_NAME_LIMIT], value=summary.id))
        if len(choices) == CHOICES_LIMIT:
            break
    return choices
