"""Article ids are per server (issue 21, finding 1), end to end through the sandbox: two servers
importing the same title (different files, or the identical sample file) are each told the plain
id, and every command that shows or takes an id — the import's reply, ``/articles``, the
autocomplete, ``/article post|status``, the intro's footer, ``/ask article:``, ``/archive
search|export article:`` — names each server's own article by it, so neither can tell what the
other holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.driver import CommandResult
from bot.sandbox.harness import running_bot
from bot.settings import Settings

LAYOFFS = "layoffs-plan-q3"
SAMPLE = "the-lessons-of-zhanaozen"


def memo(words: str) -> bytes:
    return f"# Layoffs Plan Q3\n\nBy Someone\n\n{words} This paragraph is long enough to be a section.\n".encode()


@pytest.fixture
def lounge(sandbox: Sandbox) -> str:
    """A channel of a second server, owned (and administered) by eve."""
    world = sandbox.world
    eve = world.create_user("eve", display_name="Eve")
    other = world.create_guild("Other Server", owner_id=eve["id"])
    bot_role = world.create_role(other["id"], "Readalong", perms.BOT_DEFAULT)
    world.add_member(other["id"], eve["id"])
    world.add_member(other["id"], world.bot_id, [bot_role["id"]])
    return str(world.create_channel(other["id"], "lounge")["id"])


@pytest.fixture
async def bot(settings: Settings, sandbox: Sandbox, seed: Seed, lounge: str) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        # The bot syncs its commands to the test server; the second server gets the same ones.
        other = sandbox.world.channel(lounge)["guild_id"]
        sandbox.world.commands[other] = sandbox.world.commands[seed.guild_id]
        yield running


async def run(sandbox: Sandbox, member: str, where: str, names: str, **options: object) -> CommandResult:
    result = await sandbox.run_command(member, where, names, options)
    assert not result.failed, result.text
    return result


async def download(result: CommandResult) -> tuple[str, str]:
    (attachment,) = result.messages[0]["attachments"]
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        return attachment["filename"], (await response.read()).decode()


async def test_two_servers_importing_the_same_title_are_each_told_the_plain_id(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, lounge: str, sample_path: Path
) -> None:
    ours = await run(
        sandbox, "ada", "general", "article import", file=("ours.md", memo("Ours: cut the night shift."))
    )
    assert f"Id: `{LAYOFFS}`" in ours.text
    theirs = await run(
        sandbox, "eve", lounge, "article import", file=("theirs.md", memo("Theirs: close the depot."))
    )
    assert f"Id: `{LAYOFFS}`" in theirs.text and f"{LAYOFFS}-2" not in theirs.text
    # The identical file, too: each server its own copy, under the same id.
    for member, channel in (("ada", "general"), ("eve", lounge)):
        imported = await run(
            sandbox, member, channel, "article import", file=(sample_path.name, sample_path.read_bytes())
        )
        assert f"Id: `{SAMPLE}`" in imported.text and f"{SAMPLE}-2" not in imported.text

    listed = await run(sandbox, "eve", lounge, "articles")
    assert f"`{LAYOFFS}`" in listed.text and f"`{SAMPLE}`" in listed.text and "-2`" not in listed.text
    choices = await sandbox.autocomplete("eve", lounge, "article post", {"article": "layoffs"}, "article")
    assert [c["value"] for c in choices] == [LAYOFFS]

    posted = await run(sandbox, "eve", lounge, "article post", article=LAYOFFS, channel=lounge)
    assert f"/article status article:{LAYOFFS}`" in posted.text
    await sandbox.wait_until(lambda: len(sandbox.messages(lounge)) >= 2, within=30)
    await sandbox.wait_idle()
    intro = sandbox.messages(lounge)[0]
    assert intro["embeds"][0]["footer"]["text"] == f"Readalong · article {LAYOFFS}"
    assert "depot" in sandbox.messages(lounge)[1]["content"]
    # A posting still going refuses another of the article in its channel, naming it by the
    # plain id (a finished one would not: issue 22).
    (done,) = await bot.store.postings.for_guild(int(sandbox.world.channel(lounge)["guild_id"]))
    async with bot.store.transaction() as db:
        await db.execute("UPDATE postings SET state = 'paused' WHERE id = ?", (done.id,))
    twice = await sandbox.run_command("eve", lounge, "article post", {"article": LAYOFFS, "channel": lounge})
    assert f"'{LAYOFFS}' is already being posted" in twice.text, twice.text
    status = await run(sandbox, "eve", lounge, "article status", article=LAYOFFS)
    assert f"(`{LAYOFFS}`)" in status.text and "<#" in status.text

    asked = await run(sandbox, "eve", lounge, "ask", question="What will they close?", article=LAYOFFS)
    assert "depot" in asked.text and "night shift" not in asked.text
    asked_here = await run(sandbox, "ada", "general", "ask", question="Which shift is cut?", article=LAYOFFS)
    assert "night shift" in asked_here.text and "depot" not in asked_here.text

    searched = await run(sandbox, "eve", lounge, "archive search", query="depot", article=LAYOFFS)
    assert "unknown article" not in searched.text
    name, text = await download(await run(sandbox, "eve", lounge, "archive export", article=LAYOFFS))
    assert name == f"{LAYOFFS}.md" and "depot" in text and "night shift" not in text
    assert str(seed.guild_id) not in text
