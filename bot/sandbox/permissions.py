"""Discord's permission bits and how a member's permissions in a channel are worked out.

The algorithm is the documented one (discord-api-docs, "Permissions" topic): the base from
``@everyone`` and the member's roles, everything for administrators and the owner, then the
channel's overwrites for ``@everyone``, for the member's roles together, then for the member.
Threads take their parent channel's permissions; a private thread is hidden from whoever is
neither a member of it nor allowed to Manage Threads in its parent (the "Threads" topic).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox.protocol import OverwriteType

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
MANAGE_WEBHOOKS = 1 << 29
USE_APPLICATION_COMMANDS = 1 << 31
MANAGE_THREADS = 1 << 34
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38

ALL = (1 << 51) - 1

EVERYONE_DEFAULT = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | CREATE_PUBLIC_THREADS
    | CREATE_PRIVATE_THREADS
    | SEND_MESSAGES_IN_THREADS
)
"""What Discord gives ``@everyone`` in a new server, less voice."""

BOT_DEFAULT = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MANAGE_WEBHOOKS
    | CREATE_PUBLIC_THREADS
    | SEND_MESSAGES_IN_THREADS
)
"""The invite permissions docs/operators.md asks for (309774633984), nothing more: the seeded bot role
holds exactly these, so tests run with the rights a real invite gives. Note what is missing:
Manage Threads (the bot cannot see private threads it was not added to, nor post in locked
threads) and Manage Messages."""
INVITE_PERMISSIONS = 309774633984

NAMES = {
    "view_channel": VIEW_CHANNEL,
    "send_messages": SEND_MESSAGES,
    "embed_links": EMBED_LINKS,
    "attach_files": ATTACH_FILES,
    "read_message_history": READ_MESSAGE_HISTORY,
    "manage_webhooks": MANAGE_WEBHOOKS,
    "manage_roles": MANAGE_ROLES,
    "manage_guild": MANAGE_GUILD,
    "manage_messages": MANAGE_MESSAGES,
    "manage_threads": MANAGE_THREADS,
    "create_public_threads": CREATE_PUBLIC_THREADS,
    "create_private_threads": CREATE_PRIVATE_THREADS,
    "send_messages_in_threads": SEND_MESSAGES_IN_THREADS,
    "administrator": ADMINISTRATOR,
    "mention_everyone": MENTION_EVERYONE,
    "use_application_commands": USE_APPLICATION_COMMANDS,
}


def from_names(names: Iterable[str]) -> int:
    """``["send_messages", "embed_links"]`` → the bit set; unknown names are an error, not ignored."""
    value = 0
    for name in names:
        try:
            value |= NAMES[name]
        except KeyError:
            raise ValueError(f"unknown permission {name!r}; known: {', '.join(sorted(NAMES))}") from None
    return value


def base_permissions(
    guild: Mapping[str, Any],
    roles: Mapping[str, Mapping[str, Any]],
    member_roles: Iterable[str],
    user_id: str,
) -> int:
    """A member's server-wide permissions as Discord's Permissions topic computes them: the owner and
    ADMINISTRATOR have all, else @everyone's role ORed with the member's roles."""
    if guild["owner_id"] == user_id:
        return ALL
    value = int(roles[guild["id"]]["permissions"])
    for role_id in member_roles:
        role = roles.get(role_id)
        if role is not None:
            value |= int(role["permissions"])
    return ALL if value & ADMINISTRATOR else value


def channel_permissions(
    base: int,
    overwrites: Iterable[Mapping[str, Any]],
    guild_id: str,
    member_roles: Iterable[str],
    user_id: str,
) -> int:
    """The permissions in one channel, as Discord applies overwrites: @everyone's, then all the member's
    roles' (deny, then allow), then the member's own; no VIEW_CHANNEL means none at all."""
    if base & ADMINISTRATOR:
        return ALL
    by_id = {str(o["id"]): o for o in overwrites}
    value = base
    everyone = by_id.get(guild_id)
    if everyone is not None:
        value = (value & ~int(everyone["deny"])) | int(everyone["allow"])
    allow = deny = 0
    for role_id in member_roles:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.get("type", OverwriteType.ROLE) == OverwriteType.ROLE:
            allow |= int(overwrite["allow"])
            deny |= int(overwrite["deny"])
    value = (value & ~deny) | allow
    member = by_id.get(user_id)
    if member is not None and member.get("type", OverwriteType.MEMBER) == OverwriteType.MEMBER:
        value = (value & ~int(member["deny"])) | int(member["allow"])
    if not value & VIEW_CHANNEL:
        return 0
    return value
