"""Discord's REST API v10 as the sandbox answers it: one module per resource, each holding that
resource's handlers, and one route table here that :meth:`~bot.sandbox.Sandbox.start` registers.

A handler is ``async (sandbox, request) -> response``; it raises :class:`~bot.sandbox.ApiError` for
what Discord refuses, and the middleware turns that into Discord's JSON error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.sandbox.api import applications, channels, guilds, interactions, threads, users, webhooks
from bot.sandbox.host import Host
from bot.sandbox.middleware import API

ApiHandler = Callable[[Host, web.Request], Awaitable[web.StreamResponse]]

_APP = "/applications/{application_id}"
_CHANNEL = "/channels/{channel_id}"
_WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"

ROUTES: tuple[tuple[str, str, ApiHandler], ...] = (
    ("GET", "/gateway", users.get_gateway),
    ("GET", "/gateway/bot", users.get_gateway_bot),
    ("GET", "/users/@me", users.me),
    ("GET", "/users/{user_id}", users.get_user),
    ("GET", "/oauth2/applications/@me", applications.application),
    ("GET", "/applications/@me", applications.application),
    ("PUT", f"{_APP}/commands", applications.put_commands),
    ("GET", f"{_APP}/commands", applications.get_commands),
    ("PUT", f"{_APP}/guilds/{{guild_id}}/commands", applications.put_commands),
    ("GET", f"{_APP}/guilds/{{guild_id}}/commands", applications.get_commands),
    ("POST", "/interactions/{interaction_id}/{interaction_token}/callback", interactions.callback),
    ("GET", "/guilds/{guild_id}", guilds.get_guild),
    ("GET", "/guilds/{guild_id}/channels", guilds.guild_channels),
    ("GET", "/guilds/{guild_id}/members/{user_id}", guilds.get_member),
    ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", guilds.member_role),
    ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", guilds.member_role),
    ("GET", "/guilds/{guild_id}/threads/active", guilds.active_threads),
    ("GET", _CHANNEL, channels.get_channel),
    ("PATCH", _CHANNEL, channels.patch_channel),
    ("GET", f"{_CHANNEL}/messages", channels.history),
    ("POST", f"{_CHANNEL}/messages", channels.post_message),
    ("GET", f"{_CHANNEL}/messages/{{message_id}}", channels.get_message),
    ("PATCH", f"{_CHANNEL}/messages/{{message_id}}", channels.patch_message),
    ("DELETE", f"{_CHANNEL}/messages/{{message_id}}", channels.delete_message),
    ("POST", f"{_CHANNEL}/messages/{{message_id}}/threads", threads.start_thread),
    ("POST", f"{_CHANNEL}/threads", threads.create_thread),
    ("GET", f"{_CHANNEL}/threads/archived/public", threads.archived_threads),
    ("PUT", f"{_CHANNEL}/thread-members/@me", channels.no_content),
    ("PUT", f"{_CHANNEL}/thread-members/{{user_id}}", threads.add_thread_member),
    ("GET", f"{_CHANNEL}/thread-members/{{user_id}}", threads.get_thread_member),
    ("POST", f"{_CHANNEL}/typing", channels.no_content),
    ("GET", f"{_CHANNEL}/webhooks", webhooks.channel_webhooks),
    ("POST", f"{_CHANNEL}/webhooks", webhooks.create_webhook),
    ("POST", _WEBHOOK, webhooks.execute_webhook),
    ("GET", f"{_WEBHOOK}/messages/{{message_id}}", webhooks.webhook_message),
    ("PATCH", f"{_WEBHOOK}/messages/{{message_id}}", webhooks.webhook_message),
    ("DELETE", f"{_WEBHOOK}/messages/{{message_id}}", webhooks.webhook_message),
)
"""Every REST route, in the order aiohttp matches them (``@me`` before ``{user_id}``)."""


def add_routes(app: web.Application, sandbox: Host) -> None:
    """Register the gateway, attachments and every REST route on ``app``, bound to ``sandbox``."""
    app.router.add_get("/gateway", sandbox.gateway.handle)
    app.router.add_get(
        "/attachments/{channel_id}/{attachment_id}/{filename}", _bind(users.attachment, sandbox)
    )
    for method, path, handler in ROUTES:
        app.router.add_route(method, f"{API}{path}", _bind(handler, sandbox))


def _bind(handler: ApiHandler, sandbox: Host) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def bound(request: web.Request) -> web.StreamResponse:
        return await handler(sandbox, request)

    return bound
