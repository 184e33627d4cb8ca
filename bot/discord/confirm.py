"""A Confirm / Cancel prompt for destructive commands (``/article delete``)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable

import discord

from bot.discord.views import OwnedView
from bot.errors import ReadalongError

log = logging.getLogger(__name__)


class Confirm(OwnedView):
    """Two buttons under a prompt that says what will happen. Only the member who asked may press
    them; the action runs once, on Confirm; Cancel or the timeout leaves everything as it was, and
    either way the buttons are removed so an old prompt cannot be pressed later."""

    refusal = "Only the admin who asked can confirm or cancel this."

    def __init__(
        self,
        owner_id: int,
        *,
        action: Callable[[], Awaitable[str]],
        dropped: Callable[[bool], str],
        working: str = "Working on it…",
        timeout: float = 60.0,
    ) -> None:
        super().__init__(owner_id, timeout=timeout)
        self._action = action
        self._dropped = dropped
        self._working = working
        self._settled = False
        self.message: discord.InteractionMessage | None = None

    @discord.ui.button(label="Confirm", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]) -> None:
        """Run the action once and replace the prompt with its outcome (or our error's message)."""
        if self._settled:
            return
        self._settled = True
        self.stop()
        # Answered first, buttons removed: Discord wants an answer within 3 s, and the action may
        # wait longer (a busy database, a message being sent); its outcome replaces this when done.
        await interaction.response.edit_message(content=self._working, view=None)
        try:
            outcome = await self._action()
        except ReadalongError as error:
            outcome = f"{error}"
        await interaction.edit_original_response(content=outcome, view=None)

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[Confirm]) -> None:
        """Leave everything as it was and say so in place of the prompt."""
        if self._settled:
            return
        self._settled = True
        self.stop()
        await interaction.response.edit_message(content=self._dropped(False), view=None)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Confirm]
    ) -> None:
        """Log an unexpected failure and tell the member, in the prompt or a follow-up."""
        log.error("the confirmation of a command failed", exc_info=error)
        with contextlib.suppress(discord.HTTPException):
            if interaction.response.is_done():
                await interaction.followup.send(
                    "Something went wrong on our side; see the log.", ephemeral=True
                )
            else:
                await interaction.response.edit_message(
                    content="Something went wrong on our side; see the log.", view=None
                )

    async def on_timeout(self) -> None:
        """Remove the buttons and say nothing was done, so an old prompt cannot be pressed."""
        if self._settled or self.message is None:
            return
        self._settled = True
        # The prompt may be gone or its token expired: then there is nothing left to tidy.
        with contextlib.suppress(discord.HTTPException):
            await self.message.edit(content=self._dropped(True), view=None)
