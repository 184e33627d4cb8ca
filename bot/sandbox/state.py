"""The sandbox's world: users, guilds, channels, threads, messages and webhooks, kept as Discord's
own JSON payloads so that what the REST API and the gateway send is what is stored, and a snapshot
is just that JSON written to a file.

Every change goes through a method of :class:`World`, which checks it as Discord would
(permissions, limits, unknown objects) and announces it to the gateway as the event Discord sends.
The methods live in ``bot/sandbox/world/``, one module per part (core state, lookups and
permissions; places; messages; threads; webhooks; message validation); this module combines them,
adds snapshots, and is where the rest of the sandbox and the tests import the world's names from.
"""

from __future__ import annotations

import json
from pathlib import Path

from bot.sandbox.world.common import (
    ANNOUNCEMENT,
    ANNOUNCEMENT_THREAD,
    ARCHIVE_DURATIONS,
    CHAT_INPUT_COMMAND,
    DEFAULT,
    DISCORD_EPOCH_MS,
    EPHEMERAL,
    FORUM,
    FORUMS,
    HAS_THREAD,
    MAX_WEBHOOKS,
    MEDIA,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    REPLY,
    REQUIRE_TAG,
    TEXT,
    TEXT_LIKE,
    THREAD_CREATED,
    THREADS,
    ApiError,
    Listener,
    Payload,
    Snowflakes,
    SystemTime,
    WorldClock,
    invalid_form,
    iso,
    snowflake_at,
    snowflake_time,
    thread_kind,
    unknown,
    webhook_name,
)
from bot.sandbox.world.places import Places
from bot.sandbox.world.validation import check_message, trimmed, trimmed_embed
from bot.sandbox.world.webhooks import Webhooks


class World(Places, Webhooks):
    """Everything the sandbox knows: the state in :class:`~bot.sandbox.world.core.WorldCore`, what
    changes it in one mixin per resource, and snapshots here."""

    # -- snapshots ------------------------------------------------------------------------------

    _SAVED = (
        "users",
        "guilds",
        "roles",
        "members",
        "channels",
        "messages",
        "webhooks",
        "commands",
        "thread_members",
        "application_id",
        "bot_id",
    )

    def save(self, path: Path) -> None:
        """Write the world as JSON (attachment contents are not kept), atomically."""
        data = {name: getattr(self, name) for name in self._SAVED}
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(json.dumps(data), encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path) -> World:
        """A world written by :meth:`save`, to carry a sandbox's servers and messages over a restart."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(**{name: data[name] for name in cls._SAVED if name in data})


__all__ = [
    "ANNOUNCEMENT",
    "ANNOUNCEMENT_THREAD",
    "ARCHIVE_DURATIONS",
    "CHAT_INPUT_COMMAND",
    "DEFAULT",
    "DISCORD_EPOCH_MS",
    "EPHEMERAL",
    "FORUM",
    "FORUMS",
    "HAS_THREAD",
    "MAX_WEBHOOKS",
    "MEDIA",
    "PRIVATE_THREAD",
    "PUBLIC_THREAD",
    "REPLY",
    "REQUIRE_TAG",
    "TEXT",
    "TEXT_LIKE",
    "THREADS",
    "THREAD_CREATED",
    "ApiError",
    "Listener",
    "Payload",
    "Snowflakes",
    "SystemTime",
    "World",
    "WorldClock",
    "check_message",
    "invalid_form",
    "iso",
    "snowflake_at",
    "snowflake_time",
    "thread_kind",
    "trimmed",
    "trimmed_embed",
    "unknown",
    "webhook_name",
]
