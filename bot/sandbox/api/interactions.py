"""Interactions (each one's record is :class:`~bot.sandbox.host.InteractionRecord`):
``POST /interactions/{id}/{token}/callback``, and the messages an answer or a follow-up makes
(follow-ups and edits come through the webhook routes with the interaction's token, see
:mod:`bot.sandbox.api.webhooks`)."""

from __future__ import annotations

import time

from aiohttp import web

from bot.sandbox.host import Host, InteractionRecord
from bot.sandbox.middleware import ARRIVED_AT, Files, json_response, read_body
from bot.sandbox.protocol import CallbackType
from bot.sandbox.state import CHAT_INPUT_COMMAND, EPHEMERAL, ApiError, Payload, unknown


def interaction_for(
    sandbox: Host, application_id: str, token: str, request: web.Request
) -> InteractionRecord | None:
    """The interaction whose token this webhook call uses, or None for a real webhook.

    A token is invalidated when its interaction went unanswered past the deadline, and
    expires ``token_lifetime`` after the interaction: 401 50027 Invalid Webhook Token."""
    if application_id != sandbox.world.application_id:
        return None
    record = sandbox.interactions.get(token)
    if record is None:
        raise unknown("Webhook")
    age = request.get(ARRIVED_AT, sandbox.interaction_clock()) - record.created_at
    unanswered = record.response_type is None and age > sandbox.interaction_deadline
    if unanswered or age > sandbox.token_lifetime:
        raise ApiError(401, 50027, "Invalid Webhook Token")
    return record


async def callback(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``POST /interactions/{id}/{token}/callback``: 404 (10062) for an unknown token or after the
    deadline (Discord's 3 s), 400 (40060) for a second response, 50035 for an unknown type."""
    record = sandbox.interactions.get(request.match_info["interaction_token"])
    if record is None or record.id != request.match_info["interaction_id"]:
        raise ApiError(404, 10062, "Unknown interaction")
    age = request.get(ARRIVED_AT, sandbox.interaction_clock()) - record.created_at
    if record.response_type is None and age > sandbox.interaction_deadline:
        # Too late: the token was invalidated at the deadline.
        raise ApiError(404, 10062, "Unknown interaction")
    if record.response_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    body, files = await read_body(request)
    kind = int(body["type"])
    if kind not in set(CallbackType) - {CallbackType.PONG}:
        raise ApiError(400, 50035, f"Invalid Form Body: unknown callback type {kind}")
    kind = CallbackType(kind)
    data = body.get("data") or {}
    resource: Payload = {"type": kind}
    if kind == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
        resource["message"] = _respond_message(sandbox, record, data, files)
    elif kind == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        record.ephemeral = bool(int(data.get("flags") or 0) & EPHEMERAL)
    elif kind in (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE):
        if record.source_message is None:
            raise ApiError(400, 40004, "Interaction has no message to update")
        channel_id, message_id = record.source_message
        # Discord: "for components, ACK an interaction and edit the original message later": the
        # interaction's original response is the message the component is on (@original edits it).
        record.original_id = message_id
        if kind == CallbackType.UPDATE_MESSAGE:
            resource["message"] = sandbox.world.edit_message(
                channel_id, message_id, sandbox.world.bot_id, data
            )
    elif kind == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
        choices = list(data.get("choices") or [])
        if len(choices) > 25:
            raise ApiError(400, 50035, "Invalid Form Body: at most 25 choices")
        record.choices = choices
    elif kind == CallbackType.MODAL:
        record.modal = data
    record.response_type = kind
    record.last_activity = record.answered_at = time.monotonic()
    record.answered.set()
    interaction = {
        "id": record.id,
        "type": record.kind,
        "activity_instance_id": None,
        "response_message_loading": kind == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
        "response_message_ephemeral": record.ephemeral,
    }
    if record.original_id is not None:
        interaction["response_message_id"] = record.original_id
    return json_response({"interaction": interaction, "resource": resource})


def _respond_message(sandbox: Host, record: InteractionRecord, data: Payload, files: Files) -> Payload:
    flags = int(data.get("flags") or 0)
    record.ephemeral = bool(flags & EPHEMERAL)
    message = _interaction_message(sandbox, record, data, files, flags)
    record.original_id = message["id"]
    return message


def follow_up(sandbox: Host, record: InteractionRecord, body: Payload, files: Files) -> Payload:
    """A follow-up message; after a deferral the first one replaces "thinking…"."""
    if record.response_type is None:
        raise ApiError(400, 10015, "Unknown Webhook: the interaction was not answered yet")
    flags = int(body.get("flags") or 0)
    if record.deferred_message and record.original_id is None and not record.original_deleted:
        # After a deferral, the first message replaces the "thinking…" one and keeps its privacy.
        flags = (flags & ~EPHEMERAL) | (EPHEMERAL if record.ephemeral else 0)
        message = _interaction_message(sandbox, record, body, files, flags)
        record.original_id = message["id"]
        return message
    return _interaction_message(sandbox, record, body, files, flags)


def _interaction_message(
    sandbox: Host, record: InteractionRecord, data: Payload, files: Files, flags: int
) -> Payload:
    world = sandbox.world
    metadata = {
        "id": record.id,
        "type": record.kind,
        "user": world.user(record.user_id),
        "authorizing_integration_owners": {"0": world.channel(record.channel_id)["guild_id"]},
        "name": record.name,
    }
    extra = {
        "webhook_id": world.application_id,
        "application_id": world.application_id,
        "interaction_metadata": metadata,
        "interaction": {
            "id": record.id,
            "type": record.kind,
            "name": record.name,
            "user": world.user(record.user_id),
        },
    }
    message = world.create_message(
        record.channel_id,
        world.bot_id,
        data | {"flags": flags},
        files=files,
        kind=CHAT_INPUT_COMMAND,
        check_permissions=False,
        extra=extra,
    )
    record.message_ids.append(message["id"])
    record.last_activity = time.monotonic()
    return message
