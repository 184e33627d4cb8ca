"""Every command the bot suggests runs as written (issue 22, finding 6): the import reply (it
lacked the required ``channel:``), the refusal of a second posting still going (it names the one
to cancel, and a cancelled posting can be posted again), ``/article status`` before anything is
posted, the posting reply, the pause reply, and ``/ask``'s "not posted here yet". Each reply
is read for the commands it shows in code spans (`` `/…` ``); each is run in the sandbox where
it was suggested, by who was told, and must do what it says, not refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.driver import CommandResult

ARTICLE = "the-lessons-of-zhanaozen"
SUGGESTED = re.compile(r"`(/[a-z][^`]*)`")
DONE = {
    "article post": "Posting **",
    "article cancel": "Cancelled the posting of",
    "article status": "sections posted",
    "article resume": "Resumed `",
    "article list": ARTICLE,
    "ask": "> ",
}
"""What each command a reply may suggest says when it did its work (not a refusal). A
suggestion of a command missing here fails the test: add what it says when it works."""


@pytest.fixture
def seed(sandbox: Sandbox) -> Seed:
    made = sandbox.seed()
    sandbox.world.create_channel(made.guild_id, "book-club")
    return made


def suggestions(result: CommandResult) -> list[str]:
    """The commands a reply shows as code."""
    assert not result.failed, result.text
    return SUGGESTED.findall(result.text)


async def run_each(sandbox: Sandbox, member: str, channel: str, found: list[str]) -> list[CommandResult]:
    """Run every suggested command as written; each must say it did its work."""
    assert found, "no command was suggested"
    done = []
    for line in found:
        parts = line.removeprefix("/").split()
        key = " ".join(p for p in parts[:2] if ":" not in p)
        assert key in DONE, f"{line!r}: say in DONE what {key!r} answers when it works"
        result = await sandbox.run(member, channel, line)
        assert not result.failed and DONE[key] in result.text, (line, result.text)
        done.append(result)
        await sandbox.wait_idle()
    return done


async def test_every_command_the_bot_suggests_runs_as_written(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    nothing_yet = await sandbox.run("ada", "general", "/article status")
    assert suggestions(nothing_yet) == ["/article list"], nothing_yet.text
    # /article list says there is nothing yet: import first, then run the suggestion.
    imported = await sandbox.run_command(
        "ada", "book-club", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await run_each(sandbox, "ada", "general", suggestions(nothing_yet))
    not_posted = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
    assert suggestions(not_posted) == [f"/article post article:{ARTICLE} channel:#general"]
    # The import reply names the channel it was used in: posting there runs at once, whole.
    assert suggestions(imported) == [f"/article post article:{ARTICLE} channel:#book-club"], imported.text
    again = await sandbox.run_command(
        "ada", "book-club", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert suggestions(again) == suggestions(imported) and "already here" in again.text
    (posted,) = await run_each(sandbox, "ada", "book-club", suggestions(imported))
    await sandbox.wait_until(lambda: len(sandbox.threads("book-club")) >= 6, within=20)
    await run_each(sandbox, "ada", "book-club", suggestions(posted))  # /article status article:…

    # #general at a pace: §1 now, the rest an hour apart.
    paced = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general pace:60")
    assert "one every 60 min" in paced.text
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 1, within=20)
    await sandbox.wait_idle()

    # /ask in #general, where §5 is not posted yet: the command that reads ahead runs.
    ahead = await sandbox.run(
        "ben", "general", "/ask question:What did the International Labour Organisation recommend?"
    )
    assert "not been posted here yet" in ahead.text
    (read_ahead,) = await run_each(sandbox, "ben", "general", suggestions(ahead))
    assert "International Labour Organisation" in read_ahead.text and "-# — §5" in read_ahead.text

    # Paused, then resumed as the reply says.
    paused = await sandbox.run("ada", "general", "/article pause")
    assert "Paused" in paused.text
    await run_each(sandbox, "ada", "general", suggestions(paused))

    # Posting it again in #general while it is going: refused, naming the posting to cancel;
    # cancelled as suggested, it can be posted there again.
    twice = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general")
    assert "already being posted" in twice.text and "\n" not in twice.text.strip(), twice.text
    await run_each(sandbox, "ada", "general", suggestions(twice))
    reposted = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#general")
    assert "Posting **" in reposted.text, reposted.text
