"""The gateway: HELLO, heartbeats, IDENTIFY → READY and GUILD_CREATE, dispatches with sequence
numbers, RESUME with replay of what a dropped connection missed, INVALID_SESSION and RECONNECT.

Sharding as Discord's docs describe it (Gateway, "Sharding"): IDENTIFY may carry
``shard: [shard_id, num_shards]``; that session then gets READY, GUILD_CREATE and events only for
the servers with ``(guild_id >> 22) % num_shards == shard_id``, and events without a server (DMs)
only on shard 0. A shard outside ``0 ≤ shard_id < num_shards`` is closed with 4010 Invalid Shard;
a session that would hold more than :attr:`Gateway.max_guilds_per_shard` servers (Discord: 2,500)
with 4011 Sharding Required. ``GET /gateway/bot`` recommends :attr:`Gateway.recommended_shards`.

Frames are JSON text; discord.py only inflates binary frames, so it reads these whatever
``compress=`` it asked for (the sandbox knowingly ignores compression).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bot.sandbox.protocol import CloseCode, Opcode
from bot.sandbox.state import THREADS, Payload, World

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_LIMIT = 100_000
"""Dispatches a session keeps for resuming; older ones are gone, as on Discord."""

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT
"""Intents an application must switch on in the Developer Portal before it may identify with them
("Gateway", Privileged Intents); asking for one that is off closes the connection with 4014."""

_GUILD_EVENTS = {
    "THREAD_CREATE",
    "THREAD_UPDATE",
    "THREAD_DELETE",
    "THREAD_MEMBERS_UPDATE",
    "CHANNEL_CREATE",
    "CHANNEL_UPDATE",
    "CHANNEL_DELETE",
    "GUILD_ROLE_CREATE",
    "GUILD_ROLE_UPDATE",
    "WEBHOOKS_UPDATE",
}


@dataclass(eq=False)
class Session:
    """A gateway session: what it identified with and every dispatch it was sent, so a resume can replay what
    the bot missed (up to ``REPLAY_LIMIT``)."""

    id: str
    intents: int
    shard: tuple[int, int] | None = None
    """``(shard_id, num_shards)`` as identified, or None for an unsharded session (every server)."""
    seq: int = 0
    sent: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=REPLAY_LIMIT))
    outbox: asyncio.Queue[str] | None = None
    """The live connection's queue, or None while disconnected (dispatches still count and are kept)."""

    def routes(self, guild_id: str | None) -> bool:
        """Whether this session receives the events of ``guild_id`` (None: not a server's event)."""
        return _routes(self.shard, guild_id)

    def push(self, event: str, data: Payload) -> None:
        """Number the dispatch, keep it for a resume, and send it if the session is connected."""
        self.seq += 1
        frame = json.dumps({"op": Opcode.DISPATCH, "t": event, "s": self.seq, "d": data})
        self.sent.append((self.seq, frame))
        if self.outbox is not None:
            self.outbox.put_nowait(frame)


@dataclass(eq=False)
class Connection:
    """One websocket; it carries a session once the bot has identified or resumed on it."""

    socket: web.WebSocketResponse
    outbox: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    session: Session | None = None


