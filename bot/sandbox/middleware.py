"""The HTTP plumbing every REST request goes through before its handler: stalls and request hooks,
the token check, forced and real rate limits (Discord's 429 with its headers), turning an
:class:`ApiError` into Discord's JSON error, and counting and recording what was asked."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.sandbox.faults import record_exchange
from bot.sandbox.host import Host
from bot.sandbox.state import ApiError, Payload

API = "/api/v10"
Files = list[tuple[str, bytes, str | None]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ARRIVED_AT = web.RequestKey("arrived_at", float)
"""When a request reached the sandbox, before any stall: Discord's deadline counts arrival."""


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """JSON with ``Content-Type: application/json`` exactly: discord.py parses nothing else."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers
    )


def rate_limited(
    retry_after: float, is_global: bool, headers: Mapping[str, str], *, digits: int | None = None
) -> web.Response:
    """Discord's 429: the JSON body (``retry_after`` rounded to ``digits``, if given) and
    ``Retry-After`` (whole seconds, at least 1) on top of the bucket's own headers."""
    body = {
        "message": "You are being rate limited.",
        "code": 0,
        "retry_after": retry_after if digits is None else round(retry_after, digits),
        "global": is_global,
    }
    return json_response(
        body, 429, {**headers, "Retry-After": str(max(1, round(retry_after))), "Via": "1.1 google"}
    )


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


def api_middleware(sandbox: Host) -> Middleware:
    """The middleware for ``sandbox``'s app; requests outside ``/api/v10`` pass straight through."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API):
            return await handler(request)
        sandbox.in_flight += 1
        sandbox.touch()
        request[ARRIVED_AT] = (
            sandbox.interaction_clock()
        )  # the interaction deadline counts arrival, not a stall
        try:
            wait = sandbox.faults.stall_until - time.monotonic()
            if wait > 0:
                sandbox.faults.stalled += 1
                sandbox.touch()
                try:
                    await asyncio.sleep(wait)
                finally:
                    sandbox.faults.stalled -= 1
            route = f"{request.method} {request.path.removeprefix(API)}"
            if sandbox.faults.hook is not None:
                await sandbox.faults.hook("before", route)
            response = await _handle_api(sandbox, request, handler)
            if sandbox.faults.hook is not None:
                await sandbox.faults.hook("after", route)
        finally:
            sandbox.in_flight -= 1
            sandbox.touch()
        sandbox.responses[response.status] += 1
        if sandbox.exchanges is not None:
            sandbox.exchanges.append(await record_exchange(request, response, API))
        return response

    return middleware


async def _handle_api(sandbox: Host, request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    template = resource.canonical.removeprefix(API) if resource is not None else request.path
    route = f"{request.method} {template}"
    sandbox.requests[route] += 1
    tokened = "{webhook_token}" in template or "{interaction_token}" in template
    if not tokened and template not in ("/gateway",) and not _authorised(sandbox, request):
        return json_response({"message": "401: Unauthorized", "code": 0}, 401)
    forced = sandbox.forced_429(f"{request.method} {request.path.removeprefix(API)}")
    if forced is not None:
        return rate_limited(*forced)
    major, interaction_route = _top_level_resource(sandbox, request)
    verdict = sandbox.limiter.check(route, major, exempt_from_global=interaction_route)
    if not verdict.allowed:
        return rate_limited(verdict.retry_after, verdict.is_global, verdict.headers, digits=3)
    try:
        response = await handler(request)
    except ApiError as error:
        response = json_response(error.body(), error.status)
    except (ValueError, KeyError, TypeError) as error:
        response = json_response({"message": f"400: Bad Request ({error})", "code": 50109}, 400)
    response.headers.update(verdict.headers)
    return response


def _top_level_resource(sandbox: Host, request: web.Request) -> tuple[str, bool]:
    """The top-level resource a request's bucket is counted for, and whether the route is one of
    Discord's interaction endpoints.

    Discord's "Rate Limits": top-level resources are channels, guilds and webhooks, a webhook being
    ``webhook_id`` or ``webhook_id + webhook_token``. An interaction's follow-ups and edits are
    webhook routes with the application's id and the interaction's token ("Interactions webhooks
    share the same rate limit properties as normal webhooks"), so each interaction is a bucket of
    its own; keyed by the application's id alone, one busy channel's answers would throttle every
    other. "Receiving and Responding" also puts the callback and those webhook routes outside the
    global rate limit. The token is kept hashed: bucket keys show in the limiter's repr."""
    info = request.match_info
    token = info.get("webhook_token")
    if token is not None:
        digest = hashlib.sha256(token.encode()).hexdigest()[:16]
        return f"{info['webhook_id']}+{digest}", info["webhook_id"] == sandbox.world.application_id
    if "interaction_token" in info:
        return info["interaction_id"], True
    return info.get("channel_id") or info.get("guild_id") or "", False


def _authorised(sandbox: Host, request: web.Request) -> bool:
    given = request.headers.get("Authorization", "")
    return secrets.compare_digest(given.encode(), f"Bot {sandbox.token}".encode())
