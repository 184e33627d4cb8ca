"""Links into Discord."""

from __future__ import annotations


def jump_url(guild_id: int | None, channel_id: int, message_id: int) -> str:
    """The link that opens a message in a server's channel or thread (``@me``: a direct message)."""
    return f"https://discord.com/channels/{'@me' if guild_id is None else guild_id}/{channel_id}/{message_id}"
