"""What Discord knows now of a server's names, for showing mentions (:mod:`bot.shown`): its
members' display names, its roles' and the channels and threads the viewer may see (a channel
they may not see shows as Discord shows it them: no name)."""

from __future__ import annotations

from collections.abc import Iterable

import discord

from bot.domain.viewer import Viewer
from bot.shown import Names, mentioned

LOOKUPS = 25
"""Members a page looks up on Discord at most (those mentioned, not in the bot's cache): one
request each, so a page of a hundred mentions is not a hundred requests; the rest show as the
archive knows them, else as ``@unknown-user``."""


def guild_names(guild: discord.Guild | None, viewer: Viewer) -> Names:
    """The names in ``guild`` a mention may show to ``viewer`` (none outside a server): the
    members in the bot's cache, the roles, the channels and threads the viewer may see."""
    if guild is None:
        return Names()
    channels = {c.id: c.name for c in guild.channels if viewer.sees(guild.id, c.id)}
    channels.update({t.id: t.name for t in guild.threads if viewer.sees(guild.id, t.id)})
    return Names(
        users={m.id: m.display_name for m in guild.members},
        roles={r.id: r.name for r in guild.roles if not r.is_default()},
        channels=channels,
    )


async def names_for(guild: discord.Guild | None, viewer: Viewer, texts: Iterable[str]) -> Names:
    """:func:`guild_names`, and the members ``texts`` mention that the cache does not hold,
    asked of Discord (at most :data:`LOOKUPS`; one who left the server is not named)."""
    known = guild_names(guild, viewer)
    if guild is None:
        return known
    wanted: set[int] = set()
    for text in texts:
        wanted |= mentioned(text)[0]
    found: dict[int, str] = {}
    for user_id in sorted(wanted - set(known.users))[:LOOKUPS]:
        try:
            member = await guild.fetch_member(user_id)
        except discord.HTTPException:
            continue  # not a member (10007), or Discord refused: the archive's name, else unknown
        found[user_id] = member.display_name
    return Names(users=found).over(known)
