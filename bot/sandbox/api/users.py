"""Users, the gateway's address, and attachments: ``/users``, ``/gateway``, ``/attachments``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.sandbox.middleware import json_response

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox


async def get_gateway(sandbox: Sandbox, request: web.Request) -> web.StreamResponse:
    limits = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
    return json_response({"url": sandbox.ws_url, "shards": 1, "session_start_limit": limits})


async def me(sandbox: Sandbox, request: web.Request) -> web.StreamResponse:
    # The current user as OAuth2 sees it: the public user plus its account settings.
    account = {"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}
    return json_response(sandbox.world.user(sandbox.world.bot_id) | account)


async def get_user(sandbox: Sandbox, request: web.Request) -> web.StreamResponse:
    return json_response(sandbox.world.user(request.match_info["user_id"]))


async def attachment(sandbox: Sandbox, request: web.Request) -> web.StreamResponse:
    """An attachment's bytes, at the URL its message gave (outside ``/api/v10``, as Discord's CDN)."""
    data = sandbox.world.files.get(request.path)
    if data is None:
        return web.Response(status=404)
    return web.Response(body=data, content_type="application/octet-stream")
