"""Threads and forum posts: starting one from a message, creating one in a channel (a forum post,
a public or a private thread), thread members, and archived threads."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import permissions as perms
from bot.sandbox.api.channels import visible_channel
from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response, read_body
from bot.sandbox.state import ANNOUNCEMENT_THREAD, FORUMS, PRIVATE_THREAD, PUBLIC_THREAD, invalid_form

DEFAULT_ARCHIVE_MINUTES = 1440


async def start_thread(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /channels/{id}/messages/{id}/threads``: a thread from a message, which gets the message's id."""
    info = request.match_info
    body = await request.json()
    thread = sandbox.world.start_thread(
        info["channel_id"],
        info["message_id"],
        sandbox.world.bot_id,
        str(body.get("name") or ""),
        int(body.get("auto_archive_duration") or DEFAULT_ARCHIVE_MINUTES),
    )
    return json_response(thread, 201)


async def create_thread(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /channels/{id}/threads``: in a forum, a post with its first message; elsewhere ``type`` is
    required (v10), and only 10, 11 or 12 are accepted (50035)."""
    channel_id = request.match_info["channel_id"]
    world = sandbox.world
    body, files = await read_body(request)
    channel = world.channel(channel_id)
    minutes = int(body.get("auto_archive_duration") or DEFAULT_ARCHIVE_MINUTES)
    name = str(body.get("name") or "")
    if channel["type"] in FORUMS:
        thread, message = world.create_forum_post(
            channel_id,
            world.bot_id,
            name,
            body.get("message") or {},
            applied_tags=body.get("applied_tags") or (),
            archive_minutes=minutes,
            files=files,
        )
        return json_response(thread | {"message": message}, 201)
    kind = body.get("type")  # required in API v10 (v9 defaulted to private)
    if kind is None:
        raise invalid_form("type", "BASE_TYPE_REQUIRED", "This field is required")
    if kind == PRIVATE_THREAD:
        thread = world.create_private_thread(
            channel_id, world.bot_id, name, minutes, invitable=bool(body.get("invitable", True))
        )
        return json_response(thread, 201)
    if kind not in (PUBLIC_THREAD, ANNOUNCEMENT_THREAD):
        raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
    return json_response(world.create_thread(channel_id, world.bot_id, name, minutes), 201)


async def add_thread_member(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``PUT /channels/{id}/thread-members/{user}``: refused in an archived thread, without the right to send
    there, or in a private thread that is not invitable without Manage Threads."""
    info = request.match_info
    sandbox.world.add_thread_member(info["channel_id"], sandbox.world.bot_id, info["user_id"])
    return web.Response(status=204)


async def get_thread_member(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}/thread-members/{user}``: 404 if the user has not joined the thread."""
    info = request.match_info
    visible_channel(sandbox, info["channel_id"])
    return json_response(sandbox.world.thread_member(info["channel_id"], info["user_id"]))


async def archived_threads(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}/threads/archived/public``: latest archived first, paged by ``before``; needs View
    Channel and Read Message History (403)."""
    channel_id = request.match_info["channel_id"]
    visible_channel(sandbox, channel_id, perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
    limit = max(2, min(int(request.query.get("limit", "50")), 100))
    threads, more = sandbox.world.archived_threads(
        channel_id, before=request.query.get("before"), limit=limit
    )
    return json_response({"threads": threads, "members": [], "has_more": more})
