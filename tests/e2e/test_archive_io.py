"""Archives out (issue 15), through the sandbox with the real bot: archive search finds the
original comments beside readers' messages, labelled by the comments thread's name; exports carry
the ``/ask`` questions and answers with who asked and when (UTC), to those who could see them
asked; ``md`` is accepted as Markdown. Each privacy check has its positive control."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import re
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.discord.client import ReadalongBot
from bot.domain.database import Database
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from bot.store import Store
from tests.archive.dce_reader import read_dce
from tests.conftest import both_backends, db_argument
from tests.e2e.conftest import wait_archived

pytestmark = both_backends

ARTICLE = "the-lessons-of-zhanaozen"
COMMENT_WORDS = "embarassed bleeding obvious"
"""Words of two original comments (Kuda's, and Nathan Hamm's quoting it), not of the article."""
PUBLIC_Q = "Who was prosecuted after the riots?"
STAFF_Q = "What did the trials of the oil workers decide?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


@pytest.fixture
def staff(sandbox: Sandbox, seed: Seed) -> str:
    """A private #staff (cat is staff, ben is not), made before the bot starts."""
    world = sandbox.world
    role = world.create_role(seed.guild_id, "Staff", perms.EVERYONE_DEFAULT)
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    cat = world.create_user("cat", display_name="Cat")
    world.add_member(seed.guild_id, cat["id"], [role["id"]])
    channel = world.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[
            {"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)},
            {"id": role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
            {"id": bot_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
        ],
    )
    return str(channel["id"])


@pytest.fixture
async def bot(settings: Settings, staff: str) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        yield running


async def post_sample(sandbox: Sandbox, sample_path: Path) -> dict[str, Any]:
    """Import and post the sample into #general; the comments thread once both comments are in."""
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command("ada", "general", "article post", {"article": ARTICLE, "channel": "general"})

    def comments() -> list[dict[str, Any]]:
        return [t for t in sandbox.threads("general") if t["name"].startswith("Comments:")]

    await sandbox.wait_until(
        lambda: bool(comments()) and len(sandbox.messages(comments()[0]["id"])) == 2, within=30
    )
    await sandbox.wait_idle()
    return comments()[0]


async def test_archive_search_finds_the_original_comments_beside_readers(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    comments = await post_sample(sandbox, sample_path)
    reply = sandbox.send("ben", comments, "Kuda was not embarassed enough, if you ask me.")
    await sandbox.wait_idle()
    await wait_archived(bot, reply)

    found = (await sandbox.run_command("ben", "general", "archive search", {"query": COMMENT_WORDS})).text
    # The comments, under their commenters' names, each with a link to its posted message.
    assert "**Kuda** · Comments · original comment" in found
    assert "**Nathan Hamm** · Comments · original comment" in found
    posted = {m["id"] for m in sandbox.messages(comments["id"])}
    linked = set(re.findall(rf"/{comments['id']}/(\d+)\)", found))
    assert linked >= posted  # both comments' messages are linked
    # A reader's message in the comments thread is named by the thread, not "§-".
    embarassed = (await sandbox.run_command("ben", "general", "archive search", {"query": "embarassed"})).text
    assert "**Ben** · Comments · [jump]" in embarassed and "§-" not in embarassed
    # Searching one member's messages leaves the commenters out (they are not members).
    by_ben = (
        await sandbox.run_command(
            "ben", "general", "archive search", {"query": "embarassed", "author": "ben"}
        )
    ).text
    assert "**1 result for**" in by_ben and "**Ben**" in by_ben and "**Kuda**" not in by_ben

    # The operator's command line, beside the running bot: the same results, labelled by name.
    assert (
        await asyncio.to_thread(
            main, ["--db", db_argument(bot.settings.database), "archive", "search", "embarassed"]
        )
        == 0
    )
    lines = capsys.readouterr().out
    assert f"Ben [{ARTICLE} Comments] https://discord.com/channels/{seed.guild_id}/{comments['id']}/" in lines
    assert f"Kuda [{ARTICLE} Comments, original comment 1] https://discord.com/channels/" in lines
    assert "§-" not in lines


async def download_bytes(result_messages: list[dict[str, Any]]) -> bytes:
    (attachment,) = result_messages[0]["attachments"]
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        return await response.read()


async def download(result_messages: list[dict[str, Any]]) -> tuple[str, str]:
    """The attached export's name and text (a zip of DCE files: all their texts, one after another)."""
    (attachment,) = result_messages[0]["attachments"]
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        data = await response.read()
    if attachment["filename"].endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return attachment["filename"], "\n".join(archive.read(n).decode() for n in archive.namelist())
    return attachment["filename"], data.decode()


async def test_exports_carry_the_questions_asked_to_those_who_saw_them(
    sandbox: Sandbox,
    seed: Seed,
    staff: str,
    bot: ReadalongBot,
    sample_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await post_sample(sandbox, sample_path)
    thread = sandbox.threads("general")[1]
    public = await sandbox.run_command("ben", thread["id"], "ask", {"question": PUBLIC_Q, "article": ARTICLE})
    private = await sandbox.run_command("cat", "staff", "ask", {"question": STAFF_Q, "article": ARTICLE})
    assert not public.failed and not private.failed
    # Asked before channels were logged, and from the command line: no channel known.
    await bot.store.asks.record(
        article_id=ARTICLE, question="An old question?", answered=False, quotes=[], latency_ms=1.0,
        guild_id=int(seed.guild_id), user_id=4242,
    )  # fmt: skip
    await sandbox.wait_idle()

    # ben's export: his public question, with his name, when (UTC) and where; not #staff's.
    result = await sandbox.run_command(
        "ben", "general", "archive export", {"article": ARTICLE, "format": "md"}
    )
    name, markdown = await download(result.messages)
    assert name == f"{ARTICLE}.md"
    assert "## Questions asked" in markdown and f"**Q:** {PUBLIC_Q}" in markdown
    asked = re.search(
        r"- \*\*(\w+)\*\* asked · (\d{4}-\d\d-\d\d \d\d:\d\d) UTC · \[in ([^\]]+)\]\((\S+)\)", markdown
    )
    assert asked is not None and asked[1] in ("ben", "Ben")
    assert asked.group(3) == f"#general › {thread['name']}"  # where, named (issue 22)
    assert asked[4] == f"https://discord.com/channels/{seed.guild_id}/{thread['id']}"
    answer = markdown[markdown.index(f"**Q:** {PUBLIC_Q}") :]
    assert "**A:**" in answer and public.text.split("\n", 1)[1].strip()[:40] in answer
    assert STAFF_Q not in markdown and "An old question?" not in markdown
    assert "*Times are UTC." in markdown

    # ada (admin: she can view #staff) gets both questions, in HTML and JSON too; never the old
    # one. Of every posting: #staff's question was asked outside #general's posting (issue 22).
    for fmt in ("html", "json"):
        result = await sandbox.run_command(
            "ada", "general", "archive export", {"article": ARTICLE, "format": fmt, "every_posting": True}
        )
        _, text = await download(result.messages)
        assert PUBLIC_Q in text and STAFF_Q in text and "An old question?" not in text
        if fmt == "json":
            extras = read_dce(await download_bytes(result.messages)).others["readalong.json"]["readalong"]
            assert extras["timeZone"] == "UTC"
            by_question = {a["question"]: a for a in extras["asks"]}
            assert by_question[STAFF_Q]["asker"]["name"] in ("cat", "Cat")
            assert by_question[STAFF_Q]["askedAt"].endswith("+00:00")
            assert by_question[STAFF_Q]["channelId"] == staff
        else:
            assert '<section class="part" id="asks">' in text and "UTC" in text

    # The operator's export has every question, the old one too.
    out = tmp_path / "all.md"
    db = db_argument(bot.settings.database)
    assert (
        await asyncio.to_thread(main, ["--db", db, "export", ARTICLE, "--format", "md", "-o", str(out)]) == 0
    )
    everything = out.read_text(encoding="utf-8")
    assert PUBLIC_Q in everything and STAFF_Q in everything and "An old question?" in everything
    assert "- **member 4242** asked ·" in everything
    capsys.readouterr()


async def test_md_is_markdown_and_other_names_are_refused(
    database: Database, sample_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = db_argument(database)
    assert await asyncio.to_thread(main, ["--db", db, "import", str(sample_path)]) == 0
    outputs = []
    for name in ("markdown", "md", "MD"):
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["--db", db, "export", ARTICLE, "--format", name]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2] and outputs[0].startswith("# The Lessons of Zhanaozen")
    with pytest.raises(SystemExit) as refused:
        main(["--db", db, "export", ARTICLE, "--format", "docx"])
    assert refused.value.code == 2
    assert "invalid choice: 'docx'" in capsys.readouterr().err
    async with Store(database) as store:
        assert await store.articles.count() == 1
