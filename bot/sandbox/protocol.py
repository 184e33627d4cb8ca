"""Discord's protocol numbers, named: the sandbox compares and sends these, never bare numbers.

Each is an ``IntEnum``, so a member is the number itself: it is stored in the world's JSON and sent
over REST and the gateway as Discord sends it (``json.dumps`` writes ``0``, not a name).
"""

from __future__ import annotations

from enum import IntEnum


class ChannelType(IntEnum):
    """A channel's ``type`` (Discord's docs: Channel Types)."""

    GUILD_TEXT = 0
    GUILD_VOICE = 2
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15
    GUILD_MEDIA = 16


class MessageType(IntEnum):
    """A message's ``type`` (Discord's docs: Message Types)."""

    DEFAULT = 0
    THREAD_CREATED = 18
    REPLY = 19
    CHAT_INPUT_COMMAND = 20


class InteractionType(IntEnum):
    """An interaction's ``type`` (Discord's docs: Interaction Type)."""

    PING = 1
    APPLICATION_COMMAND = 2
    MESSAGE_COMPONENT = 3
    APPLICATION_COMMAND_AUTOCOMPLETE = 4
    MODAL_SUBMIT = 5


class CallbackType(IntEnum):
    """An interaction response's ``type`` (Discord's docs: Interaction Callback Type)."""

    PONG = 1
    CHANNEL_MESSAGE_WITH_SOURCE = 4
    DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    APPLICATION_COMMAND_AUTOCOMPLETE_RESULT = 8
    MODAL = 9


DEFERRED = (CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, CallbackType.DEFERRED_UPDATE_MESSAGE)
"""Responses that answer later: the member sees "thinking…" (5) or nothing (6) until a follow-up."""


class ComponentType(IntEnum):
    """A message component's ``type`` (Discord's docs: Component Types)."""

    ACTION_ROW = 1
    BUTTON = 2


class Opcode(IntEnum):
    """A gateway frame's ``op`` (Discord's docs: Gateway Opcodes)."""

    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


class CloseCode(IntEnum):
    """Why the gateway closed a connection (WebSocket close codes; Discord's docs: Gateway Close
    Event Codes for the 4000s)."""

    GOING_AWAY = 1001
    UNKNOWN_ERROR = 4000
    AUTHENTICATION_FAILED = 4004
    INVALID_SHARD = 4010
    SHARDING_REQUIRED = 4011
    DISALLOWED_INTENTS = 4014


class CommandType(IntEnum):
    """An application command's ``type`` (Discord's docs: Application Command Types)."""

    CHAT_INPUT = 1
    USER = 2
    MESSAGE = 3


class WebhookType(IntEnum):
    """A webhook's ``type`` (Discord's docs: Webhook Types)."""

    GUILD_INCOMING = 1
    CHANNEL_FOLLOWER = 2
    APPLICATION_INCOMING = 3


OptionType = IntEnum(
    "OptionType",
    "SUB_COMMAND SUB_COMMAND_GROUP STRING INTEGER BOOLEAN USER CHANNEL ROLE MENTIONABLE NUMBER ATTACHMENT",
    start=1,
)
"""An application command option's ``type`` (Discord's docs: Application Command Option Type),
numbered 1 to 11 in this order."""


class OverwriteType(IntEnum):
    """A permission overwrite's ``type``: whom it is for (Discord's docs: Overwrite Object)."""

    ROLE = 0
    MEMBER = 1


class ReferenceType(IntEnum):
    """A message reference's ``type`` (Discord's docs: Message Reference Types)."""

    DEFAULT = 0
