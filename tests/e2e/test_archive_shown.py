"""``/archive show`` through the sandbox shows a thread as Discord shows it (issue 22, finding 5):
a reader's mention as the member's name (never ``<@id>``, nor an escaped ``\\‹@…\\>``), which
pings no one; custom emoji as ``:name:``; a time in UTC; and the bot's own ``/ask`` answer in
the Markdown it was posted in, not escaped."""

from __future__ import annotations

from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e.conftest import wait_archived
from tests.e2e.test_ask import posted

WHEN = 1_765_000_000  # 2025-12-06 05:46:40 UTC


async def test_archive_show_renders_names_emoji_times_and_answers(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[0]
    said = sandbox.send("ben", thread, f"<@{seed.admin_id}> look at <t:{WHEN}:R> <:blob:123> **really**")
    asked = await sandbox.run("ben", thread["id"], "/ask question:How many people died?")
    (answer,) = asked.messages
    await sandbox.wait_idle()
    await wait_archived(bot, said, answer)

    shown = await sandbox.run_command("ben", "general", "archive show", {"thread": thread["id"]})
    (page,) = shown.messages
    content = page["content"]
    assert "@Ada look at 6 December 2025 05:46 UTC :blob: \\*\\*really\\*\\*" in content, content
    assert "<@" not in content and "‹@" not in content and "<t:" not in content
    assert page["mentions"] == [] and not page["mention_everyone"]  # a name pings no one
    # The bot's answer as it was posted: its Markdown kept, its link a link.
    assert "**Q:** How many people died?" in content and "\\*\\*Q:" not in content
    assert "> The result was that 16 people died" in content
    assert "(https://discord.com/channels/" in content and "\\[" not in content.split("**Q:**")[1]
