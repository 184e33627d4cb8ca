"""Webhooks: creating, listing and executing them (into a channel, a thread or a new forum post)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from bot.sandbox import permissions as perms
from bot.sandbox.protocol import WebhookType
from bot.sandbox.world.common import FORUMS, MAX_WEBHOOKS, TEXT_LIKE, ApiError, Payload, unknown, webhook_name
from bot.sandbox.world.threads import Threads


class Webhooks(Threads):
    """Webhooks: creating, listing and executing them (into a channel, a thread or a new forum post)."""

    # -- webhooks -------------------------------------------------------------------------------

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
        """Create an incoming webhook in a text or forum channel as Discord does: MANAGE_WEBHOOKS, the
        bot owner's 2FA where the server requires it (60003), at most ``MAX_WEBHOOKS`` per channel (30007)."""
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
            "type": WebhookType.GUILD_INCOMING,
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
        """The channel's incoming webhooks (tokens included) for a user with MANAGE_WEBHOOKS."""
        channel = self.channel(channel_id)
        self.require(user_id, channel_id, perms.MANAGE_WEBHOOKS)
        self.require_owner_mfa(user_id, channel["guild_id"])
        return [
            w
            for w in self.webhooks.values()
            if w["channel_id"] == channel_id and w["type"] == WebhookType.GUILD_INCOMING
        ]

    def webhook(self, webhook_id: str, token: str | None = None) -> Payload:
        """The webhook ``webhook_id``, checking ``token`` when given (in constant time); Discord's 404 Unknown
        Webhook otherwise."""
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
        """Post through the webhook, as Discord's Execute Webhook does: in a forum it starts a post and needs
        ``thread_name`` or ``thread_id`` (220001)."""
        parent = self.channel(webhook["channel_id"])
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
