"""The sandbox server: Discord's REST API v10 and gateway on 127.0.0.1, and a Python API for
acting as members (send, reply, edit, delete, run slash commands, press buttons), waiting until
the bot is idle, reading any channel, and injecting faults.

Where it knowingly differs from Discord: one application per sandbox (its id is its bot user's
id, as for applications created since 2022); no voice, DMs, reactions, private threads, stickers
or presences; gateway frames are never compressed; ephemeral messages are kept so buttons on
them work, but never listed in history or sent over the gateway.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.sandbox import permissions as perms
from bot.sandbox.api import add_routes
from bot.sandbox.commands import CommandRejected
from bot.sandbox.driver import CommandResult, Driver, message_text
from bot.sandbox.faults import Exchange, FaultInjection, Faults
from bot.sandbox.gateway import Gateway
from bot.sandbox.host import InteractionRecord
from bot.sandbox.middleware import API, api_middleware, json_response, read_body
from bot.sandbox.protocol import CloseCode
from bot.sandbox.ratelimit import RateLimitConfig, RateLimiter
from bot.sandbox.state import FORUM, TEXT, Payload, World, WorldClock, iso

log = logging.getLogger(__name__)

INTERACTION_DEADLINE = 3.0
"""Discord shows "The application did not respond" if no callback comes within 3 s, and then
invalidates the token: a later callback gets 404 10062 Unknown interaction."""
BACKLOG = 1024
"""Connections waiting to be accepted. A burst of interactions opens one connection per deferral
at once (200 members asking: 200); past aiohttp's default of 128 the kernel drops the rest, the
client's connect is retried a second later, and the deferral misses Discord's 3 s."""
TOKEN_LIFETIME = 15 * 60.0
"""An answered interaction's token lives 15 minutes; follow-ups and edits after that get
401 50027 Invalid Webhook Token ("Receiving and Responding")."""


@dataclass
class Seed:
    """The ids of the world ``Sandbox.seeded`` makes."""

    guild_id: str
    general_id: str
    forum_id: str
    admin_id: str
    reader_id: str
    bot_id: str


class Sandbox(Driver, FaultInjection):
    """A Discord-compatible server on 127.0.0.1 with the Python API tests and the chat use.

    The server's state and lifecycle live here; acting as members and waiting in
    :class:`~bot.sandbox.driver.Driver`, faults in :class:`~bot.sandbox.faults.FaultInjection`,
    the REST handlers in :mod:`bot.sandbox.api`, the HTTP plumbing in :mod:`bot.sandbox.middleware`."""

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str | None = None,
        limits: RateLimitConfig | None = None,
        snapshot: Path | None = None,
        port: int = 0,
        interaction_deadline: float = INTERACTION_DEADLINE,
        token_lifetime: float = TOKEN_LIFETIME,
        interaction_clock: Callable[[], float] = time.monotonic,
        clock: WorldClock | None = None,
        shards: int = 1,
        max_concurrency: int = 1,
    ) -> None:
        if world is None and snapshot is not None and snapshot.exists():
            world = World.load(snapshot)
        self.world = world or World()
        if clock is not None:
            self.world.clock = clock
        if not self.world.bot_id:
            bot = self.world.create_user("Readalong", bot=True)
            self.world.bot_id = self.world.application_id = bot["id"]
        self.token = token or f"sandbox.{secrets.token_urlsafe(24)}"
        self.limiter = RateLimiter(limits or RateLimitConfig())
        self.snapshot = snapshot
        self.port = port
        self.faults = Faults()
        self.gateway = Gateway(self.world, lambda: self.token, lambda: self.ws_url, self.touch)
        self.gateway.recommended_shards = shards
        """``shards``: the count ``GET /gateway/bot`` recommends; ``max_concurrency``: how many
        shards may identify at once (Discord gives most bots 1)."""
        self.gateway.max_concurrency = max_concurrency
        self.interactions: dict[str, InteractionRecord] = {}
        self.interaction_deadline = interaction_deadline
        """Seconds an interaction waits for its first callback (Discord: 3); short in tests."""
        self.token_lifetime = token_lifetime
        """Seconds an interaction token lives (Discord: 15 minutes); short in tests."""
        self.interaction_clock = interaction_clock
        """The interaction clock (monotonic seconds, real time as Discord's deadlines are): request
        arrival and interaction creation are read from it."""
        self.requests: Counter[str] = Counter()
        self.responses: Counter[int] = Counter()
        self.exchanges: list[Exchange] | None = None
        """Every REST exchange from now on, once :meth:`record_exchanges` is called."""
        self.in_flight = 0
        self.last_activity = time.monotonic()
        self.changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.world.listeners.append(self._on_world_event)

    def __repr__(self) -> str:
        return f"<Sandbox {self.base_url if self._runner else 'stopped'}>"

    @property
    def clock(self) -> WorldClock:
        """The world's time (``Sandbox(clock=…)``; the system's by default): ids, timestamps and
        CDN links are read from it. Give the bot the same one (``running_bot(settings,
        clock=sandbox.clock)``) and both live at the same moment. Rate limits and interaction
        deadlines run on real monotonic time (:attr:`interaction_clock`), as Discord's do."""
        return self.world.clock

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The REST root the bot is pointed at (``/api/v10`` goes after it)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        """The gateway URL that ``GET /gateway`` hands the bot."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        """Listen on 127.0.0.1 (a free port when ``port`` is 0, bound here so parallel tests never share
        one)."""
        app = web.Application(middlewares=[api_middleware(self)], client_max_size=32 * 1024 * 1024)
        add_routes(app, self)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site: web.BaseSite
        if self.port == 0:
            # Bound here and handed over, not probed then closed: two sandboxes starting at once
            # (parallel test workers) could otherwise be given the same port.
            listening = _listening_socket()
            self.port = int(listening.getsockname()[1])
            site = web.SockSite(runner, listening, backlog=BACKLOG)
        else:
            site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True, backlog=BACKLOG)
        await site.start()
        self._runner = runner
        self.world.base_url = self.base_url
        log.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close every gateway connection (resumably) and the HTTP server, then save the world if a snapshot
        file is set."""
        if self._runner is None:
            return
        await self.gateway.drop(code=CloseCode.GOING_AWAY)
        runner, self._runner = self._runner, None
        await runner.cleanup()
        if self.snapshot is not None:
            self.world.save(self.snapshot)

    async def restart(self, downtime: float = 0.0) -> None:
        """Stop and start again on the same port, as after an outage: sessions are gone."""
        await self.stop()
        self.gateway.forget_sessions()
        await asyncio.sleep(downtime)
        await self.start()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # -- seeding --------------------------------------------------------------------------------

    def seed(self) -> Seed:
        """A server with #general, a #reading-room forum, an admin (ada), a reader (ben) and the bot."""
        world = self.world
        admin = world.create_user("ada", display_name="Ada")
        reader = world.create_user("ben", display_name="Ben")
        guild = world.create_guild("Readalong Sandbox", owner_id=admin["id"])
        admins = world.create_role(
            guild["id"], "Admin", perms.EVERYONE_DEFAULT | perms.MANAGE_GUILD | perms.MANAGE_MESSAGES
        )
        bot_role = world.create_role(guild["id"], "Readalong", perms.BOT_DEFAULT)
        world.add_member(guild["id"], admin["id"], [admins["id"]])
        world.add_member(guild["id"], reader["id"])
        world.add_member(guild["id"], world.bot_id, [bot_role["id"]])
        general = world.create_channel(guild["id"], "general")
        forum = world.create_channel(guild["id"], "reading-room", kind=FORUM, tags=["Zhanaozen", "Readalong"])
        return Seed(guild["id"], general["id"], forum["id"], admin["id"], reader["id"], world.bot_id)

    def add_server(
        self, seed: Seed, name: str, channel: str, *, shard: tuple[int, int] | None = None
    ) -> tuple[str, str]:
        """Another server, on ``shard`` (id, count) if given, with the seed's admin (ada) and reader
        (ben), the bot, and a text channel ``channel``; its commands are the seed server's (as if
        synced there too). Returns the server's id and the channel's."""
        world = self.world
        guild = world.create_guild(name, owner_id=seed.admin_id, shard=shard)
        admins = world.create_role(guild["id"], "Admin", perms.EVERYONE_DEFAULT | perms.MANAGE_GUILD)
        bot_role = world.create_role(guild["id"], "Readalong", perms.BOT_DEFAULT)
        world.add_member(guild["id"], seed.admin_id, [admins["id"]])
        world.add_member(guild["id"], seed.reader_id)
        world.add_member(guild["id"], seed.bot_id, [bot_role["id"]])
        made = world.create_channel(guild["id"], channel)
        world.commands[guild["id"]] = list(world.commands.get(seed.guild_id, []))
        return str(guild["id"]), str(made["id"])

    def _on_world_event(self, event: str, data: Payload, channel_id: str | None) -> None:
        self.touch()


def _listening_socket() -> socket.socket:
    """A socket on a port the system picks, reusable at once when the sandbox restarts on it."""
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind(("127.0.0.1", 0))
    return listening


__all__ = [
    "API",
    "FORUM",
    "TEXT",
    "CommandRejected",
    "CommandResult",
    "Exchange",
    "Sandbox",
    "Seed",
    "iso",
    "json_response",
    "message_text",
    "read_body",
]
