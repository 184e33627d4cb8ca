"""Attack: make the bot ping through this session's new output paths. An article whose title,
byline, bio, text and comments hold @everyone, @here, a member's and a role's mention, imported by
a bot whose role may mention everyone, then: ``/articles``, a question about the author (the
byline and bio quoted), ``/archive search`` finding the original comments, ``/help``, and the
``/article delete`` prompt and its outcome. Only ``allowed_mentions`` stands between the words
and a ping, and the sandbox decides pings from it as Discord does."""

from __future__ import annotations

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from tests.e2e.test_no_pings import hostile_article
from tests.e2e.test_posting import assert_no_pings


async def test_attack_no_pings_from_the_new_output_paths(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    world = sandbox.world
    loud = world.create_role(seed.guild_id, "Everyone-pinger", perms.BOT_DEFAULT)
    (bot_role,) = world.member(seed.guild_id, seed.bot_id)["roles"]
    world.set_role_permissions(seed.guild_id, bot_role, perms.BOT_DEFAULT | perms.MENTION_EVERYONE)
    imported = await sandbox.run_command(
        "ada",
        "general",
        "article import",
        {"file": ("pings.txt", hostile_article(seed, loud["id"]).encode())},
    )
    assert not imported.failed, imported.text
    article_id = imported.text.split("Id: `")[1].split("`")[0]

    listed = await sandbox.run_command("ben", "general", "articles", {})
    about = await sandbox.run_command(
        "ben", "general", "ask", {"question": "Who is the author?", "article": article_id}
    )
    found = await sandbox.run_command("ben", "general", "archive search", {"query": "regional fund"})
    helped = await sandbox.run_command("ben", "general", "help", {})
    prompt = await sandbox.run_command("ada", "general", "article delete", {"article": article_id})
    outcome = await sandbox.press("ada", prompt.messages[0], "Confirm")
    await sandbox.wait_idle()
    for result in (listed, about, found, helped, prompt, outcome):
        assert not result.failed, result.text
    # The words that would ping reached Discord (so the check below checks something) ...
    assert "@everyone" in listed.text
    assert "@everyone" in about.text and f"<@{seed.reader_id}>" in about.text  # the bio, quoted
    assert "original comment" in found.text and "regional fund" in found.text  # shown neutralised
    assert "/help" in helped.text or "/ask" in helped.text
    # ... and nobody was pinged.
    assert_no_pings(sandbox)
