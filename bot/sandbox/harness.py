"""Running the real bot, built by ``bot.discord.client.create_bot``, against a sandbox in this process.

For the terminal chat, the end-to-end tests and the benchmarks alike. (The bot in processes of its
own, killed and started again, is the tests' harness: tests/harness.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.discord.client import ReadalongBot, create_bot, point_discord_at
from bot.domain.clock import Clock
from bot.errors import ReadalongError
from bot.sandbox.server import Sandbox
from bot.settings import Secret, Settings

READY_TIMEOUT = 10.0


def sandbox_settings(base: Settings, sandbox: Sandbox, guild_id: str) -> Settings:
    """``base`` pointed at the sandbox, with its token, and commands synced to its guild."""
    return dataclasses.replace(
        base,
        discord_token=Secret(sandbox.token),
        discord_url=sandbox.base_url,
        dev_guild_id=int(guild_id),
    )


_HANDLER_TASKS = (
    "CommandTree-invoker",
    "discord-ui-view-dispatch-",
    "discord-ui-modal-dispatch-",
    "discord.py: ",
)
"""The names discord.py 2.7 gives the tasks that run a slash command, a button, a modal and an
event listener (``on_message``...)."""


def handlers_running() -> bool:
    """Whether a bot in this event loop is running a handler (a slash command, a button, a
    modal, an event's listener): for :attr:`Sandbox.handlers_running` when the bot runs in-process."""
    return any(task.get_name().startswith(_HANDLER_TASKS) for task in asyncio.all_tasks())


@asynccontextmanager
async def running_bot(settings: Settings, *, clock: Clock | None = None) -> AsyncIterator[ReadalongBot]:
    """Start the bot against ``settings.discord_url``; yield it once ready; close it after.
    ``clock``: the bot's clock (a test's :class:`~bot.domain.clock.ManualClock`), the sandbox's
    too (``sandbox.clock``, given as ``Sandbox(clock=…)``) so both live at the same moment."""
    if settings.discord_url is None or settings.discord_token is None:
        raise ReadalongError("running_bot needs READALONG_DISCORD_URL and DISCORD_TOKEN set")
    point_discord_at(settings.discord_url)
    bot = create_bot(settings, guild_ready_timeout=0.05, clock=clock)
    runner = asyncio.create_task(bot.start(settings.discord_token.reveal()), name="readalong-bot")
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait(
            {runner, ready}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
        )
        if runner in done:
            runner.result()  # raises what stopped the bot
            raise ReadalongError("the bot stopped before it was ready")
        if ready not in done:
            raise ReadalongError(f"the bot was not ready after {READY_TIMEOUT:.0f} s")
        yield bot
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
