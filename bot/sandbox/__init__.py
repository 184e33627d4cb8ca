"""A local Discord-compatible server: the ``readalong sandbox`` chat and every end-to-end test."""

from bot.sandbox.commands import CommandRejected
from bot.sandbox.ratelimit import Limit, RateLimitConfig
from bot.sandbox.server import CommandResult, Sandbox, Seed, message_text
from bot.sandbox.state import ApiError, World

__all__ = [
    "ApiError",
    "CommandRejected",
    "CommandResult",
    "Limit",
    "RateLimitConfig",
    "Sandbox",
    "Seed",
    "World",
    "message_text",
]
