"""A local Discord-compatible server: the ``readalong sandbox`` chat and every end-to-end test.

Layout: ``server`` (the :class:`Sandbox`: state and lifecycle), ``driver`` (acting as members and
waiting, the Python API tests use), ``faults`` (fault injection and recorded exchanges),
``middleware`` (auth, rate limits, errors), ``host`` (the server as routes and middleware see
it), ``api/`` (one module per Discord resource and one route table), ``gateway``, ``state`` with
``world/`` (the world's data and rules), ``protocol`` (Discord's numbers as IntEnums),
``permissions``, ``ratelimit``, ``commands`` (slash command lines), ``chat`` (with
``chat_commands``, what a line typed does, and ``chat_screen``, what the terminal draws) and
``cli`` (``readalong sandbox``), ``harness`` (a bot running against a sandbox).
"""

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
