"""Attack: ``/about`` in one server must not tell what other servers hold. Its count of articles
is of those listed in the asker's server (its own imports and the shared library), so a member
cannot watch it to learn when another server imports an article."""

from __future__ import annotations

from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e import test_privacy
from tests.e2e.test_privacy import Places

places = test_privacy.places
settings = test_privacy.settings
bot = test_privacy.bot


async def articles_stored(sandbox: Sandbox, member: str, where: str) -> str:
    result = await sandbox.run_command(member, where, "about", {})
    assert not result.failed, result.text
    return result.text.split("Articles stored: ")[1].split(".")[0]


async def test_attack_about_counts_this_servers_articles_only(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    before = await articles_stored(sandbox, "fay", "lounge")
    imported = await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert not imported.failed, imported.text
    assert await articles_stored(sandbox, "ben", "general") == "1"  # the importing server: counted
    assert await articles_stored(sandbox, "fay", "lounge") == before == "0"  # another: unchanged
