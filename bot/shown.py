"""Discord's inline markup as Discord shows it: ``<@id>`` as ``@Name``, ``<@&id>`` as ``@Role``,
``<#id>`` as ``#channel``, ``<:name:id>`` as ``:name:``, ``</cmd:id>`` as ``/cmd`` and ``<t:…>``
as a time, in one place for every reader of stored words: the transcripts of ``/archive show``,
every export format, and the sandbox chat (which draws what a Discord client would).

Why one module: a mention written as an id is what a reader never sees on Discord, and each
output that decided for itself how to show one drifted (ids in the exports, escaped markup in the
transcripts, raw ``<t:…:R>`` in the chat). Names come from whoever renders (what the archive
stored, what Discord knows now); a name not known is shown as Discord shows it
(``@unknown-user``), never as an id. Inside code (`` `…` `` and fenced blocks) nothing is
rendered, as on Discord. No import of discord, nor of the rest of the bot: the sandbox's fake
Discord uses it too, and it must not depend on the bot it serves.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

UNKNOWN_USER = "unknown-user"
UNKNOWN_ROLE = "unknown-role"
UNKNOWN_CHANNEL = "unknown-channel"
"""What a mention of someone or something the renderer has no name for shows (Discord's client
says ``@unknown-user`` too)."""

_TOKEN = re.compile(
    r"<(?:@!?(?P<user>\d{1,20})"
    r"|@&(?P<role>\d{1,20})"
    r"|#(?P<channel>\d{1,20})"
    r"|a?:(?P<emoji>\w{2,32}):\d{1,20}"
    r"|t:(?P<time>-?\d{1,13})(?::(?P<style>[tTdDfFsSR]))?"
    r"|/(?P<command>[-\w]{1,32}(?: [-\w]{1,32}){0,2}):\d{1,20})>"
)
_CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)
_QUIET = {"everyone", "here"}
"""Names that after an ``@`` read like Discord's mass pings: a zero-width space keeps them words."""

Clock = Callable[[int, str], str]
"""How a ``<t:SECONDS:STYLE>`` is shown: seconds since the epoch and the style letter."""


@dataclass(frozen=True, slots=True)
class Names:
    """The names a renderer knows: members' (display names), roles' and channels' (threads
    included), by id."""

    users: Mapping[int, str] = field(default_factory=dict)
    roles: Mapping[int, str] = field(default_factory=dict)
    channels: Mapping[int, str] = field(default_factory=dict)

    def over(self, other: Names) -> Names:
        """These names, and ``other``'s where these have none (the fresher source first)."""
        return Names(
            {**other.users, **self.users},
            {**other.roles, **self.roles},
            {**other.channels, **self.channels},
        )


NO_NAMES = Names()

# Discord's own formats for each style (its documentation's examples, en-GB), as strftime patterns.
_STYLES = {
    "t": "%H:%M",
    "T": "%H:%M:%S",
    "d": "%d/%m/%Y",
    "D": "%-d %B %Y",
    "f": "%-d %B %Y %H:%M",
    "F": "%A, %-d %B %Y %H:%M",
    "s": "%d/%m/%Y, %H:%M",
    "S": "%d/%m/%Y, %H:%M:%S",
}


def _moment(seconds: int, zone: dt.tzinfo) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(zone)
    except (OverflowError, OSError, ValueError):
        return None


def in_utc(seconds: int, style: str) -> str:
    """A timestamp in an archive (transcripts, exports): read later, so a relative ``R`` is shown
    as the moment it names; every style in UTC, saying so (``6 December 2026 22:02 UTC``)."""
    when = _moment(seconds, dt.UTC)
    if when is None:
        return f"<t:{seconds}:{style}>"
    return when.strftime(_STYLES.get(style, _STYLES["f"])) + " UTC"


def as_client(now: dt.datetime, zone: dt.tzinfo | None = None) -> Clock:
    """A timestamp as a member's client shows it at ``now``: in their time zone (``zone``; the
    machine's when None), ``R`` relative (``in 5 minutes``, ``2 hours ago``)."""

    def show(seconds: int, style: str) -> str:
        when = _moment(seconds, zone or dt.datetime.now().astimezone().tzinfo or dt.UTC)
        if when is None:
            return f"<t:{seconds}:{style}>"
        if style == "R":
            return relative(when - now)
        return when.strftime(_STYLES[style])

    return show


def relative(delta: dt.timedelta) -> str:
    """A span as Discord's client words it: ``in a few seconds``, ``3 minutes ago``, ``in 2 days``."""
    seconds = abs(delta.total_seconds())
    minutes, hours, days = seconds / 60, seconds / 3600, seconds / 86400
    if seconds < 45:
        words = "a few seconds"
    elif seconds < 90:
        words = "a minute"
    elif minutes < 45:
        words = f"{round(minutes)} minutes"
    elif minutes < 90:
        words = "an hour"
    elif hours < 22:
        words = f"{round(hours)} hours"
    elif hours < 36:
        words = "a day"
    elif days < 26:
        words = f"{round(days)} days"
    elif days < 45:
        words = "a month"
    elif days < 320:
        words = f"{round(days / 30.4)} months"
    elif days < 548:
        words = "a year"
    else:
        words = f"{round(days / 365.25)} years"
    return f"in {words}" if delta.total_seconds() > 0 else f"{words} ago"


def _same(text: str) -> str:
    return text


def shown(
    text: str, names: Names = NO_NAMES, *, clock: Clock = in_utc, escape: Callable[[str], str] = _same
) -> str:
    """``text`` as Discord shows it: mentions as names, custom emoji as ``:name:``, slash command
    mentions as ``/name``, timestamps through ``clock``; code left as written. ``escape`` is
    applied to everything else and to each name (a transcript's escaping for Discord; none for an
    export, whose renderer escapes what it writes)."""
    if "<" not in text:
        return escape(text)  # nothing to render: most messages, at no cost
    out: list[str] = []
    for index, piece in enumerate(_CODE.split(text)):
        if index % 2:
            out.append(escape(piece))
            continue
        position = 0
        for match in _TOKEN.finditer(piece):
            out.append(escape(piece[position : match.start()]))
            out.append(_token(match, names, clock, escape))
            position = match.end()
        out.append(escape(piece[position:]))
    return "".join(out)


def _token(match: re.Match[str], names: Names, clock: Clock, escape: Callable[[str], str]) -> str:
    if match["user"] is not None:
        return _at(names.users.get(int(match["user"])) or UNKNOWN_USER, escape)
    if match["role"] is not None:
        return _at(names.roles.get(int(match["role"])) or UNKNOWN_ROLE, escape)
    if match["channel"] is not None:
        return "#" + escape(names.channels.get(int(match["channel"])) or UNKNOWN_CHANNEL)
    if match["emoji"] is not None:
        return f":{match['emoji']}:"
    if match["command"] is not None:
        return "/" + escape(match["command"])
    return escape(clock(int(match["time"]), match["style"] or "f"))


def _at(name: str, escape: Callable[[str], str]) -> str:
    return ("@\u200b" if name.lower() in _QUIET else "@") + escape(name)


def mentioned(text: str) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
    """The users, roles and channels ``text`` mentions (outside code): whose names to look up."""
    users: set[int] = set()
    roles: set[int] = set()
    channels: set[int] = set()
    for index, piece in enumerate(_CODE.split(text)):
        if index % 2:
            continue
        for match in _TOKEN.finditer(piece):
            for found, kind in ((users, "user"), (roles, "role"), (channels, "channel")):
                if match[kind] is not None:
                    found.add(int(match[kind]))
    return frozenset(users), frozenset(roles), frozenset(channels)
