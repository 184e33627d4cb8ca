"""Guilds and their members: ``/guilds/{id}``, its channels, members and active threads."""

from __future__ import annotations

from aiohttp import web

from bot.sandbox.host import Host
from bot.sandbox.middleware import json_response
from bot.sandbox.state import THREADS, ApiError


def _bot_in_guild(sandbox: Host, request: web.Request) -> str:
    """The guild's id; 404 for an unknown guild, 403 50001 for one the bot is not in."""
    guild_id = request.match_info["guild_id"]
    sandbox.world.guild(guild_id)
    if sandbox.world.bot_id not in sandbox.world.members[guild_id]:
        raise ApiError(403, 50001, "Missing Access")
    return guild_id


async def get_guild(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /guilds/{id}`` with its roles; 403 Missing Access (50001) for a server the bot is not in."""
    guild_id = _bot_in_guild(sandbox, request)
    world = sandbox.world
    return json_response(world.guild(guild_id) | {"roles": list(world.roles[guild_id].values())})


async def guild_channels(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /guilds/{id}/channels``: the server's channels, threads excluded, as Discord lists them."""
    guild_id = _bot_in_guild(sandbox, request)
    channels = [
        c for c in sandbox.world.channels.values() if c["guild_id"] == guild_id and c["type"] not in THREADS
    ]
    return json_response(channels)


async def get_member(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /guilds/{id}/members/{user}``: 404 Unknown Member (10007) for a user who is not one."""
    guild_id = _bot_in_guild(sandbox, request)
    return json_response(sandbox.world.member(guild_id, request.match_info["user_id"]))


async def active_threads(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``GET /guilds/{id}/threads/active``: the unarchived threads the bot can view, all in one answer."""
    guild_id = _bot_in_guild(sandbox, request)
    world = sandbox.world
    threads = [t for t in world.active_threads(guild_id) if world.can_view(world.bot_id, t["id"])]
    # The spec's ThreadsResponse: all active threads come in one answer, so never more to page.
    return json_response({"threads": threads, "members": [], "has_more": False})


async def member_role(sandbox: Host, request: web.Request) -> web.StreamResponse:
    """``PUT``/``DELETE /guilds/{id}/members/{user}/roles/{role}``: give or take a role; 204, or
    Discord's refusals (:meth:`~bot.sandbox.world.places.Places.change_member_role`)."""
    guild_id = _bot_in_guild(sandbox, request)
    sandbox.world.change_member_role(
        guild_id,
        sandbox.world.bot_id,
        request.match_info["user_id"],
        request.match_info["role_id"],
        add=request.method == "PUT",
    )
    return web.Response(status=204)
