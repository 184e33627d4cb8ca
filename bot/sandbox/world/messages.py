"""Messages: posting (as a member, the bot or a webhook), attachments, mentions, editing,
deleting and history, each checked as Discord checks it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox import permissions as perms
from bot.sandbox.protocol import ReferenceType
from bot.sandbox.world.common import (
    DEFAULT,
    EPHEMERAL,
    FORUMS,
    PRIVATE_THREAD,
    REPLY,
    THREADS,
    ApiError,
    Payload,
    invalid_form,
    iso,
    snowflake_time,
    webhook_name,
)
from bot.sandbox.world.core import WorldCore
from bot.sandbox.world.validation import check_message, trimmed, trimmed_embed

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


class Messages(WorldCore):
    """Messages: posting (as a member, the bot or a webhook), attachments, mentions, editing,
    deleting and history, each refused as Discord refuses it."""

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
            "components": numbered(body.get("components") or []),
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
        """Discord's Threads topic ("Locked Threads"): "Users (including bot users) without the
        MANAGE_THREADS permission ... won't be able to create or update messages in locked threads": 160005,
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
                    "url": self.cdn.sign(self.base_url, path),
                    "proxy_url": self.cdn.sign(self.base_url, path),
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
        """Edit a message as Discord does: only its author (or its webhook) may; not in a locked thread
        without MANAGE_THREADS, nor in an archived one (50083); the result must pass the message limits."""
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
        components = numbered(body["components"] or []) if "components" in body else message["components"]
        check_message(content, embeds, message["attachments"], None, components)
        message |= {
            "content": content,
            "embeds": embeds,
            "components": components,
            "edited_timestamp": iso(self.now()),
        }
        self._mentions(message, editor_id, body.get("allowed_mentions"), None, channel_id)
        if not message["flags"] & EPHEMERAL:
            self.emit("MESSAGE_UPDATE", message, channel_id)
        return message

    def delete_message(self, channel_id: str, message_id: str, deleter_id: str) -> None:
        """Delete a message: anyone's own, others' only with MANAGE_MESSAGES; sends MESSAGE_DELETE to those
        who can see the channel."""
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


def numbered(components: list[Payload]) -> list[Payload]:
    """The components as Discord keeps them: each with its ``id``, a 32-bit integer unique within
    the message, generated in order where the sender left it out, never reusing one the sender
    gave (Discord's docs, "Anatomy of a Component"; discord.py's views leave it out)."""
    taken: set[int] = set()

    def given(items: list[Payload]) -> None:
        for item in items:
            if isinstance(item.get("id"), int):
                taken.add(item["id"])
            given(list(item.get("components") or []))

    given(components)
    counter = 0

    def fill(items: list[Payload]) -> list[Payload]:
        nonlocal counter
        filled = []
        for item in items:
            copy = dict(item)
            if not isinstance(copy.get("id"), int):
                counter += 1
                while counter in taken:
                    counter += 1
                copy["id"] = counter
            if "components" in copy:
                copy["components"] = fill(list(copy["components"] or []))
            filled.append(copy)
        return filled

    return fill(list(components))
