"""Slash commands as a member's Discord client runs them: find the registered command, check and
type its options against the registered schema, and build the interaction's ``data`` with its
``resolved`` objects.

A member can only run what the application registered (``tree.sync``), with the options it
declared; the checks the Discord client makes before sending (required options, choices, ranges,
channel types, ``default_member_permissions``) raise :class:`CommandRejected`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.sandbox.protocol import CommandType, OptionType
from bot.sandbox.state import Payload, World

(
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    STRING,
    INTEGER,
    BOOLEAN,
    USER,
    CHANNEL,
    ROLE,
    MENTIONABLE,
    NUMBER,
    ATTACHMENT,
) = tuple(OptionType)  # in the order Discord numbers them, 1 to 11

_OPTION = re.compile(r"(?:^|\s)([a-z0-9_-]{1,32}):")
_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}


class CommandRejected(Exception):
    """What the Discord client would refuse to send, in the words it would show."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """A slash command as a member typed it in the terminal chat, resolved against the registered commands:
    what the interaction sends the bot."""

    command: Payload
    """The registered top-level command."""
    data: Payload
    """The interaction's ``data``: id, name, type, options, resolved."""
    names: tuple[str, ...]


@dataclass
class Resolver:
    """Turns what a member typed (``#general``, ``@ben``, a file path) into Discord objects."""

    world: World
    guild_id: str
    read_file: Callable[[str], tuple[str, bytes]] = field(
        default=lambda path: (Path(path).name, Path(path).read_bytes())
    )


def split_command_line(line: str) -> tuple[list[str], dict[str, str]]:
    """``/article post article:foo channel:#general`` → (["article", "post"], {...}).

    A value runs to the next ``name:``; quote it to keep a literal ``name:`` inside.
    """
    text = line.strip().removeprefix("/")
    first = _OPTION.search(text)
    head, rest = (text[: first.start()], text[first.start() :]) if first else (text, "")
    names = head.split()
    options: dict[str, str] = {}
    matches = list(_OPTION.finditer(rest))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(rest)
        raw = rest[match.end() : end].strip()
        if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
            raw = shlex.split(raw)[0]
        options[match.group(1)] = raw
    return names, options


