"""The test driver: the half of :class:`~bot.sandbox.Sandbox`'s Python API that tests and the chat
use to act as members (send, edit, delete, open threads, run slash commands, press buttons, ask for
autocomplete choices), read channels, and wait until the bot has answered or is idle."""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.sandbox.commands import CommandRejected, Resolver, build_invocation, split_command_line
from bot.sandbox.faults import Faults
from bot.sandbox.gateway import Gateway
from bot.sandbox.host import InteractionRecord
from bot.sandbox.protocol import DEFERRED, ComponentType, InteractionType
from bot.sandbox.ratelimit import RateLimiter
from bot.sandbox.state import EPHEMERAL, THREADS, ApiError, Payload, World


@dataclass
class CommandResult:
    """What a member saw after running a command or pressing a button."""

    sandbox: Driver
    record: InteractionRecord
    failed: bool = False

    @property
    def messages(self) -> list[Payload]:
        """The messages the interaction produced (response and follow-ups) as they are now; deleted ones left out."""
        found = []
        for message_id in self.record.message_ids:
            with contextlib.suppress(ApiError):
                found.append(self.sandbox.world.message(self.record.channel_id, message_id))
        return found

    @property
    def ephemeral(self) -> bool:
        """Whether the response was only for the member who ran the command."""
        return self.record.ephemeral

    @property
    def seconds_to_answer(self) -> float | None:
        """From the interaction to its answer as the member sees it: the response, or for a
        deferred one ("thinking…") the last follow-up."""
        record = self.record
        if record.answered_at is None:
            return None
        done = record.last_activity if record.response_type in DEFERRED else record.answered_at
        return done - record.created_at

    @property
    def text(self) -> str:
        """Every message's content and embed text, for reading and assertions."""
        return "\n".join(message_text(m) for m in self.messages)

    @property
    def choices(self) -> list[Payload]:
        """An autocomplete's choices (``name`` and ``value``), empty for any other interaction."""
        return self.record.choices or []


def message_text(message: Payload) -> str:
    """A message's content, embed text and attachment names in one string, for reading and assertions."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    parts += [f"[file {a['filename']}]" for a in message.get("attachments") or []]
    return "\n".join(p for p in parts if p)


RESPONSE_QUIET = 0.15
"""Seconds without a request about an interaction after which its response is taken as complete."""
HANDLED_QUIET = 0.005
"""The same once the bot's handlers have all returned (see :attr:`Driver.handlers_running`): then
nothing more is coming, and the wait is only for a request already on its way (the privacy matrix
waits for some 280 responses in a row, each waiting this at least once)."""
HANDLER_PATIENCE = 2.0
"""Seconds a response waits for the bot's handlers to return before a quiet spell ends it anyway."""


