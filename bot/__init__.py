"""Readalong: read an article together on Discord.

``bot.create_bot`` is importable from here without importing discord.py for the modules that do
not need it: the core (domain, articles, store, search, answers, services) never import discord.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.discord.client import ReadalongBot
    from bot.settings import Settings
    from bot.store import Store

__all__ = ["create_bot"]


def create_bot(settings: Settings, *, store: Store | None = None, **options: Any) -> ReadalongBot:
    """Build the bot (see :func:`bot.discord.client.create_bot`)."""
    from bot.discord.client import create_bot as _create_bot

    return _create_bot(settings, store=store, **options)
