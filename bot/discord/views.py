"""Views whose buttons belong to the member who asked for them."""

from __future__ import annotations

import discord


class OwnedView(discord.ui.View):
    """Buttons only the member who asked may press: anyone else pressing one is told so,
    ephemerally, and nothing happens (a public message's buttons are visible to everyone)."""

    refusal = "Only the member who asked can use these buttons."
    """What another member pressing a button is told."""

    def __init__(self, owner_id: int, *, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.owner_id = owner_id

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Let the owner through; tell anyone else :attr:`refusal`."""
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(self.refusal, ephemeral=True)
            return False
        return True
