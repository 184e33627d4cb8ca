"""Attacks on the questions asked as exports carry them (issue 15), end to end with the real bot:
a question answered in a private thread (archived too) reaches only the thread's members' exports,
and a second server's questions never reach the first's (nor the other way). Each check has its
positive control. The setup (private #staff, a second server) is test_privacy's."""

from __future__ import annotations

from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e import test_privacy
from tests.e2e.test_archive_io import download
from tests.e2e.test_privacy import ARTICLE, Places, post, settle

places = test_privacy.places
settings = test_privacy.settings
bot = test_privacy.bot

THREAD_Q = "What did the commission decide about the quokka wages?"
OTHER_Q = "What did the strike cost the wombat union?"


async def asked(sandbox: Sandbox, member: str, where: str, question: str, article: str = ARTICLE) -> None:
    result = await sandbox.run_command(member, where, "ask", {"question": question, "article": article})
    assert not result.failed, result.text


async def export(sandbox: Sandbox, member: str, where: str, article: str, fmt: str) -> str:
    result = await sandbox.run_command(member, where, "archive export", {"article": article, "format": fmt})
    assert not result.failed, result.text
    return (await download(result.messages))[1]


async def test_attack_a_private_threads_questions_reach_its_members_only(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "ada", "general", "general", sample_path=sample_path)
    thread = sandbox.create_private_thread("ben", "general", "ben and cat")
    sandbox.add_to_thread("ben", thread, "cat")
    sandbox.add_to_thread("ben", thread, "Readalong")
    said = sandbox.send("ben", thread, "We can ask here.")
    await settle(sandbox, bot, said)
    await asked(sandbox, "cat", thread["id"], THREAD_Q)
    await sandbox.wait_idle()

    for archived in (False, True):
        if archived:
            sandbox.archive(thread)
            await settle(sandbox, bot)
        for fmt in ("markdown", "html", "json"):
            # Members of the thread (ben, cat) and ada (Manage Threads) have it; dan does not.
            for member in ("ben", "cat", "ada"):
                assert "quokka" in await export(sandbox, member, "general", ARTICLE, fmt), (member, fmt)
            hidden = await export(sandbox, "dan", "general", ARTICLE, fmt)
            assert "quokka" not in hidden and thread["id"] not in hidden, (archived, fmt)
            assert "ben and cat" not in hidden  # the private thread's name is not shown either


async def test_attack_a_second_servers_questions_stay_there(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    # Both servers import the same file: each has its own copy, and asks about it.
    await post(sandbox, "ada", "general", "general", sample_path=sample_path)
    imported = await sandbox.run_command(
        "eve", "lounge", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    theirs = imported.text.split("Id: `")[1].split("`")[0]
    before = len(sandbox.threads("lounge"))
    await sandbox.run_command("eve", "lounge", "article post", {"article": theirs, "channel": "lounge"})
    await sandbox.wait_until(lambda: len(sandbox.threads("lounge")) >= before + 7, within=30)
    await sandbox.wait_idle()
    await asked(sandbox, "fay", "lounge", OTHER_Q, theirs)
    await asked(sandbox, "ben", "general", THREAD_Q)
    await sandbox.wait_idle()

    for fmt in ("markdown", "json"):
        first = await export(sandbox, "ada", "general", ARTICLE, fmt)
        second = await export(sandbox, "eve", "lounge", theirs, fmt)
        assert "quokka" in first and "wombat" not in first, fmt
        assert "wombat" in second and "quokka" not in second and seed.guild_id not in second, fmt
