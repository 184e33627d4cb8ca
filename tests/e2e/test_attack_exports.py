"""Attacks on the exports' "questions asked" (issue 15), end to end with the real bot.

A question put to the bot by mentioning it is a member's own message. Exports show a deleted
message as deleted, never its words; the question log must not keep showing them either, and a
server that purges deleted messages' words must have them forgotten there too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from tests.e2e.conftest import wait_archived
from tests.e2e.test_archive_io import ARTICLE, download, post_sample

QUESTION = "Who was prosecuted after the riots, asks the zebra?"
SECRET = "zebra"
"""A word of the question only (not of the article, nor of its answer)."""


async def deleted(bot: ReadalongBot, message_id: int) -> None:
    for _ in range(300):
        stored = await bot.store.messages.get(message_id, Viewer.operator())
        if stored is not None and stored.deleted_at:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the deletion was not archived")


async def export_md(sandbox: Sandbox, member: str) -> str:
    result = await sandbox.run_command(
        member, "general", "archive export", {"article": ARTICLE, "format": "md"}
    )
    assert not result.failed, result.text
    return (await download(result.messages))[1]


async def test_attack_a_deleted_mention_question_leaves_the_exports(
    sandbox: Sandbox,
    seed: Seed,
    bot: ReadalongBot,
    sample_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await post_sample(sandbox, sample_path)
    thread = sandbox.threads("general")[1]
    asked = sandbox.send("ben", thread, f"<@{seed.bot_id}> {QUESTION}")
    await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 2, within=15)
    await sandbox.wait_idle()
    await wait_archived(bot, asked)

    # Control: while the question stands, the export shows it with its answer.
    assert SECRET in await export_md(sandbox, "ada")

    sandbox.delete("ben", asked)
    await deleted(bot, int(asked["id"]))
    after = await export_md(sandbox, "ada")
    assert SECRET not in after  # the deleted message is shown deleted, and its words nowhere

    # A server that purges deleted messages' words: the question log forgets them too, so not
    # even the operator's export (which reads the database file) has them.
    changed = await sandbox.run("ada", "general", "/article settings purge_deleted:True")
    assert not changed.failed, changed.text
    out = tmp_path / "all.md"
    db = str(bot.settings.db_path)
    assert (
        await asyncio.to_thread(main, ["--db", db, "export", ARTICLE, "--format", "md", "-o", str(out)]) == 0
    )
    capsys.readouterr()
    assert SECRET not in out.read_text(encoding="utf-8")


async def test_attack_an_edited_mention_question_shows_as_it_now_stands(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path)
    thread = sandbox.threads("general")[1]
    asked = sandbox.send("ben", thread, f"<@{seed.bot_id}> {QUESTION}")
    await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 2, within=15)
    await sandbox.wait_idle()
    await wait_archived(bot, asked)
    assert SECRET in await export_md(sandbox, "ada")  # control: the question as asked

    # Ben takes the word back: exports show a message as it now stands, the question too.
    sandbox.edit("ben", asked, f"<@{seed.bot_id}> Who was prosecuted after the riots?")
    for _ in range(300):
        stored = await bot.store.messages.get(int(asked["id"]), Viewer.operator())
        if stored is not None and stored.edited_at:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the edit was not archived")
    after = await export_md(sandbox, "ada")
    assert SECRET not in after and "Who was prosecuted after the riots?" in after


READER_SAYS = "The zebra committee quietly settled the wrangling in secret meetings."
READER_Q = "Who settled the wrangling in secret meetings?"


async def test_attack_an_answer_quoting_a_deleted_message_leaves_its_words_out(
    sandbox: Sandbox,
    seed: Seed,
    bot: ReadalongBot,
    sample_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await post_sample(sandbox, sample_path)
    thread = sandbox.threads("general")[1]
    said = sandbox.send("ben", thread, READER_SAYS)
    await sandbox.wait_idle()
    await wait_archived(bot, said)
    answer = await sandbox.run_command("ada", "general", "ask", {"question": READER_Q, "article": ARTICLE})
    assert "zebra committee" in answer.text  # Ben's words answer it
    assert "zebra committee" in await export_md(sandbox, "ada")  # control

    sandbox.delete("ben", said)
    await deleted(bot, int(said["id"]))
    after = await export_md(sandbox, "ada")
    assert SECRET not in after and READER_Q in after  # the question stays, the deleted words go

    changed = await sandbox.run("ada", "general", "/article settings purge_deleted:True")
    assert not changed.failed, changed.text
    out = tmp_path / "all.md"
    db = str(bot.settings.db_path)
    assert (
        await asyncio.to_thread(main, ["--db", db, "export", ARTICLE, "--format", "md", "-o", str(out)]) == 0
    )
    capsys.readouterr()
    assert SECRET not in out.read_text(encoding="utf-8")
