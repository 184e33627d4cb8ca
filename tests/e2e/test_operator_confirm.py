"""`/article delete`'s Confirm, pressed while the database is busy for a few seconds (another
process writing, such as a `readalong import` of a large file: the bot's write waits for it):
Discord wants an answer to the button within 3 s, so the press is acknowledged at once and the
outcome shown when the delete is done; never "This interaction failed" over a delete that happened."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.settings import Settings

TEXT = b"# Busy Day\n\nBy Someone\n\nThe first paragraph of the article, long enough to be one.\n"


@pytest.mark.slow(seconds=4)
async def test_operator_confirm_answers_in_time_when_the_delete_waits_for_the_database(
    sandbox: Sandbox, seed: Seed, settings: Settings, bot: ReadalongBot
) -> None:
    await sandbox.run_command("ada", "general", "article import", {"file": ("busy.md", TEXT)})
    assert [a.id for a in await bot.store.articles.list()] == ["busy-day"]
    prompt = await sandbox.run("ada", "general", "/article delete article:busy-day")
    (message,) = prompt.messages

    def shown() -> str:
        return str(sandbox.world.message(message["channel_id"], message["id"])["content"])

    other = sqlite3.connect(settings.db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's write, holding the lock for 4 s
    try:
        pressed = asyncio.create_task(sandbox.press("ada", message, "Confirm"))
        await asyncio.sleep(4.0)
        # Answered in time, the buttons gone at once (the prompt cannot be pressed again), while
        # the delete still waits for the database.
        assert pressed.done() and not pressed.result().failed
        assert not sandbox.world.message(message["channel_id"], message["id"]).get("components")
        assert shown() == "Deleting `busy-day`…"
    finally:
        other.execute("COMMIT")
        other.close()

    await sandbox.wait_until(lambda: "is deleted" in shown(), within=15)
    assert "`busy-day` is deleted in this server" in shown()
    assert await bot.store.articles.list() == []