def find_command(world: World, guild_id: str, names: list[str]) -> tuple[Payload, list[Payload], list[str]]:
    """The registered command for ``names``, the option schema of the leaf, and the path used."""
    if not names:
        raise CommandRejected("type a command after /")
    registered = world.commands.get(guild_id, []) + world.commands.get("global", [])
    command = next(
        (
            c
            for c in registered
            if c["name"] == names[0] and c.get("type", CommandType.CHAT_INPUT) == CommandType.CHAT_INPUT
        ),
        None,
    )
    if command is None:
        known = sorted(
            {c["name"] for c in registered if c.get("type", CommandType.CHAT_INPUT) == CommandType.CHAT_INPUT}
        )
        raise CommandRejected(
            f"/{names[0]} is not a command here; commands: {', '.join('/' + k for k in known) or 'none'}"
        )
    schema: list[Payload] = list(command.get("options") or [])
    path = [names[0]]
    for name in names[1:]:
        sub = next(
            (o for o in schema if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)), None
        )
        if sub is None:
            break
        path.append(name)
        schema = list(sub.get("options") or [])
    if len(path) < len(names):
        raise CommandRejected(f"/{' '.join(path)} has no subcommand {names[len(path)]!r}")
    subs = [o["name"] for o in schema if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subs:
        raise CommandRejected(f"/{' '.join(path)} needs a subcommand: {', '.join(subs)}")
    return command, schema, path


def member_may_use(world: World, guild_id: str, user_id: str, command: Payload) -> bool:
    """Whether the member has every permission in the command's ``default_member_permissions`` (None: anyone),
    as Discord checks before showing or running it."""
    required = command.get("default_member_permissions")
    if required is None:
        return True
    have = world.permissions(user_id, None, guild_id)
    return have & int(required) == int(required)


def build_invocation(
    resolver: Resolver,
    user_id: str,
    names: list[str],
    given: Mapping[str, Any],
    *,
    focused: str | None = None,
) -> Invocation:
    """The interaction data for running (or, with ``focused``, autocompleting) a command."""
    world = resolver.world
    command, schema, path = find_command(world, resolver.guild_id, names)
    if not member_may_use(world, resolver.guild_id, user_id, command):
        raise CommandRejected(f"you do not have permission to use /{' '.join(path)}")
    by_name = {o["name"]: o for o in schema}
    unknown = [name for name in given if name not in by_name]
    if unknown:
        raise CommandRejected(
            f"/{' '.join(path)} has no option {unknown[0]!r}; options: {', '.join(by_name) or 'none'}"
        )
    resolved: dict[str, dict[str, Any]] = {}
    options: list[Payload] = []
    for option in schema:
        name = option["name"]
        if name not in given:
            if option.get("required") and focused is None:
                raise CommandRejected(f"/{' '.join(path)} needs the option {name}")
            continue
        if name == focused:
            options.append({"name": name, "type": option["type"], "value": str(given[name]), "focused": True})
            continue
        value = _convert(resolver, option, given[name], resolved)
        options.append({"name": name, "type": option["type"], "value": value})
    leaf: list[Payload] = options
    for name in reversed(path[1:]):
        kind = SUB_COMMAND if leaf is options else SUB_COMMAND_GROUP
        leaf = [{"name": name, "type": kind, "options": leaf}]
    data: Payload = {
        "id": command["id"],
        "name": command["name"],
        "type": CommandType.CHAT_INPUT,
        "options": leaf,
    }
    if command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    if resolved:
        data["resolved"] = resolved
    return Invocation(command, data, tuple(path))


def _convert(resolver: Resolver, option: Payload, raw: Any, resolved: dict[str, dict[str, Any]]) -> Any:
    world = resolver.world
    kind, name = option["type"], option["name"]
    if kind == STRING:
        value = str(raw)
        if len(value) < option.get("min_length", 0) or len(value) > option.get("max_length", 6000):
            raise CommandRejected(
                f"{name}: must be {option.get('min_length', 0)} to {option.get('max_length', 6000)} characters"
            )
        _check_choice(option, value)
        return value
    if kind in (INTEGER, NUMBER):
        try:
            number: int | float = int(raw) if kind == INTEGER else float(raw)
        except (TypeError, ValueError):
            raise CommandRejected(
                f"{name}: {raw!r} is not a {'whole ' if kind == INTEGER else ''}number"
            ) from None
        if ("min_value" in option and number < option["min_value"]) or (
            "max_value" in option and number > option["max_value"]
        ):
            raise CommandRejected(
                f"{name}: must be between {option.get('min_value')} and {option.get('max_value')}"
            )
        _check_choice(option, number)
        return number
    if kind == BOOLEAN:
        if isinstance(raw, bool):
            return raw
        text = str(raw).lower()
        if text not in _TRUE | _FALSE:
            raise CommandRejected(f"{name}: {raw!r} is not true or false")
        return text in _TRUE
    if kind == CHANNEL:
        channel = _lookup(world.channels, raw, lambda: world.find_channel(str(raw), resolver.guild_id))
        allowed = option.get("channel_types")
        if allowed and channel["type"] not in allowed:
            raise CommandRejected(
                f"{name}: #{channel['name']} is not a channel of the kind this option takes"
            )
        permissions = world.permissions(world.bot_id, channel["id"])
        partial: Payload = {k: channel[k] for k in ("id", "name", "type", "guild_id") if k in channel}
        partial |= {"permissions": str(permissions), "parent_id": channel.get("parent_id")}
        if "thread_metadata" in channel:
            partial["thread_metadata"] = channel["thread_metadata"]
        resolved.setdefault("channels", {})[channel["id"]] = partial
        return channel["id"]
    if kind in (USER, MENTIONABLE):
        user = _lookup(world.users, raw, lambda: world.find_user(str(raw)))
        resolved.setdefault("users", {})[user["id"]] = user
        member = world.members[resolver.guild_id].get(user["id"])
        if member is not None:
            resolved.setdefault("members", {})[user["id"]] = {
                k: v for k, v in member.items() if k != "user"
            } | {"permissions": "0"}
        return user["id"]
    if kind == ROLE:
        roles = world.roles[resolver.guild_id]
        role = roles.get(str(raw)) or next(
            (r for r in roles.values() if r["name"].lower() == str(raw).lstrip("@").lower()), None
        )
        if role is None:
            raise CommandRejected(f"{name}: no role {raw!r}")
        resolved.setdefault("roles", {})[role["id"]] = role
        return role["id"]
    if kind == ATTACHMENT:
        if isinstance(raw, tuple):
            filename, data = raw
        else:
            try:
                filename, data = resolver.read_file(str(raw))
            except OSError as error:
                raise CommandRejected(f"{name}: cannot read {raw}: {error.strerror}") from None
        attachment = world.upload(str(filename), bytes(data))
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]
    raise CommandRejected(f"{name}: options of type {kind} are not supported by the sandbox")


def _lookup(table: Mapping[str, Payload], raw: Any, by_name: Callable[[], Payload]) -> Payload:
    key = str(raw.get("id")) if isinstance(raw, Mapping) else str(raw)
    if key in table:
        return table[key]
    try:
        return by_name()
    except KeyError as error:
        raise CommandRejected(str(error.args[0])) from None


def _check_choice(option: Payload, value: Any) -> None:
    choices = option.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        raise CommandRejected(
            f"{option['name']}: choose one of {', '.join(str(c['value']) for c in choices)}"
        )