class Gateway:
    """Every connected (or resumable) bot session, fed from the world's events."""

    def __init__(
        self,
        world: World,
        token: Callable[[], str],
        ws_url: Callable[[], str],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.world = world
        self._on_change = on_change
        self._token = token
        self._ws_url = ws_url
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.refuse_resumes = 0
        self.enabled_intents = PRIVILEGED_INTENTS
        """The privileged intents switched on for the application (all, as a configured app
        would have them); a test turns one off to see the bot refused with 4014."""
        self.identifies = 0
        self.resumes = 0
        self.recommended_shards = 1
        """The shard count ``GET /gateway/bot`` recommends (Discord works it out from the bot's
        number of servers); a test sets it to see the bot follow the recommendation."""
        self.max_concurrency = 1
        """Shards that may identify in the same 5 seconds (``GET /gateway/bot``); 1 for most bots."""
        self.identify_log: list[tuple[float, tuple[int, int] | None]] = []
        """When each IDENTIFY came (monotonic seconds) and for which shard, refused ones too."""
        self.identifies_refused = 0
        """IDENTIFYs answered with Invalid Session: sent inside their bucket's window."""
        self._identified_at: dict[int, float] = {}
        """When each bucket's last session was granted."""
        self.identify_window = 5.0
        """Seconds in which one IDENTIFY per bucket may be sent (Discord's: 5). Tests shorten it
        where the bot is killed and started again many times, and start the bot with the same
        window (tests/harness.py); :meth:`identifies_too_soon` checks it was kept."""
        self.max_guilds_per_shard = 2500
        """Servers one session may hold; beyond it Discord closes the connection with 4011."""
        world.listeners.append(self.dispatch)

    # -- events from the world ------------------------------------------------------------------

    def dispatch(self, event: str, data: Payload, channel_id: str | None) -> None:
        """Send a world event to each session that should get it, as Discord routes them: nothing from a
        channel the bot cannot view, only to the shard of the event's server, only with the intents it needs,
        message text only with the content intent or a mention."""
        if channel_id is not None and not self.world.can_view(self.world.bot_id, channel_id):
            return
        guild_id = self._guild_of(data, channel_id)
        for session in self.sessions.values():
            if not session.routes(guild_id):
                continue
            if event in _GUILD_EVENTS and not session.intents & INTENT_GUILDS:
                continue
            if (
                event == "THREAD_MEMBERS_UPDATE"
                and not session.intents & INTENT_GUILD_MEMBERS
                and all(m["user_id"] != self.world.bot_id for m in data.get("added_members", []))
            ):
                continue  # others' thread membership needs the privileged members intent
            if event.startswith("MESSAGE_"):
                if not session.intents & INTENT_GUILD_MESSAGES:
                    continue
                data = self._content_for(session, data)
            session.push(event, data)

    def _guild_of(self, data: Payload, channel_id: str | None) -> str | None:
        """The server an event belongs to, which decides the shard it is sent on."""
        guild_id = data.get("guild_id")
        if guild_id is None and channel_id is not None:
            guild_id = self.world.channels.get(channel_id, {}).get("guild_id")
        return None if guild_id is None else str(guild_id)

    def _content_for(self, session: Session, message: Payload) -> Payload:
        """Without the message content intent, a bot sees others' text only where it is mentioned."""
        if session.intents & INTENT_MESSAGE_CONTENT or "author" not in message:
            return message
        bot = self.world.bot_id
        if message["author"]["id"] == bot or any(u["id"] == bot for u in message.get("mentions", [])):
            return message
        return message | {"content": "", "embeds": [], "attachments": [], "components": []}

    def pending(self) -> int:
        """Frames queued but not yet written to a socket."""
        return sum(c.outbox.qsize() for c in self.connections)

    # -- connections ----------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Serve one websocket connection: HELLO, then the bot's frames until it closes; its session stays
        resumable after."""
        socket = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await socket.prepare(request)
        connection = Connection(socket)
        self.connections.add(connection)
        self._on_change()
        writer = asyncio.create_task(self._write(connection), name="sandbox-gateway-writer")
        connection.outbox.put_nowait(
            json.dumps(
                {"op": Opcode.HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None}
            )
        )
        try:
            async for frame in socket:
                if frame.type != WSMsgType.TEXT:
                    break
                await self._receive(connection, json.loads(frame.data))
                self._on_change()
        finally:
            self.connections.discard(connection)
            self._on_change()
            if connection.session is not None and connection.session.outbox is connection.outbox:
                connection.session.outbox = None
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return socket

    async def _write(self, connection: Connection) -> None:
        while True:
            frame = await connection.outbox.get()
            try:
                await connection.socket.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def _receive(self, connection: Connection, message: dict[str, Any]) -> None:
        op, data = message.get("op"), message.get("d")
        if op == Opcode.HEARTBEAT:
            connection.outbox.put_nowait(
                json.dumps({"op": Opcode.HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            )
        elif op == Opcode.IDENTIFY:
            await self._identify(connection, data or {})
        elif op == Opcode.RESUME:
            await self._resume(connection, data or {})
        elif op == Opcode.REQUEST_GUILD_MEMBERS:
            self._members_chunk(connection, data or {})

    def _token_ok(self, given: object) -> bool:
        token = str(given or "").removeprefix("Bot ")
        return secrets.compare_digest(token.encode(), self._token().encode())

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> None:
        if not self._token_ok(data.get("token")):
            await connection.socket.close(
                code=CloseCode.AUTHENTICATION_FAILED, message=b"Authentication failed."
            )
            return
        if int(data.get("intents") or 0) & PRIVILEGED_INTENTS & ~self.enabled_intents:
            await connection.socket.close(code=CloseCode.DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return
        try:
            shard = _shard(data.get("shard"))
        except ValueError:
            await connection.socket.close(code=CloseCode.INVALID_SHARD, message=b"Invalid shard.")
            return
        world = self.world
        guild_ids = [g for g in world.guilds if world.bot_id in world.members[g] and _routes(shard, g)]
        if len(guild_ids) > self.max_guilds_per_shard:
            await connection.socket.close(code=CloseCode.SHARDING_REQUIRED, message=b"Sharding required.")
            return
        now = time.monotonic()
        bucket = (shard[0] if shard else 0) % max(1, self.max_concurrency)
        self.identify_log.append((now, shard))
        if now - self._identified_at.get(bucket, -self.identify_window) < self.identify_window:
            # Discord's docs (Gateway, "Identifying"): past max_concurrency IDENTIFYs per 5 s it
            # answers with Invalid Session (opcode 9); the client identifies again later.
            self.identifies_refused += 1
            await asyncio.sleep(0.05)
            connection.outbox.put_nowait(
                json.dumps({"op": Opcode.INVALID_SESSION, "d": False, "s": None, "t": None})
            )
            return
        self._identified_at[bucket] = now
        self.identifies += 1
        session = Session(secrets.token_hex(16), int(data.get("intents") or 0), shard)
        self.sessions[session.id] = session
        connection.session = session
        session.outbox = connection.outbox
        shard_field = {} if session.shard is None else {"shard": list(session.shard)}
        session.push(
            "READY",
            shard_field
            | {
                "v": 10,
                "user": world.user(world.bot_id),
                "guilds": [{"id": g, "unavailable": True} for g in guild_ids],
                "session_id": session.id,
                "resume_gateway_url": self._ws_url(),
                "application": {"id": world.application_id, "flags": 0},
                "private_channels": [],
                "relationships": [],
            },
        )
        for guild_id in guild_ids:
            session.push("GUILD_CREATE", self.guild_payload(guild_id))

    def identifies_too_soon(self) -> list[float]:
        """The gaps, in seconds, between two IDENTIFYs of one bucket (``shard_id %
        max_concurrency``) that were shorter than :attr:`identify_window`."""
        last: dict[int, float] = {}
        gaps = []
        for at, shard in self.identify_log:
            bucket = (shard[0] if shard else 0) % max(1, self.max_concurrency)
            if bucket in last and at - last[bucket] < self.identify_window:
                gaps.append(at - last[bucket])
            last[bucket] = at
        return gaps

    def guild_payload(self, guild_id: str) -> Payload:
        """The server as GUILD_CREATE sends it: channels, the active threads the bot can view, roles and
        members."""
        world = self.world
        channels = [
            c for c in world.channels.values() if c["guild_id"] == guild_id and c["type"] not in THREADS
        ]
        visible_threads = [t for t in world.active_threads(guild_id) if world.can_view(world.bot_id, t["id"])]
        members = list(world.members[guild_id].values())
        return world.guild(guild_id) | {
            "roles": list(world.roles[guild_id].values()),
            "members": members,
            "member_count": len(members),
            "channels": channels,
            "threads": visible_threads,
            "large": False,
            "unavailable": False,
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if self.refuse_resumes > 0 or session is None or not self._token_ok(data.get("token")):
            self.refuse_resumes = max(0, self.refuse_resumes - 1)
            if session is not None:
                self.sessions.pop(session.id, None)
            await asyncio.sleep(0.05)  # Discord waits 1-5 s; the client waits before identifying again
            connection.outbox.put_nowait(
                json.dumps({"op": Opcode.INVALID_SESSION, "d": False, "s": None, "t": None})
            )
            return
        self.resumes += 1
        last = int(data.get("seq") or 0)
        for seq, frame in session.sent:
            if seq > last:
                connection.outbox.put_nowait(frame)
        connection.session = session
        session.outbox = connection.outbox
        session.push("RESUMED", {})

    def _members_chunk(self, connection: Connection, data: dict[str, Any]) -> None:
        guild_id = str(data.get("guild_id"))
        members = list(self.world.members.get(guild_id, {}).values())
        frame = {
            "guild_id": guild_id,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "nonce": data.get("nonce"),
        }
        if connection.session is not None:
            connection.session.push("GUILD_MEMBERS_CHUNK", frame)

    # -- faults ---------------------------------------------------------------------------------

    def live_shards(self) -> list[tuple[int, int] | None]:
        """The shard of each connected, identified session (None for an unsharded one)."""
        return sorted(
            (c.session.shard for c in self.connections if c.session is not None),
            key=lambda shard: (-1, 0) if shard is None else shard,
        )

    async def drop(self, code: int = CloseCode.UNKNOWN_ERROR, *, shard: int | None = None) -> int:
        """Close every connection (or only shard ``shard``'s) as a network fault would; sessions
        stay resumable."""
        dropped = [
            c
            for c in self.connections
            if shard is None or (c.session is not None and (c.session.shard or (0, 1))[0] == shard)
        ]
        for connection in dropped:
            if connection.session is not None:
                connection.session.outbox = None
            await connection.socket.close(code=code, message=b"sandbox: connection dropped")
        return len(dropped)

    def ask_reconnect(self) -> None:
        """Op 7: Discord asks the client to reconnect and resume."""
        for connection in self.connections:
            connection.outbox.put_nowait(
                json.dumps({"op": Opcode.RECONNECT, "d": None, "s": None, "t": None})
            )

    def forget_sessions(self) -> None:
        """Drop every session, as a restart of Discord's side would: the bot must identify afresh, not
        resume."""
        self.sessions.clear()


def _routes(shard: tuple[int, int] | None, guild_id: str | None) -> bool:
    """Whether a session identified with ``shard`` gets ``guild_id``'s events (Discord's formula)."""
    if shard is None:
        return True
    shard_id, count = shard
    if guild_id is None:
        return shard_id == 0  # "DMs will only be sent to shard 0"
    return (int(guild_id) >> 22) % count == shard_id


def _shard(value: object) -> tuple[int, int] | None:
    """IDENTIFY's ``shard``: None when absent, ``(shard_id, num_shards)`` when valid; ValueError
    where Discord answers 4010 Invalid Shard (not two whole numbers, or ``shard_id`` out of range)."""
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or len(value) != 2
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in value)
    ):
        raise ValueError("the shard is not two whole numbers")
    shard_id, count = value
    if not 0 <= shard_id < count:
        raise ValueError("the shard id is outside 0 to num_shards - 1")
    return (shard_id, count)
