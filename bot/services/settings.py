"""A server's archive settings (``/article settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store import Store


@dataclass(frozen=True, slots=True)
class PurgeSetting:
    """Whether deleted messages' words are forgotten, and what a change did."""

    purge_deleted: bool
    changed: bool
    """False when the setting was only shown."""
    purged_now: int = 0
    """Deleted messages whose words were forgotten by turning purging on."""


async def purge_deleted(store: Store, guild_id: int, purge: bool | None) -> PurgeSetting:
    """Show the setting (``purge`` None) or set it; turning it on forgets what was deleted before."""
    if purge is None:
        return PurgeSetting(await store.guilds.purge_deleted(guild_id), changed=False)
    purged = await store.guilds.set_purge_deleted(guild_id, purge)
    return PurgeSetting(purge, changed=True, purged_now=purged if purge else 0)
