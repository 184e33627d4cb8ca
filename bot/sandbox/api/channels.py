"""Channels and their messages: ``/channels/{id}``, its history, posting, reading, editing and
deleting messages, and typing."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox import permissions as perms
from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response, read_body
from bot.sandbox.state import EPHEMERAL, FORUMS, Payload, unknown


def visible_channel(sandbox: Host, channel_id: str, needed: int = perms.VIEW_CHANNEL) -> Payload:
    """The channel, if the bot has ``needed`` there (404 if unknown, 403 50001 or 50013 if not)."""
    channel = sandbox.world.channel(channel_id)
    sandbox.world.require(sandbox.world.bot_id, channel_id, needed)
    return channel


async def get_channel(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}``: 404 if unknown, 403 if the bot cannot view it."""
    return json_response(visible_channel(sandbox, request.match_info["channel_id"]))


async def patch_channel(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``PATCH /channels/{id}`` (Modify Channel): 403 without View Channel; a thread needs its owner or
    Manage Threads, any other channel Manage Channels."""
    channel_id = request.match_info["channel_id"]
    visible_channel(sandbox, channel_id)
    world = sandbox.world
    return json_response(world.update_thread(channel_id, world.bot_id, await request.json()))


async def no_content(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """Typing, or joining a thread: nothing to answer once the channel is known."""
    sandbox.world.channel(request.match_info["channel_id"])
    return web.Response(status=204)


async def history(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}/messages``: before/after/around paging, at most ``limit``; without Read Message
    History Discord answers an empty list, not an error."""
    channel_id = request.match_info["channel_id"]
    channel = visible_channel(sandbox, channel_id)
    if channel["type"] in FORUMS:
        return json_response([])
    world = sandbox.world
    if not world.permissions(world.bot_id, channel_id) & perms.READ_MESSAGE_HISTORY:
        return json_response([])
    query = request.query
    found = world.history(
        channel_id,
        before=query.get("before"),
        after=query.get("after"),
        around=query.get("around"),
        limit=int(query.get("limit", "50")),
    )
    # A fetched message's attachment links are valid when fetched (Discord signs them afresh).
    return json_response([world.cdn.refreshed(world.base_url, m) for m in found])


async def post_message(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /channels/{id}/messages``: files need Attach Files (403); embeds without Embed Links are dropped
    silently, as Discord does."""
    channel_id = request.match_info["channel_id"]
    world = sandbox.world
    body, files = await read_body(request)
    if files:
        world.require(world.bot_id, channel_id, perms.ATTACH_FILES)
    if body.get("embeds") and not world.permissions(world.bot_id, channel_id) & perms.EMBED_LINKS:
        body = body | {"embeds": []}  # Discord silently drops embeds without Embed Links
    return json_response(world.create_message(channel_id, world.bot_id, body, files=files))


async def get_message(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}/messages/{id}``: needs View Channel and Read Message History; an ephemeral message
    is unknown (404)."""
    channel_id = request.match_info["channel_id"]
    visible_channel(sandbox, channel_id, perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY)
    message = sandbox.world.message(channel_id, request.match_info["message_id"])
    if message["flags"] & EPHEMERAL:
        raise unknown("Message")
    return json_response(sandbox.world.cdn.refreshed(sandbox.world.base_url, message))


async def patch_message(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``PATCH /channels/{id}/messages/{id}``: only the bot's own messages (50005), not in a locked or
    archived thread; an ephemeral message is not in the channel (404 Unknown Message: only its
    interaction's token edits it, for the token's 15 minutes). A public interaction response is
    the bot's own message: editable here after its token expired."""
    info = request.match_info
    body, _ = await read_body(request)
    world = sandbox.world
    if world.message(info["channel_id"], info["message_id"])["flags"] & EPHEMERAL:
        raise unknown("Message")
    return json_response(world.edit_message(info["channel_id"], info["message_id"], world.bot_id, body))


async def delete_message(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``DELETE /channels/{id}/messages/{id}``: the bot's own, or anyone's with Manage Messages (403
    otherwise)."""
    info = request.match_info
    sandbox.world.delete_message(info["channel_id"], info["message_id"], sandbox.world.bot_id)
    return web.Response(status=204)
