"""What Discord knows now of a server's names, for showing mentions (:mod:`bot.shown`): its
members' display names, its roles' and the channels and threads the viewer may see (a channel
they may not see shows as Discord shows it them: no name)."""

from __future__ import annotations

import discord

from bot.domain.viewer import Viewer
from bot.shown import Names


def guild_names(guild: discord.Guild | None, viewer: Viewer) -> Names:
    """The names in ``guild`` a mention may show to ``viewer`` (none outside a server)."""
    if guild is None:
        return Names()
    channels = {c.id: c.name for c in guild.channels if viewer.sees(guild.id, c.id)}
    channels.update({t.id: t.name for t in guild.threads if viewer.sees(guild.id, t.id)})
    return Names(
        users={m.id: m.display_name for m in guild.members},
        roles={r.id: r.name for r in guild.roles if not r.is_default()},
        channels=channels,
    )
