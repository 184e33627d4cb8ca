"""Threads and forum posts: starting, creating, joining, updating, archiving and listing them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox import permissions as perms
from bot.sandbox.world.common import (
    ANNOUNCEMENT_THREAD,
    ARCHIVE_DURATIONS,
    FORUMS,
    HAS_THREAD,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    REQUIRE_TAG,
    TEXT,
    TEXT_LIKE,
    THREAD_CREATED,
    THREADS,
    ApiError,
    Payload,
    invalid_form,
    iso,
    thread_kind,
    unknown,
)
from bot.sandbox.world.messages import Messages
from bot.sandbox.world.validation import check_message, trimmed, trimmed_embed


class Threads(Messages):
    """Threads and forum posts: starting, creating, joining, updating, archiving and listing them."""

    # -- threads --------------------------------------------------------------------------------

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
        created = iso(self.now())
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
        """Change a thread as Discord's Modify Channel does: its owner, or with MANAGE_THREADS; a name outside
        1-100 characters is refused (50035). A channel that is not a thread is updated as a channel."""
        thread = self.channel(thread_id)
        if thread["type"] not in THREADS:
            return self._update_channel(thread, user_id, body)
        meta = thread["thread_metadata"]
        own = thread["owner_id"] == user_id
        # Modify Channel (thread): ``locked`` is a MANAGE_THREADS field, for the owner too.
        if not own or ("locked" in body and bool(body["locked"]) != meta["locked"]):
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

    def archive_thread(self, thread_id: str) -> None:
        """What Discord's auto-archive does after the thread's inactivity period."""
        self._set_archived(self.channel(thread_id), archived=True)

    def active_threads(self, guild_id: str) -> list[Payload]:
        """The server's threads that are not archived (what List Active Guild Threads returns, before
        visibility)."""
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
