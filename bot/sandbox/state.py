"""The sandbox's world: users, guilds, channels, threads, messages and webhooks, kept as Discord's
own JSON payloads so that what the REST API and the gateway send is what is stored, and a snapshot
is just that JSON written to a file.

Every change goes through a method here, which checks it as Discord would (permissions, limits,
unknown objects) and announces it to the gateway as the event Discord sends.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox import permissions as perms
from bot.sandbox.protocol import ChannelType, MessageType, OverwriteType, ReferenceType, WebhookType

Payload = dict[str, Any]
Listener = Callable[[str, Payload, "str | None"], None]

DISCORD_EPOCH_MS = 1_420_070_400_000
TEXT, FORUM = ChannelType.GUILD_TEXT, ChannelType.GUILD_FORUM
PUBLIC_THREAD, PRIVATE_THREAD = ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD
ANNOUNCEMENT, ANNOUNCEMENT_THREAD = ChannelType.GUILD_ANNOUNCEMENT, ChannelType.ANNOUNCEMENT_THREAD
MEDIA = ChannelType.GUILD_MEDIA
THREADS = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
TEXT_LIKE = (TEXT, ANNOUNCEMENT)
"""Channels of messages, where a thread starts from a message (in an announcement channel, an
announcement thread, type 10)."""
FORUMS = (FORUM, MEDIA)
"""Channels of posts only: a media channel is a forum whose posts show as tiles (Discord's docs:
"similar to GUILD_FORUM channels"); posts are public threads (type 11) in both."""
DEFAULT, REPLY = MessageType.DEFAULT, MessageType.REPLY
THREAD_CREATED, CHAT_INPUT_COMMAND = MessageType.THREAD_CREATED, MessageType.CHAT_INPUT_COMMAND
EPHEMERAL = 1 << 6
HAS_THREAD = 1 << 5
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
REQUIRE_TAG = 1 << 4
"""Channel flag: a forum (or media channel) whose posts must carry a tag (code 40067 without)."""
MAX_WEBHOOKS = 15
"""Webhooks per channel (code 30007 beyond)."""

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class ApiError(Exception):
    """An answer Discord gives with an error status: ``{"message", "code"}`` and maybe ``errors``."""

    def __init__(self, status: int, code: int, message: str, errors: Payload | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> Payload:
        body: Payload = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(kind: str) -> ApiError:
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "User": 10013,
        "Webhook": 10015,
        "Interaction": 10062,
        "Application": 10002,
        "Attachment": 10049,
    }
    return ApiError(404, codes.get(kind, 10000), f"Unknown {kind}")


def invalid_form(field_name: str, code: str, message: str) -> ApiError:
    return ApiError(
        400, 50035, "Invalid Form Body", {field_name: {"_errors": [{"code": code, "message": message}]}}
    )


def webhook_name(field_name: str, name: str) -> str:
    """A webhook's name (``name`` on create, ``username`` on execute) as Discord keeps it, or the
    400 (code 50035) it answers: names are trimmed and runs of whitespace collapsed, must then be
    1-80 characters, may not contain "clyde" or "discord" in any case, and may not be "everyone"
    or "here" (Webhook resource, "Create Webhook"; User resource, "Usernames and Nicknames")."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 80:
        raise invalid_form(field_name, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    lowered = cleaned.lower()
    for word in ("clyde", "discord"):
        if word in lowered:
            raise invalid_form(field_name, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')
    if lowered in ("everyone", "here"):
        raise invalid_form(field_name, "USERNAME_INVALID", f'Username cannot be "{lowered}"')
    return cleaned


def iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def snowflake_time(snowflake: int | str) -> dt.datetime:
    return dt.datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, dt.UTC)


def thread_kind(parent: Mapping[str, Any]) -> int:
    """The type of a thread started in ``parent``: an announcement thread in an announcement
    channel, a public thread elsewhere (Discord's docs, "Start Thread from Message")."""
    return ANNOUNCEMENT_THREAD if parent["type"] == ANNOUNCEMENT else PUBLIC_THREAD


class Snowflakes:
    """Ids as Discord makes them: milliseconds since 2015 in the top bits, so they sort by time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> str:
        with self._lock:
            candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
            self._last = max(candidate, self._last + 1)
            return str(self._last)


@dataclass
class World:
    """Everything the sandbox knows. Ids are strings, as in Discord's JSON."""

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
    """Attachment contents by their URL path."""
    application_id: str = ""
    bot_id: str = ""
    base_url: str = "http://127.0.0.1"
    listeners: list[Listener] = field(default_factory=list, repr=False)
    ids: Snowflakes = field(default_factory=Snowflakes, repr=False)

    # -- events ---------------------------------------------------------------------------------

    def emit(self, event: str, data: Payload, channel_id: str | None = None) -> None:
        """Announce a change; ``channel_id`` limits it to those who can see that channel."""
        for listener in list(self.listeners):
            listener(event, data, channel_id)

    # -- people and places ----------------------------------------------------------------------

    def create_user(self, name: str, *, bot: bool = False, display_name: str | None = None) -> Payload:
        user: Payload = {
            "id": self.ids.next(),
            "username": name,
            "discriminator": "0",
            "global_name": display_name,
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }
        self.users[user["id"]] = user
        return user

    def create_guild(self, name: str, owner_id: str) -> Payload:
        guild_id = self.ids.next()
        guild: Payload = {
            "id": guild_id,
            "name": name,
            "icon": None,
            "owner_id": owner_id,
            "features": [],
            "emojis": [],
            "stickers": [],
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "premium_tier": 0,
            "nsfw_level": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "joined_at": iso(now()),
            # The rest of Discord's guild object (GET /guilds/{id}), as a plain new server has it.
            "description": None,
            "home_header": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "application_id": None,
            "region": "deprecated",
            "afk_channel_id": None,
            "system_channel_flags": 0,
            "widget_enabled": False,
            "widget_channel_id": None,
            "max_presences": None,
            "max_members": 500000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": None,
            "premium_subscription_count": 0,
            "rules_channel_id": None,
            "safety_alerts_channel_id": None,
            "public_updates_channel_id": None,
            "premium_progress_bar_enabled": False,
            "nsfw": False,
            "incidents_data": None,
        }
        self.guilds[guild_id] = guild
        self.roles[guild_id] = {}
        self.members[guild_id] = {}
        self._add_role(guild_id, guild_id, "@everyone", perms.EVERYONE_DEFAULT, position=0)
        return guild

    def _add_role(
        self, guild_id: str, role_id: str, name: str, permissions: int, *, position: int
    ) -> Payload:
        role = {
            "id": role_id,
            "name": name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "position": position,
            "permissions": str(permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }
        self.roles[guild_id][role_id] = role
        return role

    def create_role(self, guild_id: str, name: str, permissions: int) -> Payload:
        self.guild(guild_id)
        role = self._add_role(
            guild_id, self.ids.next(), name, permissions, position=len(self.roles[guild_id])
        )
        self.emit("GUILD_ROLE_CREATE", {"guild_id": guild_id, "role": role})
        return role

    def set_role_permissions(self, guild_id: str, role_id: str, permissions: int) -> None:
        role = self.roles[guild_id][role_id]
        role["permissions"] = str(permissions)
        self.emit("GUILD_ROLE_UPDATE", {"guild_id": guild_id, "role": role})

    def add_member(
        self, guild_id: str, user_id: str, roles: Iterable[str] = (), nick: str | None = None
    ) -> Payload:
        self.guild(guild_id)
        member = {
            "user": self.user(user_id),
            "nick": nick,
            "roles": list(roles),
            "joined_at": iso(now()),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "avatar": None,
            "banner": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }
        self.members[guild_id][user_id] = member
        return member

    def create_channel(
        self,
        guild_id: str,
        name: str,
        *,
        kind: int = TEXT,
        overwrites: Iterable[Payload] = (),
        tags: Iterable[str] = (),
    ) -> Payload:
        self.guild(guild_id)
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        channel: Payload = {
            "id": self.ids.next(),
            "type": kind,
            "guild_id": guild_id,
            "name": name,
            "position": sum(
                1 for c in self.channels.values() if c["guild_id"] == guild_id and c["type"] not in THREADS
            ),
            "permission_overwrites": list(overwrites),
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }
        if kind in FORUMS:
            channel |= {
                "available_tags": [
                    {
                        "id": self.ids.next(),
                        "name": tag,
                        "moderated": False,
                        "emoji_id": None,
                        "emoji_name": None,
                    }
                    for tag in tags
                ],
                "default_reaction_emoji": None,
                "default_sort_order": None,
                "default_forum_layout": 0,
                "default_thread_rate_limit_per_user": 0,
            }
        self.channels[channel["id"]] = channel
        self.messages[channel["id"]] = {}
        self.emit("CHANNEL_CREATE", channel)
        return channel

    def set_overwrite(
        self, channel_id: str, target_id: str, *, allow: int = 0, deny: int = 0, member: bool = False
    ) -> None:
        channel = self.channel(channel_id)
        rest = [o for o in channel["permission_overwrites"] if o["id"] != target_id]
        rest.append(
            {
                "id": target_id,
                "type": OverwriteType.MEMBER if member else OverwriteType.ROLE,
                "allow": str(allow),
                "deny": str(deny),
            }
        )
        channel["permission_overwrites"] = rest
        self.emit("CHANNEL_UPDATE", channel)

    # -- lookups --------------------------------------------------------------------------------

    def user(self, user_id: str) -> Payload:
        try:
            return self.users[str(user_id)]
        except KeyError:
            raise unknown("User") from None

    def guild(self, guild_id: str) -> Payload:
        try:
            return self.guilds[str(guild_id)]
        except KeyError:
            raise unknown("Guild") from None

    def channel(self, channel_id: str) -> Payload:
        try:
            return self.channels[str(channel_id)]
        except KeyError:
            raise unknown("Channel") from None

    def member(self, guild_id: str, user_id: str) -> Payload:
        try:
            return self.members[str(guild_id)][str(user_id)]
        except KeyError:
            raise unknown("Member") from None

    def message(self, channel_id: str, message_id: str) -> Payload:
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
        return self.channel(channel["parent_id"]) if channel["type"] in THREADS else channel

    def in_thread(self, thread_id: str, user_id: str) -> bool:
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
        return bool(self.permissions(user_id, channel_id) & perms.VIEW_CHANNEL)

    # -- messages -------------------------------------------------------------------------------

    def create_message(
        self,
        channel_id: str,
        author_id: str,
        body: Mapping[str, Any],
        *,
        files: Iterable[tuple[str, bytes, str | None]] = (),
        webhook: Payload | None = None,
        kind: int | None = None,
        check_permissions: bool = True,
        extra: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> Payload:
        """A message as ``POST /channels/{id}/messages`` (or a webhook, or a member) makes it."""
        channel = self.channel(channel_id)
        if channel["type"] in FORUMS:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        thread = channel if channel["type"] in THREADS else None
        if check_permissions and webhook is None:
            self.require(
                author_id, channel_id, perms.SEND_MESSAGES_IN_THREADS if thread else perms.SEND_MESSAGES
            )
        files = list(files)
        if thread is not None and check_permissions and webhook is None:
            self._check_not_locked(thread, author_id)
        reference = body.get("message_reference")
        # "When creating a message as a reply to another message, the current user must have the
        # READ_MESSAGE_HISTORY permission" (Create Message, Limitations): 160002.
        if (
            reference
            and reference.get("message_id")
            and check_permissions
            and webhook is None
            and not self.permissions(author_id, channel_id) & perms.READ_MESSAGE_HISTORY
        ):
            raise ApiError(403, 160002, "Cannot reply without permission to read message history")
        content = trimmed(body.get("content"))
        embeds = [trimmed_embed(e) for e in body.get("embeds") or []]
        check_message(content, embeds, files, body.get("sticker_ids"), body.get("components"))
        if thread is not None and thread["thread_metadata"]["archived"]:
            self._set_archived(thread, archived=False)  # sending unarchives (unless locked: above)
        attachments = self._store_files(channel_id, files, body.get("attachments"))
        message_id = message_id or self.ids.next()
        author = dict(self.user(author_id)) if webhook is None else self._webhook_author(webhook, body)
        message: Payload = {
            "id": message_id,
            "channel_id": channel_id,
            "guild_id": channel["guild_id"],
            "author": author,
            "content": content,
            "timestamp": iso(snowflake_time(message_id)),
            "edited_timestamp": None,
            "tts": False,
            "pinned": False,
            "type": DEFAULT if kind is None else kind,
            "flags": int(body.get("flags") or 0),
            "embeds": embeds,
            "attachments": attachments,
            "components": list(body.get("components") or []),
        }
        if webhook is not None:
            message["webhook_id"] = webhook["id"]
            if webhook.get("application_id"):
                message["application_id"] = webhook["application_id"]
        else:
            member = self.members[channel["guild_id"]].get(author_id)
            if member is not None:
                message["member"] = {k: v for k, v in member.items() if k != "user"}
        if (
            thread is not None
            and channel["parent_id"]
            and self.channel(channel["parent_id"])["type"] in FORUMS
        ):
            message["position"] = len(self.messages[channel_id])
        replied: Payload | None = None
        if reference and reference.get("message_id"):
            ref_channel = str(reference.get("channel_id") or channel_id)
            try:
                replied = self.message(ref_channel, str(reference["message_id"]))
            except ApiError:
                if reference.get("fail_if_not_exists", True):
                    raise invalid_form(
                        "message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                    ) from None
            if replied is not None:
                message["type"] = REPLY if kind is None else kind
                message["message_reference"] = {
                    "type": ReferenceType.DEFAULT,
                    "message_id": replied["id"],
                    "channel_id": replied["channel_id"],
                    "guild_id": channel["guild_id"],
                }
                message["referenced_message"] = {
                    k: v for k, v in replied.items() if k != "referenced_message"
                }
        if extra:
            message |= dict(extra)
        self._mentions(message, author_id, body.get("allowed_mentions"), replied, channel_id)
        if channel["type"] == PRIVATE_THREAD:
            # Mentioning someone in a private thread adds them, if they may see its channel.
            for user in message["mentions"]:
                if not self.in_thread(channel_id, user["id"]) and self.can_view(
                    user["id"], channel["parent_id"]
                ):
                    self._join_thread(channel, user["id"])
        self.messages[channel_id][message_id] = message
        channel["last_message_id"] = message_id
        if thread is not None:
            thread["message_count"] += 1
            thread["total_message_sent"] += 1
        if not message["flags"] & EPHEMERAL:
            self.emit("MESSAGE_CREATE", message, channel_id)
        return message

    def _check_not_locked(self, thread: Payload, user_id: str) -> None:
        """ "Users (including bot users) without the MANAGE_THREADS permission ... won't be able to
        create or update messages in locked threads" (Threads topic, "Locked Threads"): 160005,
        archived or not. The docs give the code, not the status; 403 is what is modelled."""
        if thread["thread_metadata"]["locked"] and not (
            self.permissions(user_id, thread["id"]) & perms.MANAGE_THREADS
        ):
            raise ApiError(403, 160005, "Thread is locked")

    def _webhook_author(self, webhook: Payload, body: Mapping[str, Any]) -> Payload:
        given = body.get("username")
        username = webhook["name"] if given is None else webhook_name("username", str(given))
        return {
            "id": webhook["id"],
            "username": username,
            "discriminator": "0000",
            "global_name": None,
            "avatar": None,
            "bot": True,
            "public_flags": 0,
            "flags": 0,
            "primary_guild": None,
        }

    def _store_files(
        self, channel_id: str, files: Iterable[tuple[str, bytes, str | None]], described: Any
    ) -> list[Payload]:
        stored = []
        descriptions = {str(a.get("id")): a for a in described or [] if isinstance(a, Mapping)}
        for index, (filename, data, content_type) in enumerate(files):
            attachment_id = self.ids.next()
            meta = descriptions.get(str(index), {})
            name = str(meta.get("filename") or filename)
            path = f"/attachments/{channel_id}/{attachment_id}/{name}"
            self.files[path] = data
            stored.append(
                {
                    "id": attachment_id,
                    "filename": name,
                    "size": len(data),
                    "url": self.base_url + path,
                    "proxy_url": self.base_url + path,
                }
                # Discord leaves out what is unknown rather than sending null.
                | ({} if content_type is None else {"content_type": content_type})
                | ({} if meta.get("description") is None else {"description": str(meta["description"])})
            )
        return stored

    def upload(
        self, filename: str, data: bytes, content_type: str | None = "text/plain; charset=utf-8"
    ) -> Payload:
        """An attachment not yet in any message: what a slash command's attachment option carries."""
        (attachment,) = self._store_files("uploads", [(filename, data, content_type)], None)
        return attachment

    def _mentions(
        self,
        message: Payload,
        author_id: str,
        allowed: Mapping[str, Any] | None,
        replied: Payload | None,
        channel_id: str,
    ) -> None:
        """Who the message pings, after ``allowed_mentions`` (Discord's default: everything parsed)."""
        content = message["content"]
        guild_id = message["guild_id"]
        parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse") or [])
        users_allowed = {str(u) for u in (allowed or {}).get("users") or []}
        roles_allowed = {str(r) for r in (allowed or {}).get("roles") or []}
        user_ids = []
        for found in _USER_MENTION.findall(content):
            if found in self.users and ("users" in parse or found in users_allowed) and found not in user_ids:
                user_ids.append(found)
        replied_user = True if allowed is None else bool(allowed.get("replied_user", False))
        if replied is not None and replied_user and not replied.get("webhook_id"):
            replied_author = replied["author"]["id"]
            if replied_author not in user_ids:
                user_ids.append(replied_author)
        role_ids = [
            r
            for r in _ROLE_MENTION.findall(content)
            if r in self.roles.get(guild_id, {}) and ("roles" in parse or r in roles_allowed)
        ]
        may_everyone = message.get("webhook_id") is not None or bool(
            self.permissions(author_id, channel_id) & perms.MENTION_EVERYONE
        )
        message["mentions"] = [self.user(u) for u in user_ids]
        message["mention_roles"] = role_ids
        message["mention_everyone"] = bool(
            "everyone" in parse and may_everyone and ("@everyone" in content or "@here" in content)
        )

    def edit_message(
        self, channel_id: str, message_id: str, editor_id: str, body: Mapping[str, Any]
    ) -> Payload:
        message = self.message(channel_id, message_id)
        if message["author"]["id"] != editor_id and message.get("webhook_id") != editor_id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        channel = self.channel(channel_id)
        if channel["type"] in THREADS and message.get("webhook_id") != editor_id:
            self._check_not_locked(channel, editor_id)
        if channel["type"] in THREADS and channel["thread_metadata"]["archived"]:
            raise ApiError(400, 50083, "Thread is archived")
        content = trimmed(body["content"]) if "content" in body else message["content"]
        embeds = [trimmed_embed(e) for e in body["embeds"] or []] if "embeds" in body else message["embeds"]
        components = list(body["components"] or []) if "components" in body else message["components"]
        check_message(content, embeds, message["attachments"], None, components)
        message |= {
            "content": content,
            "embeds": embeds,
            "components": components,
            "edited_timestamp": iso(now()),
        }
        self._mentions(message, editor_id, body.get("allowed_mentions"), None, channel_id)
        if not message["flags"] & EPHEMERAL:
            self.emit("MESSAGE_UPDATE", message, channel_id)
        return message

    def delete_message(self, channel_id: str, message_id: str, deleter_id: str) -> None:
        message = self.message(channel_id, message_id)
        own = message["author"]["id"] == deleter_id or message.get("webhook_id") == deleter_id
        if not own:
            self.require(deleter_id, channel_id, perms.MANAGE_MESSAGES)
        del self.messages[channel_id][message_id]
        channel = self.channel(channel_id)
        if channel["type"] in THREADS:
            channel["message_count"] = max(0, channel["message_count"] - 1)
        self.emit(
            "MESSAGE_DELETE",
            {"id": message_id, "channel_id": channel_id, "guild_id": channel["guild_id"]},
            channel_id,
        )

    def history(
        self,
        channel_id: str,
        *,
        before: str | None = None,
        after: str | None = None,
        around: str | None = None,
        limit: int = 50,
    ) -> list[Payload]:
        """Newest first, as Discord returns it; ``after`` gives the oldest ``limit`` after the id."""
        if not 1 <= limit <= 100:
            raise invalid_form("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
        ordered = sorted(self.messages[channel_id].values(), key=lambda m: int(m["id"]))
        ordered = [m for m in ordered if not m["flags"] & EPHEMERAL]
        if around is not None:
            pivot = int(around)
            older = [m for m in ordered if int(m["id"]) < pivot][-(limit // 2) :] if limit > 1 else []
            newer = [m for m in ordered if int(m["id"]) >= pivot][: limit - len(older)]
            return list(reversed(older + newer))
        if after is not None:
            return list(reversed([m for m in ordered if int(m["id"]) > int(after)][:limit]))
        if before is not None:
            ordered = [m for m in ordered if int(m["id"]) < int(before)]
        return list(reversed(ordered[-limit:]))

    # -- threads --------------------------------------------------------------------------------

    max_active_threads: int = 1000
    """Discord caps a guild's active threads (about 1,000; the docs give no figure): creating one
    more answers 400, code 160006. Tests lower it."""

    def _new_thread(
        self,
        thread_id: str,
        parent: Payload,
        owner_id: str,
        name: str,
        archive_minutes: int,
        *,
        kind: int = PUBLIC_THREAD,
    ) -> Payload:
        if not 1 <= len(name) <= 100:
            raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if len(self.active_threads(parent["guild_id"])) >= self.max_active_threads:
            raise ApiError(400, 160006, "Maximum number of active threads reached")
        if archive_minutes not in ARCHIVE_DURATIONS:
            raise invalid_form(
                "auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of (60, 1440, 4320, 10080)."
            )
        created = iso(now())
        thread: Payload = {
            "id": thread_id,
            "type": kind,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": owner_id,
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "applied_tags": [],
            "permission_overwrites": [],
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": archive_minutes,
                "archive_timestamp": created,
                "locked": False,
                "create_timestamp": created,
            },
        }
        if kind == PRIVATE_THREAD:
            thread["thread_metadata"]["invitable"] = True
        self.channels[thread_id] = thread
        self.messages[thread_id] = {}
        self.thread_members[thread_id] = {}
        return thread

    def start_thread(
        self, channel_id: str, message_id: str, user_id: str, name: str, archive_minutes: int = 1440
    ) -> Payload:
        """``POST /channels/{id}/messages/{id}/threads``: the thread gets the message's id."""
        channel = self.channel(channel_id)
        if channel["type"] not in TEXT_LIKE:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(user_id, channel_id, perms.CREATE_PUBLIC_THREADS)
        message = self.message(channel_id, message_id)
        if message_id in self.channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        thread = self._new_thread(
            message_id, channel, user_id, name, archive_minutes, kind=thread_kind(channel)
        )
        message["thread"] = thread
        message["flags"] |= HAS_THREAD
        self.emit("THREAD_CREATE", thread | {"newly_created": True}, thread["id"])
        self.emit("MESSAGE_UPDATE", message, channel_id)
        return thread

    def create_thread(self, channel_id: str, user_id: str, name: str, archive_minutes: int = 1440) -> Payload:
        """``POST /channels/{id}/threads`` in a text channel: a thread with a system message."""
        channel = self.channel(channel_id)
        if channel["type"] not in TEXT_LIKE:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(user_id, channel_id, perms.CREATE_PUBLIC_THREADS)
        thread = self._new_thread(
            self.ids.next(), channel, user_id, name, archive_minutes, kind=thread_kind(channel)
        )
        self.emit("THREAD_CREATE", thread | {"newly_created": True}, thread["id"])
        self.create_message(
            channel_id, user_id, {"content": name}, kind=THREAD_CREATED, check_permissions=False
        )
        return thread

    def create_private_thread(
        self, channel_id: str, user_id: str, name: str, archive_minutes: int = 1440, *, invitable: bool = True
    ) -> Payload:
        """``POST /channels/{id}/threads`` with ``type: 12``: a private thread, with no message in
        the channel; its creator is its first member."""
        channel = self.channel(channel_id)
        if channel["type"] != TEXT:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(user_id, channel_id, perms.CREATE_PRIVATE_THREADS)
        thread = self._new_thread(
            self.ids.next(), channel, user_id, name, archive_minutes, kind=PRIVATE_THREAD
        )
        thread["thread_metadata"]["invitable"] = invitable
        thread["member_count"] = 0
        self._join_thread(thread, user_id, announce=False)
        self.emit("THREAD_CREATE", thread | {"newly_created": True}, thread["id"])
        return thread

    def _join_thread(self, thread: Payload, user_id: str, *, announce: bool = True) -> None:
        members = self.thread_members.setdefault(thread["id"], {})
        if user_id in members:
            return
        member = {"id": thread["id"], "user_id": user_id, "join_timestamp": iso(now()), "flags": 0}
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

    def add_thread_member(self, thread_id: str, actor_id: str, user_id: str) -> None:
        """``PUT /channels/{id}/thread-members/{user}``: needs the right to send in the thread,
        an unarchived thread, and for a private thread that is not invitable, Manage Threads."""
        thread = self.channel(thread_id)
        if thread["type"] not in THREADS:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(actor_id, thread_id, perms.SEND_MESSAGES_IN_THREADS)
        if thread["thread_metadata"]["archived"]:
            raise ApiError(400, 50083, "Thread is archived")
        if (
            thread["type"] == PRIVATE_THREAD
            and not thread["thread_metadata"].get("invitable", True)
            and not self.permissions(actor_id, thread_id) & perms.MANAGE_THREADS
        ):
            raise ApiError(403, 50013, "Missing Permissions")
        self.member(thread["guild_id"], user_id)
        self._join_thread(thread, str(user_id))

    def thread_member(self, thread_id: str, user_id: str) -> Payload:
        """``GET /channels/{id}/thread-members/{user}``: the thread member, or 404 if not one."""
        thread = self.channel(thread_id)
        if thread["type"] not in THREADS:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        found = self.thread_members.get(thread_id, {}).get(str(user_id))
        if found is None:
            raise unknown("Member")
        return found

    def create_forum_post(
        self,
        forum_id: str,
        user_id: str,
        name: str,
        message_body: Mapping[str, Any],
        *,
        applied_tags: Iterable[str] = (),
        archive_minutes: int = 1440,
        files: Iterable[tuple[str, bytes, str | None]] = (),
        webhook: Payload | None = None,
    ) -> tuple[Payload, Payload]:
        """``POST /channels/{forum}/threads``: the post (a thread) and its starter message, same id."""
        forum = self.channel(forum_id)
        if forum["type"] not in FORUMS:
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if webhook is None:
            self.require(user_id, forum_id, perms.SEND_MESSAGES)
        tags = [str(t) for t in applied_tags]
        known = {t["id"]: t for t in forum["available_tags"]}
        if len(tags) > 5 or not set(tags) <= set(known):
            raise invalid_form("applied_tags", "BASE_TYPE_CHOICES", "Unknown or too many tags.")
        if not tags and forum.get("flags", 0) & REQUIRE_TAG:
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        if (
            webhook is None
            and any(known[t].get("moderated") for t in tags)
            and not self.permissions(user_id, forum_id) & perms.MANAGE_THREADS
        ):
            # A moderated tag "can only be added to or removed from threads by a member with the
            # MANAGE_THREADS permission" (Channel resource, Forum Tag Object).
            raise ApiError(403, 50013, "Missing Permissions")
        check_message(
            trimmed(message_body.get("content")),
            [trimmed_embed(e) for e in message_body.get("embeds") or []],
            list(files),
            None,
            None,
        )
        thread_id = self.ids.next()
        thread = self._new_thread(
            thread_id, forum, webhook["id"] if webhook else user_id, name, archive_minutes
        )
        thread["applied_tags"] = tags
        forum["last_message_id"] = thread_id
        self.emit("THREAD_CREATE", thread | {"newly_created": True}, thread_id)
        message = self.create_message(
            thread_id,
            user_id,
            message_body,
            files=files,
            webhook=webhook,
            check_permissions=False,
            message_id=thread_id,  # the starter message takes the post's id, as on Discord
        )
        return thread, message

    def update_thread(self, thread_id: str, user_id: str, body: Mapping[str, Any]) -> Payload:
        thread = self.channel(thread_id)
        if thread["type"] not in THREADS:
            return self._update_channel(thread, user_id, body)
        meta = thread["thread_metadata"]
        own = thread["owner_id"] == user_id
        if not own:
            self.require(user_id, thread_id, perms.MANAGE_THREADS)
        if "name" in body:
            name = str(body["name"])
            if not 1 <= len(name) <= 100:
                raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
            thread["name"] = name
        if "locked" in body:
            meta["locked"] = bool(body["locked"])
        if "auto_archive_duration" in body:
            meta["auto_archive_duration"] = int(body["auto_archive_duration"])
        if "applied_tags" in body:
            thread["applied_tags"] = [str(t) for t in body["applied_tags"]]
        if "archived" in body and bool(body["archived"]) != meta["archived"]:
            self._set_archived(thread, archived=bool(body["archived"]), announce=False)
        self.emit("THREAD_UPDATE", thread, thread_id)
        return thread

    def _update_channel(self, channel: Payload, user_id: str, body: Mapping[str, Any]) -> Payload:
        self.require(user_id, channel["id"], perms.MANAGE_CHANNELS)
        for key in ("name", "topic", "available_tags", "permission_overwrites"):
            if key in body:
                channel[key] = body[key]
        self.emit("CHANNEL_UPDATE", channel)
        return channel

    def _set_archived(self, thread: Payload, *, archived: bool, announce: bool = True) -> None:
        thread["thread_metadata"]["archived"] = archived
        thread["thread_metadata"]["archive_timestamp"] = iso(now())
        if announce:
            self.emit("THREAD_UPDATE", thread, thread["id"])

    def archive_thread(self, thread_id: str) -> None:
        """What Discord's auto-archive does after the thread's inactivity period."""
        self._set_archived(self.channel(thread_id), archived=True)

    def active_threads(self, guild_id: str) -> list[Payload]:
        return [
            c
            for c in self.channels.values()
            if c["guild_id"] == guild_id and c["type"] in THREADS and not c["thread_metadata"]["archived"]
        ]

    def archived_threads(
        self, channel_id: str, *, before: str | None, limit: int
    ) -> tuple[list[Payload], bool]:
        """Archived public threads of a channel, latest archived first, paged by archive time."""
        threads = sorted(
            (
                c
                for c in self.channels.values()
                if c.get("parent_id") == channel_id
                and c["type"] in (PUBLIC_THREAD, ANNOUNCEMENT_THREAD)
                and c["thread_metadata"]["archived"]
            ),
            key=lambda c: (c["thread_metadata"]["archive_timestamp"], c["id"]),
            reverse=True,
        )
        if before is not None:
            threads = [c for c in threads if c["thread_metadata"]["archive_timestamp"] < before]
        return threads[:limit], len(threads) > limit

    # -- webhooks -------------------------------------------------------------------------------

    owner_mfa_enabled: bool = True
    """Whether the bot's owner has two-factor authentication on. In a guild whose ``mfa_level`` is
    1 (server-wide 2FA for moderation), Discord lets a bot use the permissions the Permissions page
    marks with * (Manage Webhooks among them) only if its owner has 2FA: else 403, code 60003."""

    def require_owner_mfa(self, user_id: str, guild_id: str) -> None:
        """403, code 60003, for an elevated action by the bot whose owner lacks 2FA in a guild
        that requires 2FA for moderation (OAuth2 topic, "Two-Factor Authentication Requirement")."""
        if (
            str(user_id) == self.bot_id
            and self.guild(guild_id).get("mfa_level") == 1
            and not self.owner_mfa_enabled
        ):
            raise ApiError(403, 60003, "Two factor is required for this operation")

    def create_webhook(
        self, channel_id: str, user_id: str, name: str, application_id: str | None = None
    ) -> Payload:
        channel = self.channel(channel_id)
        if channel["type"] not in (*TEXT_LIKE, *FORUMS):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        self.require(user_id, channel_id, perms.MANAGE_WEBHOOKS)
        self.require_owner_mfa(user_id, channel["guild_id"])
        name = webhook_name("name", name)
        if sum(1 for w in self.webhooks.values() if w["channel_id"] == channel_id) >= MAX_WEBHOOKS:
            raise ApiError(400, 30007, f"Maximum number of webhooks reached ({MAX_WEBHOOKS})")
        webhook = {
            "id": self.ids.next(),
            "type": WebhookType.INCOMING,
            "guild_id": channel["guild_id"],
            "channel_id": channel_id,
            "user": self.user(user_id),
            "name": name,
            "avatar": None,
            "token": secrets.token_urlsafe(32),
            "application_id": application_id,
        }
        self.webhooks[webhook["id"]] = webhook
        self.emit("WEBHOOKS_UPDATE", {"guild_id": channel["guild_id"], "channel_id": channel_id}, channel_id)
        return webhook

    def channel_webhooks(self, channel_id: str, user_id: str) -> list[Payload]:
        channel = self.channel(channel_id)
        self.require(user_id, channel_id, perms.MANAGE_WEBHOOKS)
        self.require_owner_mfa(user_id, channel["guild_id"])
        return [
            w
            for w in self.webhooks.values()
            if w["channel_id"] == channel_id and w["type"] == WebhookType.INCOMING
        ]

    def webhook(self, webhook_id: str, token: str | None = None) -> Payload:
        found = self.webhooks.get(str(webhook_id))
        if found is None or (token is not None and not secrets.compare_digest(found["token"], token)):
            raise unknown("Webhook")
        return found

    def execute_webhook(
        self,
        webhook: Payload,
        body: Mapping[str, Any],
        *,
        thread_id: str | None = None,
        files: Iterable[tuple[str, bytes, str | None]] = (),
    ) -> Payload:
        parent = self.channel(webhook["channel_id"])
        if isinstance(body.get("content"), str):
            # Discord keeps a message's content trimmed of surrounding whitespace.
            body = dict(body) | {"content": body["content"].strip()}
        if parent["type"] in FORUMS and thread_id is None:
            name = body.get("thread_name")
            if not name:
                raise ApiError(
                    400, 220001, "Webhooks posted to forum channels must have a thread_name or thread_id"
                )
            _, message = self.create_forum_post(
                parent["id"],
                webhook["id"],
                str(name),
                body,
                applied_tags=body.get("applied_tags") or (),
                files=files,
                webhook=webhook,
            )
            return message
        target = parent["id"]
        if thread_id is not None:
            thread = self.channel(thread_id)
            if thread.get("parent_id") != parent["id"]:
                raise unknown("Channel")
            target = thread_id
        return self.create_message(target, webhook["id"], body, files=files, webhook=webhook)

    # -- snapshots ------------------------------------------------------------------------------

    _SAVED = (
        "users",
        "guilds",
        "roles",
        "members",
        "channels",
        "messages",
        "webhooks",
        "commands",
        "thread_members",
        "application_id",
        "bot_id",
    )

    def save(self, path: Path) -> None:
        """Write the world as JSON (attachment contents are not kept), atomically."""
        data = {name: getattr(self, name) for name in self._SAVED}
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> World:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{name: data[name] for name in cls._SAVED if name in data})


def trimmed(value: Any) -> str:
    """Text as Discord keeps it: leading and trailing whitespace removed. The Embed Limits section
    says so of embed text; message content is trimmed the same way (a whitespace-only message is
    refused as empty, 50006). Python's notion of whitespace stands in for Discord's."""
    return str(value or "").strip()


def trimmed_embed(embed: Mapping[str, Any]) -> Payload:
    """An embed with the text Discord measures (title, description, field names and values,
    footer text, author name) trimmed, as Discord stores it."""
    out: Payload = dict(embed)
    for key in ("title", "description"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    if isinstance(out.get("fields"), list):
        out["fields"] = [
            {k: (v.strip() if k in ("name", "value") and isinstance(v, str) else v) for k, v in f.items()}
            for f in out["fields"]
            if isinstance(f, Mapping)
        ]
    for key, inner in (("footer", "text"), ("author", "name")):
        part = out.get(key)
        if isinstance(part, Mapping) and isinstance(part.get(inner), str):
            out[key] = dict(part) | {inner: part[inner].strip()}
    return out


def _form_error(path: tuple[str | int, ...], code: str, message: str) -> ApiError:
    """400 Invalid Form Body with Discord's nested ``errors`` object: one level per key or
    index of ``path``, ``_errors`` at the leaf."""
    errors: Payload = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return ApiError(400, 50035, "Invalid Form Body", errors)


EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_PART_LIMITS = {("footer", "text"): 2048, ("author", "name"): 256}
EMBED_FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000


def _too_long(path: tuple[str | int, ...], limit: int) -> ApiError:
    return _form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def check_message(
    content: str, embeds: list[Payload], attachments: list[Any], stickers: Any, components: Any
) -> None:
    """Discord's limits on one message (Message resource, "Embed Limits"; Create Message): 400
    Invalid Form Body (50035, with the nested ``errors``) when broken, 50006 when empty. Text is
    measured after trimming (see :func:`trimmed`)."""
    if len(content) > 2000:
        raise _too_long(("content",), 2000)
    if len(embeds) > 10:
        raise _too_long(("embeds",), 10)
    total = 0
    for number, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            value = str(embed.get(key) or "")
            total += len(value)
            if len(value) > limit:
                raise _too_long(("embeds", number, key), limit)
        fields = list(embed.get("fields") or [])
        if len(fields) > EMBED_FIELDS_MAX:
            raise _too_long(("embeds", number, "fields"), EMBED_FIELDS_MAX)
        for field_number, embed_field in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = str(embed_field.get(key) or "")
                total += len(value)
                if len(value) > limit:
                    raise _too_long(("embeds", number, "fields", field_number, key), limit)
        for (key, inner), limit in EMBED_PART_LIMITS.items():
            value = str((embed.get(key) or {}).get(inner) or "")
            total += len(value)
            if len(value) > limit:
                raise _too_long(("embeds", number, key, inner), limit)
    if total > EMBED_TOTAL_MAX:
        raise _form_error(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        )
    if not content and not embeds and not attachments and not stickers and not components:
        raise ApiError(400, 50006, "Cannot send an empty message")
