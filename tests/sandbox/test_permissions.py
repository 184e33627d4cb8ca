"""The sandbox works out Read Message History as Discord's Permissions topic does: overwrites for
@everyone, then the member's roles together, then the member; threads take their parent's."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms

HISTORY = perms.READ_MESSAGE_HISTORY


@pytest.fixture
async def world() -> AsyncIterator[tuple[Sandbox, Seed]]:
    async with Sandbox() as sandbox:
        yield sandbox, sandbox.seed()


def reads(sandbox: Sandbox, who: str, channel_id: str) -> bool:
    value = sandbox.world.permissions(sandbox.world.find_user(who)["id"], channel_id)
    return bool(value & perms.VIEW_CHANNEL and value & HISTORY)


async def test_read_message_history_through_every_layer_of_overwrites(world: tuple[Sandbox, Seed]) -> None:
    sandbox, seed = world
    w = sandbox.world
    role = w.create_role(seed.guild_id, "Readers", perms.EVERYONE_DEFAULT & ~HISTORY)
    cat = w.create_user("cat", display_name="Cat")
    w.add_member(seed.guild_id, cat["id"], [role["id"]])
    thread = w.create_thread(seed.general_id, seed.admin_id, "a thread")
    private = w.create_private_thread(seed.general_id, seed.reader_id, "ben's")
    assert reads(sandbox, "ben", seed.general_id) and reads(sandbox, "cat", seed.general_id)

    # @everyone denied: nobody without something that allows it back (the owner has all).
    w.set_overwrite(seed.general_id, seed.guild_id, deny=HISTORY)
    for place in (seed.general_id, thread["id"], private["id"]):
        assert not reads(sandbox, "ben", place) and not reads(sandbox, "cat", place), place
        assert w.can_view(seed.reader_id, place) or place == private["id"]  # still viewed, not read
    assert reads(sandbox, "ada", seed.general_id)

    # A role's allow wins over @everyone's deny, for its members only; threads follow.
    w.set_overwrite(seed.general_id, role["id"], allow=HISTORY)
    assert reads(sandbox, "cat", seed.general_id) and reads(sandbox, "cat", thread["id"])
    assert not reads(sandbox, "ben", seed.general_id)

    # The member's own deny wins over their roles' allow; another role's deny loses to an allow.
    w.set_overwrite(seed.general_id, cat["id"], deny=HISTORY, member=True)
    assert not reads(sandbox, "cat", seed.general_id) and not reads(sandbox, "cat", thread["id"])
    w.set_overwrite(seed.general_id, cat["id"], allow=HISTORY, member=True)
    other = w.create_role(seed.guild_id, "Muted", perms.EVERYONE_DEFAULT)
    w.members[seed.guild_id][cat["id"]]["roles"].append(other["id"])
    w.set_overwrite(seed.general_id, other["id"], deny=HISTORY)
    assert reads(sandbox, "cat", seed.general_id)  # the member's allow comes last
    w.set_overwrite(seed.general_id, cat["id"], member=True)  # the member's overwrite now neutral
    assert reads(sandbox, "cat", seed.general_id)  # roles together: an allow beats a deny

    # A base without the permission (no role grants it) and no overwrite: viewed, not read.
    w.set_overwrite(seed.general_id, seed.guild_id)
    w.set_overwrite(seed.general_id, role["id"])
    w.set_member_roles(seed.guild_id, cat["id"], [role["id"]])
    assert reads(sandbox, "cat", seed.general_id)  # @everyone's role still grants it
    w.set_role_permissions(seed.guild_id, seed.guild_id, perms.EVERYONE_DEFAULT & ~HISTORY)
    assert w.can_view(cat["id"], seed.general_id) and not reads(sandbox, "cat", seed.general_id)
    assert not reads(sandbox, "ben", thread["id"]) and reads(sandbox, "ada", thread["id"])
