"""The sandbox chat draws a message as a Discord client does (issue 22, finding 5), with the same
module the archive's transcripts and exports use: mentions as names, custom emoji as ``:name:``,
``<t:…:R>`` relative, never the raw markup. No bot is needed: a member writes, another reads."""

from __future__ import annotations

import io
import time

from bot.sandbox import Sandbox, Seed
from bot.sandbox.chat import Chat


async def test_the_chat_draws_mentions_emoji_and_times(sandbox: Sandbox, seed: Seed) -> None:
    out = io.StringIO()
    Chat(sandbox, seed, out, settle_seconds=0.1, member_id=seed.reader_id)
    role = sandbox.world.create_role(seed.guild_id, "Readers", 0)
    soon = int(time.time()) + 300
    sandbox.send(
        "ada",
        "general",
        f"<@{seed.reader_id}> and <@&{role['id']}>, see <#{seed.general_id}> <t:{soon}:R> <:blob:123>",
    )
    await sandbox.wait_idle(quiet=0.1)
    drawn = out.getvalue()
    assert "@Ben and @Readers, see #general in 5 minutes :blob:" in drawn, drawn
    assert "<@" not in drawn and "<t:" not in drawn and "<:" not in drawn
