"""A server's archive settings (``/article settings``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.files import FileCaps
from bot.errors import ReadalongError
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


@dataclass(frozen=True, slots=True)
class FileCapsSetting:
    """The server's caps on kept attachments, whether this call changed them, and the bytes the
    server keeps now."""

    caps: FileCaps
    changed: bool
    used: int


async def file_caps(
    store: Store, guild_id: int, *, file_mib: int | None = None, server_mib: int | None = None
) -> FileCapsSetting:
    """The server's caps on kept attachments, shown (both None) or changed. Files kept already
    stay: a lower cap applies to files recorded from then on."""
    for name, value in (("file_cap_mib", file_mib), ("server_cap_mib", server_mib)):
        if value is not None and value < 0:
            raise ReadalongError(f"{name} must be 0 (keep no files) or more, not {value}")
    if file_mib is None and server_mib is None:
        caps, changed = await store.files.caps(guild_id), False
    else:
        caps, changed = await store.files.set_caps(guild_id, file_mib=file_mib, server_mib=server_mib), True
    return FileCapsSetting(caps, changed, await store.files.used(guild_id))


@dataclass(frozen=True, slots=True)
class ReminderSetting:
    """The server's reminder role and whether reminders are on, and whether this call changed them."""

    role_id: int | None
    on: bool
    changed: bool

    @property
    def active(self) -> int | None:
        """The role to mention at each release: None when reminders are off or no role is named."""
        return self.role_id if self.on else None


async def reminders(
    store: Store, guild_id: int, *, role_id: int | None = None, on: bool | None = None
) -> ReminderSetting:
    """The server's opt-in reminder role (``/article settings reminder_role: reminders:``),
    shown (both None) or changed. The role is the one members give themselves with the intro's
    "Remind me" button; it alone is mentioned when a section is released."""
    if role_id == guild_id:
        raise ReadalongError("@everyone cannot be the reminder role: pick a role members opt into.")
    if role_id is not None or on is not None:
        await store.guilds.set_reminders(guild_id, role_id=role_id, on=on)
    role, active = await store.guilds.reminders(guild_id)
    return ReminderSetting(role, active, changed=role_id is not None or on is not None)