class Driver:
    """Acting as members, reading, and waiting; mixed into :class:`~bot.sandbox.Sandbox`."""

    world: World
    gateway: Gateway
    limiter: RateLimiter
    faults: Faults
    interactions: dict[str, InteractionRecord]
    interaction_deadline: float
    interaction_clock: Callable[[], float]
    in_flight: int
    """REST requests being handled now."""
    last_activity: float
    changed: asyncio.Event
    """Set on every request and world change; :meth:`wait_until` re-checks then."""
    handlers_running: Callable[[], bool] | None = None
    """Set when the bot runs in this process and event loop (the tests' ``sandbox`` fixture):
    whether it is still running a handler (of an interaction or a gateway event). Once it is not,
    nothing more will come of what it was sent: waiting for a response need not wait out the
    whole quiet spell, and waiting for quiet waits for the handlers too."""

    # -- waiting --------------------------------------------------------------------------------

    def touch(self) -> None:
        """Note activity: a request came or went, or the world changed."""
        self.last_activity = time.monotonic()
        self.changed.set()

    async def wait_until(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Until ``predicate()`` holds, re-checked on every request and change; TimeoutError after
        ``within`` seconds."""
        async with asyncio.timeout(within):
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

    async def wait_idle(self, quiet: float = 0.2, within: float = 30.0) -> None:
        """Until the bot has made no request and been sent nothing for ``quiet`` seconds, with no
        request in flight and no rate-limit bucket it is likely waiting on; with the bot in this
        process, also until its handlers have returned (for up to HANDLER_PATIENCE more: an answer
        being worked out on a loaded machine makes no request for a while)."""
        deadline = time.monotonic() + within
        patience: float | None = None
        while True:
            moment = time.monotonic()
            busy_until = max(
                self.last_activity + quiet,
                self.limiter.exhausted_until() + quiet,
            )
            if self.in_flight == 0 and self.gateway.pending() == 0 and moment >= busy_until:
                if self.handlers_running is None or not self.handlers_running():
                    return
                patience = patience or moment + HANDLER_PATIENCE
                if moment >= patience:
                    return
                busy_until = moment  # check the handlers again shortly
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
        """A channel or thread by id or name."""
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
            channel_id,
            self._user_id(member),
            body,
            files=[(n, d, mimetypes.guess_type(n)[0]) for n, d in files],  # as a client labels an upload
        )

    def edit(self, member: str, message: Mapping[str, Any], content: str) -> Payload:
        """A member edits a message; the sandbox refuses another's (50005), as Discord does."""
        return self.world.edit_message(
            str(message["channel_id"]), str(message["id"]), self._user_id(member), {"content": content}
        )

    def delete(self, member: str, message: Mapping[str, Any]) -> None:
        """A member deletes a message: their own, or another's with Manage Messages."""
        self.world.delete_message(str(message["channel_id"]), str(message["id"]), self._user_id(member))

    def start_thread(self, member: str, message: Mapping[str, Any], name: str) -> Payload:
        """A member opens a thread from a message."""
        return self.world.start_thread(
            str(message["channel_id"]), str(message["id"]), self._user_id(member), name
        )

    def create_post(self, member: str, forum: str, name: str, content: str) -> tuple[Payload, Payload]:
        """A member opens a forum post: the thread and its first message."""
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
        record = self._interaction(
            InteractionType.APPLICATION_COMMAND,
            user_id,
            channel_id,
            invocation.data,
            " ".join(invocation.names),
        )
        return await self._await_response(record, deadline)

    async def autocomplete(
        self, member: str, channel: str, names: str, options: Mapping[str, Any], focused: str
    ) -> list[Payload]:
        """The choices the bot offers while ``focused`` is being typed."""
        user_id, channel_id = self._user_id(member), self._channel_id(channel)
        resolver = Resolver(self.world, self.world.channel(channel_id)["guild_id"])
        invocation = build_invocation(resolver, user_id, names.split(), options, focused=focused)
        record = self._interaction(
            InteractionType.APPLICATION_COMMAND_AUTOCOMPLETE, user_id, channel_id, invocation.data, names
        )
        result = await self._await_response(record, self.interaction_deadline)
        return result.choices

    async def press(
        self, member: str, message: Mapping[str, Any], button_name: str, *, deadline: float = 30.0
    ) -> CommandResult:
        """Press a button on a message (as it is now), named by its label or its custom id."""
        current = self.world.message(str(message["channel_id"]), str(message["id"]))
        if int(current.get("flags") or 0) & EPHEMERAL:
            # Discord shows an ephemeral message to the member it answered only: nobody else
            # can see it, let alone press its buttons.
            answered = ((current.get("interaction_metadata") or {}).get("user") or {}).get("id")
            if answered is not None and answered != self._user_id(member):
                raise CommandRejected("that message is visible only to the member it answered")
        buttons = [c for row in current.get("components") or [] for c in row.get("components") or []]
        button = next((b for b in buttons if button_name in (b.get("custom_id"), b.get("label"))), None)
        if button is None:
            raise CommandRejected(f"no button {button_name!r} on that message")
        if button.get("disabled"):
            raise CommandRejected("that button is disabled")
        data = {"custom_id": button["custom_id"], "component_type": ComponentType.BUTTON}
        record = self._interaction(
            InteractionType.MESSAGE_COMPONENT,
            self._user_id(member),
            str(current["channel_id"]),
            data,
            button_name,
            message=current,
        )
        return await self._await_response(record, deadline)

    def _interaction(
        self,
        kind: InteractionType,
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
        record.created_at = self.interaction_clock()
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
        if record.response_type in DEFERRED and not record.message_ids:
            with contextlib.suppress(TimeoutError):
                await self.wait_until(
                    lambda: bool(record.message_ids) or record.original_id is not None, deadline
                )
        # Follow-ups come over HTTP with no end marker: a quiet spell is the only sign. With the bot
        # in this process, its handler returning is a better one: the response is complete then,
        # or after the quiet spell once the handler has run HANDLER_PATIENCE longer (a Confirm
        # whose action waits for a locked database, say).
        patience = time.monotonic() + HANDLER_PATIENCE
        while True:
            quiet = time.monotonic() - record.last_activity
            if self.handlers_running is None:
                if quiet >= RESPONSE_QUIET:
                    break
                await asyncio.sleep(RESPONSE_QUIET - quiet)
                continue
            if quiet >= HANDLED_QUIET and not self.handlers_running():
                break
            if quiet >= RESPONSE_QUIET and time.monotonic() >= patience:
                break
            await asyncio.sleep(HANDLED_QUIET)
        return CommandResult(self, record)
