"""The application and its commands: ``/applications/@me``, ``/applications/{id}/commands`` (global
and per guild), with what Discord refuses when commands are registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response
from bot.sandbox.protocol import CommandType
from bot.sandbox.state import ApiError, unknown

CHAT_INPUT = CommandType.CHAT_INPUT
"""A slash command: an application command's ``type`` when none is given."""


async def application(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /applications/@me`` (and the OAuth2 variant): the bot's application, owned by the world's first
    human user."""
    world = sandbox.world
    bot = world.user(world.bot_id)
    owner = next((u for u in world.users.values() if not u["bot"]), bot)
    return json_response(
        {
            "id": world.application_id,
            "name": bot["username"],
            "icon": None,
            "description": "Readalong in the sandbox",
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": owner,
            "type": None,
            "verify_key": "0" * 64,
            "flags": 1 << 19 | 1 << 23,
            "flags_new": str(1 << 19 | 1 << 23),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
            "bot": bot,
            "summary": "",
            "team": None,
            "rpc_origins": [],
            "approximate_guild_count": len(world.guilds),
        }
    )


def _scope(sandbox: Host, request: web.Request) -> str:
    if request.match_info["application_id"] != sandbox.world.application_id:
        raise unknown("Application")
    guild_id = request.match_info.get("guild_id")
    if guild_id is not None:
        sandbox.world.guild(guild_id)
    return guild_id or "global"


async def put_commands(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``PUT /applications/{id}/commands`` (or a guild's): replace the scope's commands, keeping the ids of
    those of the same name. Discord refuses more than 100 (30032) and any command that breaks its schema
    rules."""
    world = sandbox.world
    scope = _scope(sandbox, request)
    body = await request.json()
    if len(body) > 100:
        raise ApiError(400, 30032, "Maximum number of application commands reached (100)")
    previous = {c["name"]: c for c in world.commands.get(scope, [])}
    stored = []
    for command in body:
        check_command(command)
        old = previous.get(command["name"])
        stored.append(
            {k: v for k, v in command.items() if k != "guild_id"}
            | {
                "id": old["id"] if old else world.ids.next(),
                "application_id": world.application_id,
                "version": world.ids.next(),
                "type": command.get("type", CHAT_INPUT),
                # Discord answers with its defaults filled in, permissions as a string.
                "default_member_permissions": permission_string(command.get("default_member_permissions")),
                "integration_types": command.get("integration_types") or [0],
            }
            # A global command has no guild_id at all (Discord's docs: "guild_id?").
            | ({} if scope == "global" else {"guild_id": scope})
        )
    world.commands[scope] = stored
    return json_response(stored)


async def get_commands(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /applications/{id}/commands`` (or a guild's): the scope's commands as Discord stored them."""
    return json_response(sandbox.world.commands.get(_scope(sandbox, request), []))


def permission_string(value: Any) -> str | None:
    """A permission set as Discord returns it: a decimal string (or null), whatever was sent."""
    return None if value is None else str(int(value))


def check_command(command: Mapping[str, Any]) -> None:
    """What Discord refuses when commands are registered: bad names, long descriptions, too many options."""
    name = str(command.get("name") or "")
    slash = command.get("type", CHAT_INPUT) == CHAT_INPUT
    if slash and (not 1 <= len(name) <= 32 or name != name.lower() or " " in name):
        raise ApiError(400, 50035, f"Invalid Form Body: bad command name {name!r}")
    description = str(command.get("description") or "")
    if slash and not 1 <= len(description) <= 100:
        raise ApiError(400, 50035, f"Invalid Form Body: /{name} description must be 1-100 characters")
    options = command.get("options") or []
    if len(options) > 25:
        raise ApiError(400, 50035, f"Invalid Form Body: /{name} has more than 25 options")
    for option in options:
        check_command(
            {
                "name": option["name"],
                "description": option.get("description"),
                "options": option.get("options"),
            }
        )
