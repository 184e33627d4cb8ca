"""``/article close``: a finished read-along's threads locked and archived, with Manage Threads
(an optional permission); without it, one line naming it and nothing changed."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from tests.e2e.test_posting import ARTICLE, comments_done, import_sample, post


def threads_of(sandbox: Sandbox, seed: Seed) -> list[dict[str, Any]]:
    return [t for t in sandbox.world.channels.values() if t.get("parent_id") == seed.general_id]


async def test_close_locks_a_finished_read_alongs_threads_with_manage_threads_only(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    going = await sandbox.run("ada", "general", f"/article close article:{ARTICLE}")
    assert "There is no finished posting" in going.text
    await post(sandbox, "general")
    await sandbox.wait_until(functools.partial(comments_done, sandbox, "general"), within=15)
    await sandbox.wait_idle()
    threads = threads_of(sandbox, seed)
    assert len(threads) == 7  # six sections and the comments

    before = [len(sandbox.messages(str(t["id"]))) for t in threads]
    in_channel = len(sandbox.messages("general"))
    refused = await sandbox.run("ada", "general", f"/article close article:{ARTICLE}")
    assert refused.ephemeral and "Manage Threads" in refused.text and "nothing was changed" in refused.text
    assert not any(t["thread_metadata"]["locked"] for t in threads_of(sandbox, seed))

    world = sandbox.world
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    world.set_role_permissions(seed.guild_id, bot_role["id"], perms.BOT_DEFAULT | perms.MANAGE_THREADS)
    await sandbox.wait_idle()
    closed = await sandbox.run("ada", "general", f"/article close article:{ARTICLE}")
    assert "7 threads locked and archived" in closed.text
    after = threads_of(sandbox, seed)
    assert all(t["thread_metadata"]["locked"] and t["thread_metadata"]["archived"] for t in after)
    # Nothing lost: every message posted is still there, in the channel and in the threads.
    assert [len(sandbox.messages(str(t["id"]))) for t in after] == before
    assert len(sandbox.messages("general")) == in_channel
