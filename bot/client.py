"""The old home of the client, kept so that ``from bot.client import ...`` (the sandbox's
harness) still works: the client is :mod:`bot.discord.client`."""

from bot.discord.client import ReadalongBot, create_bot, point_discord_at

__all__ = ["ReadalongBot", "create_bot", "point_discord_at"]
