"""The world's vocabulary: payload and id types, the protocol's constants under the names the
world uses, Discord's errors (:class:`ApiError` and its common shapes), the world's clock, and
snowflakes."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from bot.sandbox.protocol import ChannelType, MessageType

Payload = dict[str, Any]
Listener = Callable[[str, Payload, "str | None"], None]

DISCORD_EPOCH_MS = 1_420_070_400_000
DISCORD_EPOCH = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
TEXT, FORUM = ChannelType.GUILD_TEXT, ChannelType.GUILD_FORUM
PUBLIC_THREAD, PRIVATE_THREAD = ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD
ANNOUNCEMENT, ANNOUNCEMENT_THREAD = ChannelType.GUILD_ANNOUNCEMENT, ChannelType.ANNOUNCEMENT_THREAD
MEDIA = ChannelType.GUILD_MEDIA
THREADS = (ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD)
TEXT_LIKE = (TEXT, ANNOUNCEMENT)
"""Channels of messages, where a thread starts from a message (in an announcement channel, an
announcement thread, type 10)."""
FORUMS = (FORUM, MEDIA)
"""Channels of posts only: a media channel is a forum whose posts show as tiles (Discord's docs:
"similar to GUILD_FORUM channels"); posts are public threads (type 11) in both."""
DEFAULT, REPLY = MessageType.DEFAULT, MessageType.REPLY
THREAD_CREATED, CHAT_INPUT_COMMAND = MessageType.THREAD_CREATED, MessageType.CHAT_INPUT_COMMAND
EPHEMERAL = 1 << 6
HAS_THREAD = 1 << 5
ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)
REQUIRE_TAG = 1 << 4
"""Channel flag: a forum (or media channel) whose posts must carry a tag (code 40067 without)."""
MAX_WEBHOOKS = 15
"""Webhooks per channel (code 30007 beyond)."""


class ApiError(Exception):
    """An answer Discord gives with an error status: ``{"message", "code"}`` and maybe ``errors``."""

    def __init__(self, status: int, code: int, message: str, errors: Payload | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> Payload:
        """The JSON error body Discord answers with: ``message``, ``code`` and, for a form error,
        ``errors``."""
        body: Payload = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unknown(kind: str) -> ApiError:
    """Discord's 404 for a missing ``kind`` of object, with its JSON error code (10003 Unknown Channel and so
    on)."""
    codes = {
        "Channel": 10003,
        "Guild": 10004,
        "Member": 10007,
        "Message": 10008,
        "User": 10013,
        "Webhook": 10015,
        "Interaction": 10062,
        "Application": 10002,
        "Attachment": 10049,
    }
    return ApiError(404, codes.get(kind, 10000), f"Unknown {kind}")


def invalid_form(field_name: str, code: str, message: str) -> ApiError:
    """Discord's 400 "Invalid Form Body" (50035), with ``code`` and ``message`` for the one field that is
    wrong."""
    return ApiError(
        400, 50035, "Invalid Form Body", {field_name: {"_errors": [{"code": code, "message": message}]}}
    )


def webhook_name(field_name: str, name: str) -> str:
    """A webhook's name (``name`` on create, ``username`` on execute) as Discord keeps it, or the
    400 (code 50035) it answers: names are trimmed and runs of whitespace collapsed, must then be
    1-80 characters, may not contain "clyde" or "discord" in any case, and may not be "everyone"
    or "here" (Webhook resource, "Create Webhook"; User resource, "Usernames and Nicknames")."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= 80:
        raise invalid_form(field_name, "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.")
    lowered = cleaned.lower()
    for word in ("clyde", "discord"):
        if word in lowered:
            raise invalid_form(field_name, "USERNAME_INVALID_CONTAINS", f'Username cannot contain "{word}"')
    if lowered in ("everyone", "here"):
        raise invalid_form(field_name, "USERNAME_INVALID", f'Username cannot be "{lowered}"')
    return cleaned


def iso(moment: dt.datetime) -> str:
    """A time as Discord writes timestamps (ISO 8601 with microseconds and offset)."""
    return moment.isoformat(timespec="microseconds")


class WorldClock(Protocol):
    """Where the world reads the time of day: every id it makes (a snowflake's top bits), every
    timestamp it writes and its CDN links' expiry. The bot's clock fits (``bot.domain.clock``), so
    a test hands one :class:`~bot.domain.clock.ManualClock` to both and moves them on together.
    Rate limits and interaction deadlines are not read from it: Discord and the bot's HTTP client
    measure those in real time, so the sandbox does too (monotonic seconds)."""

    def now(self) -> dt.datetime:
        """The current moment, aware and in UTC."""
        ...


class SystemTime:
    """The system's clock: the world's time unless one is given."""

    def now(self) -> dt.datetime:
        """The current moment, aware and in UTC."""
        return dt.datetime.now(dt.UTC)


def snowflake_time(snowflake: int | str) -> dt.datetime:
    """When a snowflake was made: its top 42 bits are milliseconds since Discord's epoch (2015)."""
    return dt.datetime.fromtimestamp(((int(snowflake) >> 22) + DISCORD_EPOCH_MS) / 1000, dt.UTC)


def thread_kind(parent: Mapping[str, Any]) -> int:
    """The type of a thread started in ``parent``: an announcement thread in an announcement
    channel, a public thread elsewhere (Discord's docs, "Start Thread from Message")."""
    return ANNOUNCEMENT_THREAD if parent["type"] == ANNOUNCEMENT else PUBLIC_THREAD


def snowflake_at(moment: dt.datetime) -> int:
    """The smallest snowflake of ``moment``'s millisecond."""
    return (moment - DISCORD_EPOCH) // dt.timedelta(milliseconds=1) << 22


class Snowflakes:
    """Ids as Discord makes them: milliseconds since 2015 (read from ``clock``) in the top bits, so
    they sort by time. Ids made within one millisecond, or while a test's clock stands still, take
    the next number (the low 22 bits are Discord's worker, process and increment): each id is
    larger than the last, whatever the clock does."""

    def __init__(self, clock: Callable[[], dt.datetime]) -> None:
        self._lock = threading.Lock()
        self._last = 0
        self._clock = clock

    def seen(self, ids: Iterable[int | str]) -> None:
        """Ids already made (a world loaded from a snapshot): every new one is larger."""
        with self._lock:
            self._last = max([self._last, *(int(i) for i in ids)])

    def next(self, shard: tuple[int, int] | None = None) -> str:
        """The next id; with ``shard`` (``(shard_id, num_shards)``) the next one Discord's sharding
        formula, ``(id >> 22) % num_shards``, routes to that shard (a server made on a chosen shard)."""
        with self._lock:
            candidate = snowflake_at(self._clock())
            self._last = max(candidate, self._last + 1)
            if shard is not None:
                shard_id, count = shard
                moment = self._last >> 22
                moment += (shard_id - moment) % count
                self._last = max(self._last, moment << 22)
            return str(self._last)
