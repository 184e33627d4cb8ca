"""Users, the gateway's address, and attachments: ``/users``, ``/gateway``, ``/attachments``."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response
from bot.sandbox.world.cdn import GONE

SESSION_STARTS_PER_DAY = 1000
"""Identifies a bot may send in 24 hours (Discord's docs, "Session Start Limit")."""


async def get_gateway(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /gateway``: where to connect, nothing more (Discord's docs, "Get Gateway")."""
    return json_response({"url": sandbox.ws_url})


async def get_gateway_bot(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /gateway/bot``: where to connect, the recommended number of shards, and the session
    start limit (identifies left today, and ``max_concurrency``: how many shards may identify in
    the same 5 seconds, one per ``shard_id % max_concurrency`` bucket)."""
    gateway = sandbox.gateway
    total = SESSION_STARTS_PER_DAY
    limits = {
        "total": total,
        "remaining": max(0, total - gateway.identifies),
        "reset_after": 24 * 3600 * 1000,
        "max_concurrency": gateway.max_concurrency,
    }
    return json_response(
        {"url": sandbox.ws_url, "shards": gateway.recommended_shards, "session_start_limit": limits}
    )


async def me(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /users/@me``: the bot's user, with the account fields OAuth2 adds."""
    # The current user as OAuth2 sees it: the public user plus its account settings.
    account = {"mfa_enabled": False, "locale": "en-US", "verified": True, "email": None}
    return json_response(sandbox.world.user(sandbox.world.bot_id) | account)


async def get_user(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /users/{id}``: any user the world knows; 404 Unknown User (10013) otherwise."""
    return json_response(sandbox.world.user(request.match_info["user_id"]))


async def attachment(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """An attachment's bytes, at the URL its message gave (outside ``/api/v10``, as Discord's CDN):
    only while the link's signature holds and it has not expired; else 404, as Discord answers."""
    world = sandbox.world
    if sandbox.faults.hook is not None:  # a test may hold the CDN (a slow download)
        await sandbox.faults.hook("before", f"GET {request.path}")
    data = world.files.get(request.path)
    if data is None or not world.cdn.valid(request.path, request.query):
        return web.Response(status=404, text=GONE)
    return web.Response(body=data, content_type="application/octet-stream")
