"""Links into Discord."""

from __future__ import annotations


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    """The link that opens a message in a server's channel or thread (``@me``: a direct message)."""
    return f"https://discord.com/channels/{'@me' if guild_id is None else guild_id}/{channel_id}/{message_id}"


def channel_url(guild_id: int, channel_id: int) -> str:
    """The link that opens a server's channel or thread (a thread's name is shown once, as the
    link's text, where a mention would show Discord's name for it beside a label)."""
    return f"https://discord.com/channels/{guild_id}/{channel_id}"
