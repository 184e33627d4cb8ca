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
import contextlib
import json
import logging
import secrets
import socket
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.sandbox import permissions as perms
from bot.sandbox.commands import CommandRejected, Resolver, build_invocation, split_command_line
from bot.sandbox.gateway import Gateway
from bot.sandbox.ratelimit import RateLimitConfig, RateLimiter
from bot.sandbox.state import (
    ANNOUNCEMENT_THREAD,
    CHAT_INPUT_COMMAND,
    EPHEMERAL,
    FORUM,
    FORUMS,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    TEXT,
    THREADS,
    ApiError,
    Payload,
    World,
    invalid_form,
    iso,
    now,
    unknown,
)

log = logging.getLogger(__name__)

API = "/api/v10"
Files = list[tuple[str, bytes, str | None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
INTERACTION_DEADLINE = 3.0
"""Discord shows "The application did not respond" if no callback comes within 3 s, and then
invalidates the token: a later callback gets 404 10062 Unknown interaction."""
ARRIVED_AT = web.RequestKey("arrived_at", float)
"""When a request reached the sandbox, before any stall: Discord's deadline counts arrival."""
TOKEN_LIFETIME = 15 * 60.0
"""An answered interaction's token lives 15 minutes; follow-ups and edits after that get
401 50027 Invalid Webhook Token ("Receiving and Responding")."""


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly: discord.py parses nothing else."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers
    )


@dataclass
class Seed:
    """The ids of the world ``Sandbox.seeded`` makes."""

    guild_id: str
    general_id: str
    forum_id: str
    admin_id: str
    reader_id: str
    bot_id: str


@dataclass
class InteractionRecord:
    id: str
    token: str
    kind: int
    user_id: str
    channel_id: str
    name: str
    response_type: int | None = None
    original_id: str | None = None
    ephemeral: bool = False
    message_ids: list[str] = field(default_factory=list)
    choices: list[Payload] | None = None
    modal: Payload | None = None
    source_message: tuple[str, str] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    last_activity: float = field(default_factory=time.monotonic)
    created_at: float = field(default_factory=time.monotonic)
    answered_at: float | None = None
    original_deleted: bool = False
    """The deferred ("thinking…") response was deleted before any follow-up replaced it."""


@dataclass
class CommandResult:
    """What a member saw after running a command or pressing a button."""

    sandbox: Sandbox
    record: InteractionRecord
    failed: bool = False

    @property
    def messages(self) -> list[Payload]:
        found = []
        for message_id in self.record.message_ids:
            with contextlib.suppress(ApiError):
                found.append(self.sandbox.world.message(self.record.channel_id, message_id))
        return found

    @property
    def ephemeral(self) -> bool:
        return self.record.ephemeral

    @property
    def seconds_to_answer(self) -> float | None:
        """From the interaction to its answer as the member sees it: the response, or for a
        deferred one ("thinking…") the last follow-up."""
        record = self.record
        if record.answered_at is None:
            return None
        done = record.last_activity if record.response_type in (5, 6) else record.answered_at
        return done - record.created_at

    @property
    def text(self) -> str:
        """Every message's content and embed text, for reading and assertions."""
        return "\n".join(message_text(m) for m in self.messages)

    @property
    def choices(self) -> list[Payload]:
        return self.record.choices or []


def message_text(message: Payload) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [f"[file {a['filename']}]" for a in message.get("attachments") or []]
    return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Exchange:
    """One REST request and its answer, as recorded for checking against Discord's spec."""

    method: str
    path: str
    """The path as requested, without ``/api/v10`` or the query."""
    route: str
    """The sandbox's route template (``/channels/{channel_id}/messages``)."""
    status: int
    request: Any
    """The JSON body sent (``payload_json`` for multipart), or None."""
    response: Any
    """The JSON body answered, or None (204, or not JSON)."""


RequestHook = Callable[[str, str], Awaitable[None]]
"""Called with ``("before" | "after", "METHOD /path")`` around each REST request."""


@dataclass
class Faults:
    stall_until: float = 0.0
    hook: RequestHook | None = None
    forced_429: list[tuple[str, float, bool]] = field(default_factory=list)
    """(route prefix, retry_after, global) for the next matching requests."""


class Sandbox:
    """A Discord-compatible server on 127.0.0.1 with the Python API tests and the chat use."""

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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if world is None and snapshot is not None and snapshot.exists():
            world = World.load(snapshot)
        self.world = world or World()
        if not self.world.bot_id:
            bot = self.world.create_user("Readalong", bot=True)
            self.world.bot_id = self.world.application_id = bot["id"]
        self.token = token or f"sandbox.{secrets.token_urlsafe(24)}"
        self.limiter = RateLimiter(limits or RateLimitConfig())
        self.snapshot = snapshot
        self.port = port
        self.faults = Faults()
        self.gateway = Gateway(self.world, lambda: self.token, lambda: self.ws_url, self._touch)
        self.interactions: dict[str, InteractionRecord] = {}
        self.interaction_deadline = interaction_deadline
        """Seconds an interaction waits for its first callback (Discord: 3); short in tests."""
        self.token_lifetime = token_lifetime
        """Seconds an interaction token lives (Discord: 15 minutes); short in tests."""
        self.clock = clock
        """The interaction clock: request arrival and interaction creation are read from it."""
        self.requests: Counter[str] = Counter()
        self.responses: Counter[int] = Counter()
        self.exchanges: list[Exchange] | None = None
        """Every REST exchange from now on, once :meth:`record_exchanges` is called."""
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.world.listeners.append(self._on_world_event)

    def __repr__(self) -> str:
        return f"<Sandbox {self.base_url if self._runner else 'stopped'}>"

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        self._routes(app)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        if self.port == 0:
            self.port = _free_port()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self._runner = runner
        self.world.base_url = self.base_url
        log.info("sandbox listening on %s", self.base_url)

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.drop(code=1001)
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

    # -- waiting --------------------------------------------------------------------------------

    def _on_world_event(self, event: str, data: Payload, channel_id: str | None) -> None:
        self._touch()

    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        self._changed.set()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Until ``predicate()`` holds, re-checked on every request and change; TimeoutError after
        ``within`` seconds."""
        async with asyncio.timeout(within):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_idle(self, quiet: float = 0.2, within: float = 30.0) -> None:
        """Until the bot has made no request and been sent nothing for ``quiet`` seconds, with no
        request in flight and no rate-limit bucket it is likely waiting on."""
        deadline = time.monotonic() + within
        while True:
            moment = time.monotonic()
            busy_until = max(
                self._last_activity + quiet,
                self.limiter.exhausted_until() + quiet,
            )
            if self._in_flight == 0 and self.gateway.pending() == 0 and moment >= busy_until:
                return
            if moment >= deadline:
                raise TimeoutError(f"the bot was still busy after {within} s")
            await asyncio.sleep(min(max(busy_until - moment, 0.01), 0.1))

    # -- reading --------------------------------------------------------------------------------

    def messages(self, channel: str) -> list[Payload]:
        """A channel's or thread's messages, oldest first (ephemeral ones excluded)."""
        channel_id = self._channel_id(channel)
        ordered = sorted(self.world.messages[channel_id].values(), key=lambda m: int(m["id"]))
        return [m for m in ordered if not m["flags"] & EPHEMERAL]

    def threads(self, channel: str) -> list[Payload]:
        """The threads (or forum posts) of a channel, archived ones included, oldest first."""
        channel_id = self._channel_id(channel)
        found = [
            c
            for c in self.world.channels.values()
            if c.get("parent_id") == channel_id and c["type"] in THREADS
        ]
        return sorted(found, key=lambda c: int(c["id"]))

    def channel(self, name_or_id: str) -> Payload:
        return self.world.channel(self._channel_id(name_or_id))

    def _channel_id(self, channel: str | Mapping[str, Any]) -> str:
        if isinstance(channel, Mapping):
            return str(channel["id"])
        if channel in self.world.channels:
            return channel
        return str(self.world.find_channel(channel)["id"])

    def _user_id(self, who: str | Mapping[str, Any]) -> str:
        if isinstance(who, Mapping):
            return str(who["id"])
        if who in self.world.users:
            return who
        return str(self.world.find_user(who)["id"])

    # -- acting as members ----------------------------------------------------------------------

    def send(
        self,
        member: str,
        channel: str | Mapping[str, Any],
        content: str,
        *,
        reply_to: str | Mapping[str, Any] | None = None,
        files: Iterable[tuple[str, bytes]] = (),
    ) -> Payload:
        """Post as a member (Discord's client sends no ``allowed_mentions``: mentions ping)."""
        channel_id = self._channel_id(channel)
        body: dict[str, Any] = {"content": content}
        if reply_to is not None:
            reply_id = str(reply_to["id"]) if isinstance(reply_to, Mapping) else reply_to
            body["message_reference"] = {"message_id": reply_id, "channel_id": channel_id}
        return self.world.create_message(
            channel_id, self._user_id(member), body, files=[(n, d, None) for n, d in files]
        )

    def edit(self, member: str, message: Mapping[str, Any], content: str) -> Payload:
        return self.world.edit_message(
            str(message["channel_id"]), str(message["id"]), self._user_id(member), {"content": content}
        )

    def delete(self, member: str, message: Mapping[str, Any]) -> None:
        self.world.delete_message(str(message["channel_id"]), str(message["id"]), self._user_id(member))

    def start_thread(self, member: str, message: Mapping[str, Any], name: str) -> Payload:
        return self.world.start_thread(
            str(message["channel_id"]), str(message["id"]), self._user_id(member), name
        )

    def create_post(self, member: str, forum: str, name: str, content: str) -> tuple[Payload, Payload]:
        return self.world.create_forum_post(
            self._channel_id(forum), self._user_id(member), name, {"content": content}
        )

    def create_private_thread(self, member: str, channel: str, name: str) -> Payload:
        """A member opens a private thread in a text channel (``POST /channels/{id}/threads``, type 12)."""
        return self.world.create_private_thread(self._channel_id(channel), self._user_id(member), name)

    def add_to_thread(self, member: str, thread: str | Mapping[str, Any], who: str) -> None:
        """A member adds someone to a thread (``PUT /channels/{id}/thread-members/{user}``)."""
        self.world.add_thread_member(self._channel_id(thread), self._user_id(member), self._user_id(who))

    def archive(self, thread: str | Mapping[str, Any]) -> None:
        """Archive a thread as Discord's inactivity timer does."""
        self.world.archive_thread(self._channel_id(thread))

    async def run(self, member: str, channel: str, line: str, *, deadline: float = 30.0) -> CommandResult:
        """Run a command as typed: ``/article post article:foo channel:#general``."""
        names, options = split_command_line(line)
        return await self.run_command(member, channel, names, options, deadline=deadline)

    async def run_command(
        self,
        member: str,
        channel: str,
        names: str | list[str],
        options: Mapping[str, Any] | None = None,
        *,
        deadline: float = 30.0,
    ) -> CommandResult:
        """Run a slash command and wait for its response and follow-ups (a deferred one up to
        ``deadline`` seconds). Raises :class:`CommandRejected` for what Discord's client refuses."""
        user_id = self._user_id(member)
        channel_id = self._channel_id(channel)
        path = names.split() if isinstance(names, str) else names
        resolver = Resolver(self.world, self.world.channel(channel_id)["guild_id"])
        invocation = build_invocation(resolver, user_id, path, options or {})
        record = self._interaction(2, user_id, channel_id, invocation.data, " ".join(invocation.names))
        return await self._await_response(record, deadline)

    async def autocomplete(
        self, member: str, channel: str, names: str, options: Mapping[str, Any], focused: str
    ) -> list[Payload]:
        """The choices the bot offers while ``focused`` is being typed."""
        user_id, channel_id = self._user_id(member), self._channel_id(channel)
        resolver = Resolver(self.world, self.world.channel(channel_id)["guild_id"])
        invocation = build_invocation(resolver, user_id, names.split(), options, focused=focused)
        record = self._interaction(4, user_id, channel_id, invocation.data, names)
        result = await self._await_response(record, self.interaction_deadline)
        return result.choices

    async def press(
        self, member: str, message: Mapping[str, Any], button_name: str, *, deadline: float = 30.0
    ) -> CommandResult:
        """Press a button on a message (as it is now), named by its label or its custom id."""
        current = self.world.message(str(message["channel_id"]), str(message["id"]))
        buttons = [c for row in current.get("components") or [] for c in row.get("components") or []]
        button = next((b for b in buttons if button_name in (b.get("custom_id"), b.get("label"))), None)
        if button is None:
            raise CommandRejected(f"no button {button_name!r} on that message")
        if button.get("disabled"):
            raise CommandRejected("that button is disabled")
        data = {"custom_id": button["custom_id"], "component_type": 2}
        record = self._interaction(
            3, self._user_id(member), str(current["channel_id"]), data, button_name, message=current
        )
        return await self._await_response(record, deadline)

    def _interaction(
        self,
        kind: int,
        user_id: str,
        channel_id: str,
        data: Payload,
        name: str,
        *,
        message: Mapping[str, Any] | None = None,
    ) -> InteractionRecord:
        world = self.world
        channel = world.channel(channel_id)
        guild_id = channel["guild_id"]
        record = InteractionRecord(
            world.ids.next(), secrets.token_urlsafe(48), kind, user_id, channel_id, name
        )
        record.created_at = self.clock()
        if message is not None:
            record.source_message = (str(message["channel_id"]), str(message["id"]))
        self.interactions[record.token] = record
        member = world.member(guild_id, user_id)
        payload: Payload = {
            "id": record.id,
            "application_id": world.application_id,
            "type": kind,
            "data": data,
            "guild_id": guild_id,
            "guild": {"id": guild_id, "locale": "en-US", "features": []},
            "channel_id": channel_id,
            "channel": {k: v for k, v in channel.items() if k != "permission_overwrites"},
            "member": member | {"permissions": str(world.permissions(user_id, channel_id))},
            "token": record.token,
            "version": 1,
            "locale": "en-US",
            "guild_locale": "en-US",
            "app_permissions": str(world.permissions(world.bot_id, channel_id)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild_id},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = dict(message)
        world.emit("INTERACTION_CREATE", payload)
        return record

    async def _await_response(self, record: InteractionRecord, deadline: float) -> CommandResult:
        # A callback that arrived in time may still be held by a stall: wait that out too. One that
        # arrived late is refused (10062) and never sets ``answered``.
        started = time.monotonic()
        while not record.answered.is_set():
            waited = time.monotonic() - started
            left = max(self.interaction_deadline - waited, self.faults.stall_until - time.monotonic()) + 0.1
            if left <= 0:
                return CommandResult(self, record, failed=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(record.answered.wait(), left)
        if record.response_type in (5, 6) and not record.message_ids:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(
                    lambda: bool(record.message_ids) or record.original_id is not None, deadline
                )
        # Follow-ups come over HTTP with no end marker: a quiet spell is the only sign.
        while (quiet := time.monotonic() - record.last_activity) < 0.15:  # noqa: ASYNC110
            await asyncio.sleep(0.15 - quiet)
        return CommandResult(self, record)

    def record_exchanges(self) -> list[Exchange]:
        """Start recording every REST exchange (for the conformance test); the list fills as it goes."""
        if self.exchanges is None:
            self.exchanges = []
        return self.exchanges

    # -- faults ---------------------------------------------------------------------------------

    async def drop_gateway(self) -> int:
        """Cut every gateway connection; the bot resumes and gets what it missed replayed."""
        return await self.gateway.drop()

    def refuse_next_resume(self, count: int = 1) -> None:
        """Answer the next resumes with INVALID_SESSION: the bot must identify again."""
        self.gateway.refuse_resumes += count

    def stall(self, seconds: float) -> None:
        """Hold every REST request for ``seconds`` from now."""
        self.faults.stall_until = time.monotonic() + seconds

    def rate_limit_next(
        self, route_prefix: str = "", *, retry_after: float = 1.0, count: int = 1, is_global: bool = False
    ) -> None:
        """Answer the next ``count`` requests whose ``METHOD /path`` starts with ``route_prefix``
        with 429, as Discord does when a limit is hit (headers included)."""
        self.faults.forced_429.extend([(route_prefix, retry_after, is_global)] * count)

    # -- HTTP plumbing --------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        self._in_flight += 1
        self._touch()
        request[ARRIVED_AT] = self.clock()  # the interaction deadline counts arrival, not a stall
        try:
            wait = self.faults.stall_until - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            route = f"{request.method} {request.path.removeprefix(API)}"
            if self.faults.hook is not None:
                await self.faults.hook("before", route)
            response = await self._handle_api(request, handler)
            if self.faults.hook is not None:
                await self.faults.hook("after", route)
        finally:
            self._in_flight -= 1
            self._touch()
        self.responses[response.status] += 1
        if self.exchanges is not None:
            self.exchanges.append(await _exchange(request, response))
        return response

    async def _handle_api(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        template = resource.canonical.removeprefix(API) if resource is not None else request.path
        route = f"{request.method} {template}"
        self.requests[route] += 1
        tokened = "{webhook_token}" in template or "{interaction_token}" in template
        if not tokened and template not in ("/gateway",) and not self._authorised(request):
            return json_response({"message": "401: Unauthorized", "code": 0}, 401)
        forced = self._forced_429(f"{request.method} {request.path.removeprefix(API)}")
        if forced is not None:
            return forced
        info = request.match_info
        major = (
            info.get("channel_id")
            or info.get("guild_id")
            or info.get("webhook_id")
            or info.get("interaction_id")
            or ""
        )
        verdict = self.limiter.check(route, major, exempt_from_global="interaction_token" in template)
        if not verdict.allowed:
            body = {
                "message": "You are being rate limited.",
                "code": 0,
                "retry_after": round(verdict.retry_after, 3),
                "global": verdict.is_global,
            }
            headers = verdict.headers | {
                "Retry-After": str(max(1, round(verdict.retry_after))),
                "Via": "1.1 google",
            }
            return json_response(body, 429, headers)
        try:
            response = await handler(request)
        except ApiError as error:
            response = json_response(error.body(), error.status)
        except (ValueError, KeyError, TypeError) as error:
            response = json_response({"message": f"400: Bad Request ({error})", "code": 50109}, 400)
        response.headers.update(verdict.headers)
        return response

    def _authorised(self, request: web.Request) -> bool:
        given = request.headers.get("Authorization", "")
        return secrets.compare_digest(given.encode(), f"Bot {self.token}".encode())

    def _forced_429(self, route: str) -> web.Response | None:
        for index, (prefix, retry_after, is_global) in enumerate(self.faults.forced_429):
            if route.startswith(prefix):
                del self.faults.forced_429[index]
                self.limiter.hits += 1
                body = {
                    "message": "You are being rate limited.",
                    "code": 0,
                    "retry_after": retry_after,
                    "global": is_global,
                }
                headers = {
                    "Retry-After": str(max(1, round(retry_after))),
                    "X-RateLimit-Scope": "global" if is_global else "user",
                    "Via": "1.1 google",
                }
                if is_global:
                    headers["X-RateLimit-Global"] = "true"
                else:
                    headers |= {
                        "X-RateLimit-Limit": "5",
                        "X-RateLimit-Remaining": "0",
                        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                        "X-RateLimit-Bucket": "forced",
                    }
                return json_response(body, 429, headers)
        return None

    def _routes(self, app: web.Application) -> None:
        add = app.router.add_route
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        add("GET", f"{API}/gateway", self._get_gateway)
        add("GET", f"{API}/gateway/bot", self._get_gateway)
        add("GET", f"{API}/users/@me", self._me)
        add("GET", f"{API}/users/{{user_id}}", self._user)
        add("GET", f"{API}/oauth2/applications/@me", self._application)
        add("GET", f"{API}/applications/@me", self._application)
        add("PUT", f"{API}/applications/{{application_id}}/commands", self._put_commands)
        add("GET", f"{API}/applications/{{application_id}}/commands", self._get_commands)
        add("PUT", f"{API}/applications/{{application_id}}/guilds/{{guild_id}}/commands", self._put_commands)
        add("GET", f"{API}/applications/{{application_id}}/guilds/{{guild_id}}/commands", self._get_commands)
        add("POST", f"{API}/interactions/{{interaction_id}}/{{interaction_token}}/callback", self._callback)
        add("GET", f"{API}/guilds/{{guild_id}}", self._get_guild)
        add("GET", f"{API}/guilds/{{guild_id}}/channels", self._guild_channels)
        add("GET", f"{API}/guilds/{{guild_id}}/members/{{user_id}}", self._get_member)
        add("GET", f"{API}/guilds/{{guild_id}}/threads/active", self._active_threads)
        add("GET", f"{API}/channels/{{channel_id}}", self._get_channel)
        add("PATCH", f"{API}/channels/{{channel_id}}", self._patch_channel)
        add("GET", f"{API}/channels/{{channel_id}}/messages", self._history)
        add("POST", f"{API}/channels/{{channel_id}}/messages", self._post_message)
        add("GET", f"{API}/channels/{{channel_id}}/messages/{{message_id}}", self._get_message)
        add("PATCH", f"{API}/channels/{{channel_id}}/messages/{{message_id}}", self._patch_message)
        add("DELETE", f"{API}/channels/{{channel_id}}/messages/{{message_id}}", self._delete_message)
        add("POST", f"{API}/channels/{{channel_id}}/messages/{{message_id}}/threads", self._start_thread)
        add("POST", f"{API}/channels/{{channel_id}}/threads", self._create_thread)
        add("GET", f"{API}/channels/{{channel_id}}/threads/archived/public", self._archived_threads)
        add("PUT", f"{API}/channels/{{channel_id}}/thread-members/@me", self._no_content)
        add("PUT", f"{API}/channels/{{channel_id}}/thread-members/{{user_id}}", self._add_thread_member)
        add("GET", f"{API}/channels/{{channel_id}}/thread-members/{{user_id}}", self._get_thread_member)
        add("POST", f"{API}/channels/{{channel_id}}/typing", self._no_content)
        add("GET", f"{API}/channels/{{channel_id}}/webhooks", self._channel_webhooks)
        add("POST", f"{API}/channels/{{channel_id}}/webhooks", self._create_webhook)
        add("POST", f"{API}/webhooks/{{webhook_id}}/{{webhook_token}}", self._execute_webhook)
        add(
            "GET",
            f"{API}/webhooks/{{webhook_id}}/{{webhook_token}}/messages/{{message_id}}",
            self._webhook_message,
        )
        add(
            "PATCH",
            f"{API}/webhooks/{{webhook_id}}/{{webhook_token}}/messages/{{message_id}}",
            self._webhook_message,
        )
        add(
            "DELETE",
            f"{API}/webhooks/{{webhook_id}}/{{webhook_token}}/messages/{{message_id}}",
            self._webhook_message,
        )

    # -- REST handlers --------------------------------------------------------------------------

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        data = self.world.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _no_content(self, request: web.Request) -> web.StreamResponse:
        self.world.channel(request.match_info["channel_id"])
        return web.Response(status=204)

    async def _get_gateway(self, request: web.Request) -> web.StreamResponse:
        limits = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return json_response({"url": self.ws_url, "shards": 1, "session_start_limit": limits})

    async def _me(self, request: web.Request) -> web.StreamResponse:
        # The current user as OAuth2 sees it: the public user plus its account settings.
        account = {"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}
        return json_response(self.world.user(self.world.bot_id) | account)

    async def _user(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.world.user(request.match_info["user_id"]))

    async def _application(self, request: web.Request) -> web.StreamResponse:
        world = self.world
        bot = world.user(world.bot_id)
        owner = next((u for u in world.users.values() if not u["bot"]), bot)
        return json_response(
            {
                "id": world.application_id,
                "name": bot["username"],
                "icon": None,
                "description": "Readalong in the sandbox",
                "bot_public": False,
                "bot_require_code_grant": False,
                "owner": owner,
                "type": None,
                "verify_key": "0" * 64,
                "flags": 1 << 19 | 1 << 23,
                "flags_new": str(1 << 19 | 1 << 23),
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "role_connections_verification_url": None,
                "approximate_user_install_count": 0,
                "approximate_user_authorization_count": 0,
                "explicit_content_filter": 0,
                "eligible_oauth2_scopes": ["bot", "applications.commands"],
                "bot": bot,
                "summary": "",
                "team": None,
                "rpc_origins": [],
                "approximate_guild_count": len(world.guilds),
            }
        )

    def _scope(self, request: web.Request) -> str:
        if request.match_info["application_id"] != self.world.application_id:
            raise unknown("Application")
        guild_id = request.match_info.get("guild_id")
        if guild_id is not None:
            self.world.guild(guild_id)
        return guild_id or "global"

    async def _put_commands(self, request: web.Request) -> web.StreamResponse:
        scope = self._scope(request)
        body = await request.json()
        if len(body) > 100:
            raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
        previous = {c["name"]: c for c in self.world.commands.get(scope, [])}
        stored = []
        for command in body:
            check_command(command)
            old = previous.get(command["name"])
            stored.append(
                {k: v for k, v in command.items() if k != "guild_id"}
                | {
                    "id": old["id"] if old else self.world.ids.next(),
                    "application_id": self.world.application_id,
                    "version": self.world.ids.next(),
                    "type": command.get("type", 1),
                    # Discord answers with its defaults filled in, permissions as a string.
                    "default_member_permissions": permission_string(
                        command.get("default_member_permissions")
                    ),
                    "integration_types": command.get("integration_types") or [0],
                }
                # A global command has no guild_id at all (Discord's docs: "guild_id?").
                | ({} if scope == "global" else {"guild_id": scope})
            )
        self.world.commands[scope] = stored
        return json_response(stored)

    async def _get_commands(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.world.commands.get(self._scope(request), []))

    async def _get_guild(self, request: web.Request) -> web.StreamResponse:
        guild_id = request.match_info["guild_id"]
        self._bot_in_guild(guild_id)
        return json_response(
            self.world.guild(guild_id) | {"roles": list(self.world.roles[guild_id].values())}
        )

    async def _guild_channels(self, request: web.Request) -> web.StreamResponse:
        guild_id = request.match_info["guild_id"]
        self._bot_in_guild(guild_id)
        channels = [
            c for c in self.world.channels.values() if c["guild_id"] == guild_id and c["type"] not in THREADS
        ]
        return json_response(channels)

    async def _get_member(self, request: web.Request) -> web.StreamResponse:
        guild_id = request.match_info["guild_id"]
        self._bot_in_guild(guild_id)
        return json_response(self.world.member(guild_id, request.match_info["user_id"]))

    async def _active_threads(self, request: web.Request) -> web.StreamResponse:
        guild_id = request.match_info["guild_id"]
        self._bot_in_guild(guild_id)
        threads = [
            t for t in self.world.active_threads(guild_id) if self.world.can_view(self.world.bot_id, t["id"])
        ]
        # The spec's ThreadsResponse: all active threads come in one answer, so never more to page.
        return json_response({"threads": threads, "members": [], "has_more": False})

    def _bot_in_guild(self, guild_id: str) -> None:
        self.world.guild(guild_id)
        if self.world.bot_id not in self.world.members[guild_id]:
            raise ApiError(403, 50001, "Missing Access")

    def _visible_channel(self, channel_id: str, needed: int = perms.VIEW_CHANNEL) -> Payload:
        channel = self.world.channel(channel_id)
        self.world.require(self.world.bot_id, channel_id, needed)
        return channel

    async def _get_channel(self, request: web.Request) -> web.StreamResponse:
        return json_response(self._visible_channel(request.match_info["channel_id"]))

    async def _patch_channel(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        self._visible_channel(channel_id)
        return json_response(self.world.update_thread(channel_id, self.world.bot_id, await request.json()))

    async def _history(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        channel = self._visible_channel(channel_id)
        if channel["type"] in FORUMS:
            return json_response([])
        have = self.world.permissions(self.world.bot_id, channel_id)
        if not have & perms.READ_MESSAGE_HISTORY:
            return json_response([])
        query = request.query
        return json_response(
            self.world.history(
                channel_id,
                before=query.get("before"),
                after=query.get("after"),
                around=query.get("around"),
                limit=int(query.get("limit", "50")),
            )
        )

    async def _post_message(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        body, files = await read_body(request)
        if files:
            self.world.require(self.world.bot_id, channel_id, perms.ATTACH_FILES)
        if body.get("embeds"):
            allowed = self.world.permissions(self.world.bot_id, channel_id) & perms.EMBED_LINKS
            if not allowed:
                body = body | {"embeds": []}  # Discord silently drops embeds without Embed Links
        return json_response(self.world.create_message(channel_id, self.world.bot_id, body, files=files))

    async def _get_message(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        self._visible_channel(channel_id, perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
        message = self.world.message(channel_id, request.match_info["message_id"])
        if message["flags"] & EPHEMERAL:
            raise unknown("Message")
        return json_response(message)

    async def _patch_message(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        body, _ = await read_body(request)
        return json_response(
            self.world.edit_message(info["channel_id"], info["message_id"], self.world.bot_id, body)
        )

    async def _delete_message(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        self.world.delete_message(info["channel_id"], info["message_id"], self.world.bot_id)
        return web.Response(status=204)

    async def _start_thread(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        body = await request.json()
        thread = self.world.start_thread(
            info["channel_id"],
            info["message_id"],
            self.world.bot_id,
            str(body.get("name") or ""),
            int(body.get("auto_archive_duration") or 1440),
        )
        return json_response(thread, 201)

    async def _create_thread(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        body, files = await read_body(request)
        channel = self.world.channel(channel_id)
        minutes = int(body.get("auto_archive_duration") or 1440)
        if channel["type"] in FORUMS:
            thread, message = self.world.create_forum_post(
                channel_id,
                self.world.bot_id,
                str(body.get("name") or ""),
                body.get("message") or {},
                applied_tags=body.get("applied_tags") or (),
                archive_minutes=minutes,
                files=files,
            )
            return json_response(thread | {"message": message}, 201)
        kind = body.get("type")  # required in API v10 (v9 defaulted to private)
        if kind is None:
            raise invalid_form("type", "BASE_TYPE_REQUIRED", "This field is required")
        if kind == PRIVATE_THREAD:
            thread = self.world.create_private_thread(
                channel_id,
                self.world.bot_id,
                str(body.get("name") or ""),
                minutes,
                invitable=bool(body.get("invitable", True)),
            )
            return json_response(thread, 201)
        if kind not in (PUBLIC_THREAD, ANNOUNCEMENT_THREAD):
            raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
        return json_response(
            self.world.create_thread(channel_id, self.world.bot_id, str(body.get("name") or ""), minutes), 201
        )

    async def _add_thread_member(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        self.world.add_thread_member(info["channel_id"], self.world.bot_id, info["user_id"])
        return web.Response(status=204)

    async def _get_thread_member(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        self._visible_channel(info["channel_id"])
        return json_response(self.world.thread_member(info["channel_id"], info["user_id"]))

    async def _archived_threads(self, request: web.Request) -> web.StreamResponse:
        channel_id = request.match_info["channel_id"]
        self._visible_channel(channel_id, perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
        limit = max(2, min(int(request.query.get("limit", "50")), 100))
        threads, more = self.world.archived_threads(
            channel_id, before=request.query.get("before"), limit=limit
        )
        return json_response({"threads": threads, "members": [], "has_more": more})

    async def _channel_webhooks(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.world.channel_webhooks(request.match_info["channel_id"], self.world.bot_id))

    async def _create_webhook(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        hook = self.world.create_webhook(
            request.match_info["channel_id"], self.world.bot_id, str(body.get("name") or "")
        )
        return json_response(hook)

    async def _execute_webhook(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        body, files = await read_body(request)
        record = self._interaction_for(info["webhook_id"], info["webhook_token"], request)
        if record is not None:
            return json_response(self._follow_up(record, body, files))
        hook = self.world.webhook(info["webhook_id"], info["webhook_token"])
        message = self.world.execute_webhook(
            hook, body, thread_id=request.query.get("thread_id"), files=files
        )
        wait = request.query.get("wait", "false").lower() in ("true", "1")
        return json_response(message) if wait else web.Response(status=204)

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        info = request.match_info
        record = self._interaction_for(info["webhook_id"], info["webhook_token"], request)
        message_id = info["message_id"]
        if record is not None:
            channel_id = record.channel_id
            if message_id == "@original":
                if record.original_id is None:
                    if (
                        request.method == "DELETE"
                        and record.response_type == 5
                        and not record.original_deleted
                    ):
                        # Deleting a deferred response removes "thinking…"; follow-ups are new messages.
                        record.original_deleted = True
                        record.last_activity = time.monotonic()
                        return web.Response(status=204)
                    if request.method != "PATCH" or record.response_type != 5 or record.original_deleted:
                        raise unknown("Message")
                    body, files = await read_body(request)
                    return json_response(self._follow_up(record, body, files))
                message_id = record.original_id
            record.last_activity = time.monotonic()
        else:
            hook = self.world.webhook(info["webhook_id"], info["webhook_token"])
            channel_id = request.query.get("thread_id") or hook["channel_id"]
        author = self.world.bot_id if record is not None else info["webhook_id"]
        if request.method == "GET":
            return json_response(self.world.message(channel_id, message_id))
        if request.method == "DELETE":
            self.world.delete_message(channel_id, message_id, author)
            return web.Response(status=204)
        body, _ = await read_body(request)
        return json_response(self.world.edit_message(channel_id, message_id, author, body))

    # -- interactions ---------------------------------------------------------------------------

    def _interaction_for(
        self, application_id: str, token: str, request: web.Request
    ) -> InteractionRecord | None:
        """The interaction whose token this webhook call uses, or None for a real webhook.

        A token is invalidated when its interaction went unanswered past the deadline, and
        expires ``token_lifetime`` after the interaction: 401 50027 Invalid Webhook Token."""
        if application_id != self.world.application_id:
            return None
        record = self.interactions.get(token)
        if record is None:
            raise unknown("Webhook")
        age = request.get(ARRIVED_AT, self.clock()) - record.created_at
        unanswered = record.response_type is None and age > self.interaction_deadline
        if unanswered or age > self.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return record

    async def _callback(self, request: web.Request) -> web.StreamResponse:
        record = self.interactions.get(request.match_info["interaction_token"])
        if record is None or record.id != request.match_info["interaction_id"]:
            raise ApiError(404, 10062, "Unknown interaction")
        age = request.get(ARRIVED_AT, self.clock()) - record.created_at
        if record.response_type is None and age > self.interaction_deadline:
            # Too late: the token was invalidated at the deadline.
            raise ApiError(404, 10062, "Unknown interaction")
        if record.response_type is not None:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body, files = await read_body(request)
        kind = int(body["type"])
        data = body.get("data") or {}
        resource: Payload = {"type": kind}
        if kind == 4:
            message = self._respond_message(record, data, files)
            resource["message"] = message
        elif kind == 5:
            record.ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
        elif kind == 7:
            if record.source_message is None:
                raise ApiError(400, 40004, "Interaction has no message to update")
            channel_id, message_id = record.source_message
            message = self.world.edit_message(channel_id, message_id, self.world.bot_id, data)
            resource["message"] = message
        elif kind == 8:
            choices = list(data.get("choices") or [])
            if len(choices) > 25:
                raise ApiError(400, 50035, "Invalid Form Body: at most 25 choices")
            record.choices = choices
        elif kind == 9:
            record.modal = data
        elif kind != 6:
            raise ApiError(400, 50035, f"Invalid Form Body: unknown callback type {kind}")
        record.response_type = kind
        record.last_activity = record.answered_at = time.monotonic()
        record.answered.set()
        interaction = {
            "id": record.id,
            "type": record.kind,
            "activity_instance_id": None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": record.ephemeral,
        }
        if record.original_id is not None:
            interaction["response_message_id"] = record.original_id
        return json_response({"interaction": interaction, "resource": resource})

    def _respond_message(self, record: InteractionRecord, data: Payload, files: Files) -> Payload:
        flags = int(data.get("flags") or 0)
        record.ephemeral = bool(flags & EPHEMERAL)
        message = self._interaction_message(record, data, files, flags)
        record.original_id = message["id"]
        return message

    def _follow_up(self, record: InteractionRecord, body: Payload, files: Files) -> Payload:
        if record.response_type is None:
            raise ApiError(400, 10015, "Unknown Webhook: the interaction was not answered yet")
        flags = int(body.get("flags") or 0)
        if record.response_type == 5 and record.original_id is None and not record.original_deleted:
            # After a deferral, the first message replaces the "thinking…" one and keeps its privacy.
            flags = (flags & ~EPHEMERAL) | (EPHEMERAL if record.ephemeral else 0)
            message = self._interaction_message(record, body, files, flags)
            record.original_id = message["id"]
            return message
        return self._interaction_message(record, body, files, flags)

    def _interaction_message(
        self, record: InteractionRecord, data: Payload, files: Files, flags: int
    ) -> Payload:
        metadata = {
            "id": record.id,
            "type": record.kind,
            "user": self.world.user(record.user_id),
            "authorizing_integration_owners": {"0": self.world.channel(record.channel_id)["guild_id"]},
            "name": record.name,
        }
        extra = {
            "webhook_id": self.world.application_id,
            "application_id": self.world.application_id,
            "interaction_metadata": metadata,
            "interaction": {
                "id": record.id,
                "type": record.kind,
                "name": record.name,
                "user": self.world.user(record.user_id),
            },
        }
        message = self.world.create_message(
            record.channel_id,
            self.world.bot_id,
            data | {"flags": flags},
            files=files,
            kind=CHAT_INPUT_COMMAND,
            check_permissions=False,
            extra=extra,
        )
        record.message_ids.append(message["id"])
        record.last_activity = time.monotonic()
        return message


async def read_body(request: web.Request) -> tuple[Payload, Files]:
    """A JSON body, or discord.py's multipart one (``payload_json`` plus ``files[n]``)."""
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        body: Payload = {}
        files: Files = []
        for name, value in form.items():
            if name == "payload_json":
                body = json.loads(str(value))
            elif isinstance(value, web.FileField):
                files.append((value.filename, value.file.read(), value.content_type))
        return body, files
    if not request.can_read_body:
        return {}, []
    return await request.json(), []


async def _exchange(request: web.Request, response: web.StreamResponse) -> Exchange:
    """What was asked and answered; bodies already read by the handler are cached by aiohttp."""
    sent: Any = None
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        if request.content_type.startswith("multipart/"):
            payload = (await request.post()).get("payload_json")
            sent = None if payload is None else json.loads(str(payload))
        elif request.body_exists:
            sent = json.loads(await request.read() or b"null")
    answered: Any = None
    if isinstance(response, web.Response) and response.content_type == "application/json" and response.body:
        answered = json.loads(bytes(response.body))  # type: ignore[arg-type]
    resource = request.match_info.route.resource
    return Exchange(
        request.method,
        request.path.removeprefix(API),
        resource.canonical.removeprefix(API) if resource is not None else request.path,
        response.status,
        sent,
        answered,
    )


def permission_string(value: Any) -> str | None:
    """A permission set as Discord returns it: a decimal string (or null), whatever was sent."""
    return None if value is None else str(int(value))


def check_command(command: Mapping[str, Any]) -> None:
    """What Discord refuses when commands are registered: bad names, long descriptions, too many options."""
    name = str(command.get("name") or "")
    if command.get("type", 1) == 1 and (not 1 <= len(name) <= 32 or name != name.lower() or " " in name):
        raise ApiError(400, 50035, f"Invalid Form Body: bad command name {name!r}")
    description = str(command.get("description") or "")
    if command.get("type", 1) == 1 and not 1 <= len(description) <= 100:
        raise ApiError(400, 50035, f"Invalid Form Body: /{name} description must be 1-100 characters")
    options = command.get("options") or []
    if len(options) > 25:
        raise ApiError(400, 50035, f"Invalid Form Body: /{name} has more than 25 options")
    for option in options:
        check_command(
            {
                "name": option["name"],
                "description": option.get("description"),
                "options": option.get("options"),
            }
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


__all__ = ["FORUM", "TEXT", "CommandRejected", "CommandResult", "Exchange", "Sandbox", "Seed", "iso", "now"]
