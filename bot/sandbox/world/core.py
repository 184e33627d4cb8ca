"""The world's state (users, guilds, channels, messages, webhooks, as Discord's JSON), events,
lookups, and permissions: what every part of the world reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.sandbox import permissions as perms
from bot.sandbox.world.cdn import Cdn
from bot.sandbox.world.common import (
    PRIVATE_THREAD,
    THREADS,
    ApiError,
    Listener,
    Payload,
    Snowflakes,
    SystemTime,
    WorldClock,
    iso,
    unknown,
)


@dataclass
class WorldCore:
    """Everything the sandbox knows, and how to look it up. Ids are strings, as in Discord's JSON.

    The world's state lives here; what changes it is in the mixins :class:`~bot.sandbox.state.World`
    combines (places, messages, threads, webhooks)."""

    users: dict[str, Payload] = field(default_factory=dict)
    guilds: dict[str, Payload] = field(default_factory=dict)
    roles: dict[str, dict[str, Payload]] = field(default_factory=dict)
    members: dict[str, dict[str, Payload]] = field(default_factory=dict)
    channels: dict[str, Payload] = field(default_factory=dict)
    messages: dict[str, dict[str, Payload]] = field(default_factory=dict)
    webhooks: dict[str, Payload] = field(default_factory=dict)
    commands: dict[str, list[Payload]] = field(default_factory=dict)
    """Application commands by scope: ``"global"`` or a guild id."""
    thread_members: dict[str, dict[str, Payload]] = field(default_factory=dict)
    """Thread member objects by thread id, then user id."""
    files: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Attachment contents by their URL path (without the signature's query)."""
    clock: WorldClock = field(default_factory=SystemTime, repr=False)
    """The world's time: ids, timestamps and CDN expiry are read from it (the system's clock unless
    a test gives its own, the one it gives the bot). Replacing it later is allowed, but ids made
    before stay as they are: a clock put back keeps ids increasing, not their times right."""
    application_id: str = ""
    bot_id: str = ""
    base_url: str = "http://127.0.0.1"
    listeners: list[Listener] = field(default_factory=list, repr=False)
    ids: Snowflakes = field(init=False, repr=False)
    cdn: Cdn = field(init=False, repr=False)
    """Signs attachment links and refuses them once expired (Discord's signed CDN URLs)."""

    max_active_threads: int = 1000
    """Discord caps a guild's active threads (about 1,000; the docs give no figure): creating one
    more answers 400, code 160006. Tests lower it."""

    owner_mfa_enabled: bool = True
    """Whether the bot's owner has two-factor authentication on. In a guild whose ``mfa_level`` is
    1 (server-wide 2FA for moderation), Discord lets a bot use the permissions the Permissions page
    marks with * (Manage Webhooks among them) only if its owner has 2FA: else 403, code 60003."""

    def __post_init__(self) -> None:
        self.ids = Snowflakes(self.now)
        self.ids.seen(self._known_ids())
        self.cdn = Cdn(self.now)

    def now(self) -> dt.datetime:
        """The world's time (:attr:`clock`), aware and in UTC."""
        return self.clock.now()

    def _known_ids(self) -> list[str]:
        """Every id the world holds (a loaded snapshot's), so new ones come after them."""
        found = [*self.users, *self.guilds, *self.channels, *self.webhooks]
        found.extend(role for roles in self.roles.values() for role in roles)
        found.extend(message for messages in self.messages.values() for message in messages)
        found.extend(str(c["id"]) for commands in self.commands.values() for c in commands if "id" in c)
        return [i for i in found if i.isdigit()]

    # -- events ---------------------------------------------------------------------------------

    def emit(self, event: str, data: Payload, channel_id: str | None = None) -> None:
        """Announce a change; ``channel_id`` limits it to those who can see that channel."""
        for listener in list(self.listeners):
            listener(event, data, channel_id)

    def file_at(self, url: str) -> bytes:
        """The bytes of an attachment by its link (signed or not): for tests and the chat, which
        read the world directly rather than through the CDN."""
        return self.files[url.removeprefix(self.base_url).split("?", 1)[0]]

    # -- lookups --------------------------------------------------------------------------------

    def user(self, user_id: str) -> Payload:
        """The user ``user_id``, or Discord's 404 Unknown User (10013)."""
        try:
            return self.users[str(user_id)]
        except KeyError:
            raise unknown("User") from None

    def guild(self, guild_id: str) -> Payload:
        """The server ``guild_id``, or Discord's 404 Unknown Guild (10004)."""
        try:
            return self.guilds[str(guild_id)]
        except KeyError:
            raise unknown("Guild") from None

    def channel(self, channel_id: str) -> Payload:
        """The channel or thread ``channel_id``, or Discord's 404 Unknown Channel (10003)."""
        try:
            return self.channels[str(channel_id)]
        except KeyError:
            raise unknown("Channel") from None

    def member(self, guild_id: str, user_id: str) -> Payload:
        """The member ``user_id`` of ``guild_id``, or Discord's 404 Unknown Member (10007)."""
        try:
            return self.members[str(guild_id)][str(user_id)]
        except KeyError:
            raise unknown("Member") from None

    def message(self, channel_id: str, message_id: str) -> Payload:
        """The message ``message_id`` in ``channel_id``, or Discord's 404 Unknown Message (10008)."""
        try:
            return self.messages[str(channel_id)][str(message_id)]
        except KeyError:
            raise unknown("Message") from None

    def find_user(self, name: str) -> Payload:
        """A user by name or display name (for scripts and the terminal chat)."""
        wanted = name.lstrip("@").lower()
        for user in self.users.values():
            if wanted in (user["username"].lower(), (user["global_name"] or "").lower()):
                return user
        raise KeyError(f"no member called {name!r}")

    def find_channel(self, name: str, guild_id: str | None = None) -> Payload:
        """A channel or thread by name; the newest wins when names repeat."""
        wanted = name.lstrip("#").lower()
        found = [
            c
            for c in self.channels.values()
            if c["name"].lower() == wanted and (guild_id is None or c["guild_id"] == guild_id)
        ]
        if not found:
            raise KeyError(f"no channel or thread called {name!r}")
        return max(found, key=lambda c: int(c["id"]))

    def parent_of(self, channel: Payload) -> Payload:
        """The channel whose overwrites apply: a thread's parent, else the channel itself."""
        return self.channel(channel["parent_id"]) if channel["type"] in THREADS else channel

    def in_thread(self, thread_id: str, user_id: str) -> bool:
        """Whether the user has joined the thread (a private thread is visible only to its members and
        moderators)."""
        return str(user_id) in self.thread_members.get(str(thread_id), {})

    # -- permissions ----------------------------------------------------------------------------

    def permissions(self, user_id: str, channel_id: str | None, guild_id: str | None = None) -> int:
        """What ``user_id`` may do in a channel (or in the guild, for ``channel_id=None``)."""
        private: Payload | None = None
        if channel_id is not None:
            private = self.channel(channel_id)
            if private["type"] != PRIVATE_THREAD:
                private = None
            channel = self.parent_of(self.channel(channel_id))
            guild_id = channel["guild_id"]
        assert guild_id is not None
        guild = self.guild(guild_id)
        member = self.members[guild_id].get(str(user_id))
        if member is None:
            return 0
        base = perms.base_permissions(guild, self.roles[guild_id], member["roles"], str(user_id))
        if channel_id is None:
            return base
        value = perms.channel_permissions(
            base, channel["permission_overwrites"], guild_id, member["roles"], str(user_id)
        )
        if (
            private is not None
            and not value & perms.MANAGE_THREADS
            and not self.in_thread(private["id"], user_id)
        ):
            return 0  # a private thread: its members and those who manage threads only
        return value

    def require(self, user_id: str, channel_id: str, needed: int) -> None:
        """403 as Discord answers it: Missing Access without View Channel, else Missing Permissions."""
        have = self.permissions(user_id, channel_id)
        if not have & perms.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if have & needed != needed:
            raise ApiError(403, 50013, "Missing Permissions")

    def can_view(self, user_id: str, channel_id: str) -> bool:
        """Whether the user may see the channel (VIEW_CHANNEL after overwrites); events of channels they
        cannot see are not sent to them."""
        return bool(self.permissions(user_id, channel_id) & perms.VIEW_CHANNEL)

    # -- thread state: what a message or a thread change does to a thread ----------------------

    def _join_thread(self, thread: Payload, user_id: str, *, announce: bool = True) -> None:
        members = self.thread_members.setdefault(thread["id"], {})
        if user_id in members:
            return
        member = {"id": thread["id"], "user_id": user_id, "join_timestamp": iso(self.now()), "flags": 0}
        members[user_id] = member
        thread["member_count"] = len(members)
        if announce and user_id == self.bot_id:
            # "Whenever a user is added to a private thread, the Gateway also sends a Thread Create."
            self.emit("THREAD_CREATE", thread | {"member": member}, thread["id"])
        if announce:
            self.emit(
                "THREAD_MEMBERS_UPDATE",
                {
                    "id": thread["id"],
                    "guild_id": thread["guild_id"],
                    "member_count": len(members),
                    "added_members": [member],
                },
                thread["id"],
            )

    def _set_archived(self, thread: Payload, *, archived: bool, announce: bool = True) -> None:
        thread["thread_metadata"]["archived"] = archived
        thread["thread_metadata"]["archive_timestamp"] = iso(self.now())
        if announce:
            self.emit("THREAD_UPDATE", thread, thread["id"])
