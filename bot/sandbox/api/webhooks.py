"""Webhooks: listing, creating and executing them, and reading, editing and deleting their
messages. An interaction's follow-ups and edits come here too, with the application's id and the
interaction's token in place of a webhook's (see :func:`~bot.sandbox.api.interactions.interaction_for`)."""

from __future__ import annotations

import time

from aiohttp import web

from bot.sandbox.api.interactions import follow_up, interaction_for
from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response, read_body
from bot.sandbox.state import unknown


async def channel_webhooks(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /channels/{id}/webhooks``: needs Manage Webhooks (403), and the bot owner's 2FA where the server
    requires it for moderation (60003)."""
    return json_response(
        sandbox.world.channel_webhooks(request.match_info["channel_id"], sandbox.world.bot_id)
    )


async def create_webhook(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /channels/{id}/webhooks``: needs Manage Webhooks; Discord refuses a bad name, a channel that
    takes no webhooks, and more than ``MAX_WEBHOOKS`` per channel."""
    body = await request.json()
    hook = sandbox.world.create_webhook(
        request.match_info["channel_id"], sandbox.world.bot_id, str(body.get("name") or "")
    )
    return json_response(hook)


async def execute_webhook(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /webhooks/{id}/{token}``: an interaction token's follow-up, or a real webhook's message (204
    unless ``wait``); a forum needs ``thread_name`` or ``thread_id``."""
    info = request.match_info
    body, files = await read_body(request)
    record = interaction_for(sandbox, info["webhook_id"], info["webhook_token"], request)
    if record is not None:
        return json_response(follow_up(sandbox, record, body, files))
    hook = sandbox.world.webhook(info["webhook_id"], info["webhook_token"])
    message = sandbox.world.execute_webhook(hook, body, thread_id=request.query.get("thread_id"), files=files)
    wait = request.query.get("wait", "false").lower() in ("true", "1")
    return json_response(message) if wait else web.Response(status=204)


async def webhook_message(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET|PATCH|DELETE /webhooks/{id}/{token}/messages/{id}``: a webhook's own message, or an interaction's
    (``@original`` is its response); 404 for anything else."""
    info = request.match_info
    world = sandbox.world
    record = interaction_for(sandbox, info["webhook_id"], info["webhook_token"], request)
    message_id = info["message_id"]
    if record is not None:
        channel_id = record.channel_id
        if message_id == "@original":
            if record.original_id is None:
                if request.method == "DELETE" and record.deferred_message and not record.original_deleted:
                    # Deleting a deferred response removes "thinking…"; follow-ups are new messages.
                    record.original_deleted = True
                    record.last_activity = time.monotonic()
                    return web.Response(status=204)
                if request.method != "PATCH" or not record.deferred_message or record.original_deleted:
                    raise unknown("Message")
                body, files = await read_body(request)
                return json_response(follow_up(sandbox, record, body, files))
            message_id = record.original_id
        record.last_activity = time.monotonic()
    else:
        hook = world.webhook(info["webhook_id"], info["webhook_token"])
        channel_id = request.query.get("thread_id") or hook["channel_id"]
    author = world.bot_id if record is not None else info["webhook_id"]
    if request.method == "GET":
        return json_response(world.message(channel_id, message_id))
    if request.method == "DELETE":
        world.delete_message(channel_id, message_id, author)
        return web.Response(status=204)
    body, _ = await read_body(request)
    return json_response(world.edit_message(channel_id, message_id, author, body))
