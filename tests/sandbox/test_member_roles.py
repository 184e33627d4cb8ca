"""Giving and taking a member's role as Discord's docs have it (Add/Remove Guild Member Role):
Manage Roles needed, and only roles below the giver's highest (the permissions topic's role
hierarchy); 403 Missing Permissions (50013) otherwise, and nothing changes."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from bot.sandbox import permissions as perms
from bot.sandbox.state import ApiError


def world_with_readers() -> tuple[Sandbox, str, str, str]:
    sandbox = Sandbox()
    seed = sandbox.seed()
    world = sandbox.world
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    readers = world.create_role(seed.guild_id, "Readers", 0)
    return sandbox, seed.guild_id, bot_role["id"], readers["id"]


def test_without_manage_roles_it_is_refused_and_nothing_changes() -> None:
    sandbox, guild, _, readers = world_with_readers()
    world = sandbox.world
    ben = next(u for u, m in world.members[guild].items() if m["user"]["username"] == "ben")
    with pytest.raises(ApiError) as refused:
        world.change_member_role(guild, world.bot_id, ben, readers, add=True)
    assert (refused.value.status, refused.value.code) == (403, 50013)
    assert world.member(guild, ben)["roles"] == []


def test_a_role_not_below_the_givers_highest_is_refused() -> None:
    sandbox, guild, bot_role, readers = world_with_readers()
    world = sandbox.world
    ben = next(u for u, m in world.members[guild].items() if m["user"]["username"] == "ben")
    world.set_role_permissions(guild, bot_role, perms.BOT_DEFAULT | perms.MANAGE_ROLES)
    for position in (world.roles[guild][bot_role]["position"], world.roles[guild][bot_role]["position"] + 1):
        world.set_role_position(guild, readers, position)  # level with it, then above it
        with pytest.raises(ApiError) as refused:
            world.change_member_role(guild, world.bot_id, ben, readers, add=True)
        assert refused.value.code == 50013 and world.member(guild, ben)["roles"] == []
    world.set_role_position(guild, readers, 1)
    world.set_role_position(guild, bot_role, 2)
    world.change_member_role(guild, world.bot_id, ben, readers, add=True)
    assert world.member(guild, ben)["roles"] == [readers]
    world.change_member_role(guild, world.bot_id, ben, readers, add=False)
    assert world.member(guild, ben)["roles"] == []
    with pytest.raises(ApiError) as unknown:
        world.change_member_role(guild, world.bot_id, ben, guild, add=True)  # @everyone is no role to give
    assert unknown.value.code == 10011
