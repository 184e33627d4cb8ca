"""No spoilers (issue 13): during a paced posting, ``/ask`` and mentions quote only the sections
already posted in the server, name the section further on that answers, and quote it with
``ahead:True``; the command line quotes the whole article; readers' words are quoted as always."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from bot.cli import main
from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import sandbox_settings
from bot.settings import Settings
from tests.e2e.conftest import wait_archived

ARTICLE = "the-lessons-of-zhanaozen"
JOBS = "How many new jobs were created in 2012?"
JOBS_ANSWER = "Over 5,000 new jobs have been created in 2012 alone"
"""In §4 of the sample article."""
NOT_POSTED = "**§4 answers this; it has not been posted here yet.**"


@pytest.fixture
def settings(sandbox: Sandbox, seed: Seed, db_path: Path) -> Settings:
    # Several questions by one member in a row: the cooldown is tested on its own.
    return dataclasses.replace(
        sandbox_settings(Settings(db_path=db_path), sandbox, seed.guild_id), ask_cooldown_seconds=0.0
    )


async def import_sample(sandbox: Sandbox, sample_path: Path) -> None:
    result = await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert not result.failed


async def test_during_a_paced_posting_only_posted_sections_are_quoted(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await import_sample(sandbox, sample_path)
    posting = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "general", "pace": 60}
    )
    assert "one every 60 min" in posting.text
    await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 2, within=10)
    await sandbox.wait_idle()
    section_one = sandbox.messages("general")[1]
    assert section_one["content"].startswith("**§1/6")

    # The answer is in §4, an hour and more away: named, not quoted, and no "closest passage".
    ahead_of_posting = await sandbox.run("ben", "general", f"/ask question:{JOBS}")
    assert NOT_POSTED in ahead_of_posting.text
    assert "ahead:True" in ahead_of_posting.text
    assert "5,000" not in ahead_of_posting.text and ">" not in ahead_of_posting.text

    # A question §1 answers is answered from §1, with its link.
    posted = await sandbox.run("ben", "general", "/ask question:How many people died?")
    assert "> The result was that 16 people died and many more were injured." in posted.text
    assert f"/{seed.general_id}/{section_one['id']})" in posted.text

    # Reading ahead is the asker's choice.
    read_ahead = await sandbox.run("ben", "general", f"/ask question:{JOBS} ahead:True")
    assert f"> {JOBS_ANSWER}" in read_ahead.text
    assert "-# — §4" in read_ahead.text and NOT_POSTED not in read_ahead.text

    # A mention in §1's thread is /ask without ahead.
    thread = sandbox.threads("general")[0]
    sandbox.send("ben", thread, f"<@{seed.bot_id}> {JOBS.lower()}")
    await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 2, within=10)
    reply = sandbox.messages(thread["id"])[-1]
    assert reply["author"]["id"] == seed.bot_id
    assert NOT_POSTED in reply["content"] and "5,000" not in reply["content"]

    # Readers' words are quoted as always, whatever section they are about.
    said = sandbox.send("ben", thread, "My uncle drove the night bus from Aktau to Zhanaozen for nine years.")
    await sandbox.wait_idle()
    await wait_archived(bot, said)
    reader = await sandbox.run("ada", "general", "/ask question:Who drove the night bus from Aktau?")
    assert "> My uncle drove the night bus from Aktau to Zhanaozen for nine years." in reader.text

    # The operator's command line quotes the whole article.
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["--db", str(bot.settings.db_path), "ask", ARTICLE, JOBS])
    assert code == 0
    assert JOBS_ANSWER in capsys.readouterr().out
    # Nothing was posted ahead of time by all this.
    assert len([m for m in sandbox.messages("general") if m["content"].startswith("**§")]) == 1


async def test_an_article_not_posted_in_the_server_is_quoted_whole(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """Nobody is reading it along here, so nothing can be spoiled."""
    await import_sample(sandbox, sample_path)
    result = await sandbox.run("ben", "general", f"/ask question:{JOBS} article:{ARTICLE}")
    assert f"> {JOBS_ANSWER}" in result.text and "-# — §4" in result.text
