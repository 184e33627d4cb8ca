"""The sample posted in #general and in the #reading-room forum, read in both, asked about in a
section thread, then exported in every format on Discord and from the shell (issue 22, findings
3 and 4): every file and every discussion says its channel and thread, the threads of the two
postings are never merged, the section thread holding an ``/ask`` answer keeps its section's
name, a forum post its title, and ``/archive export``'s reply counts what the file shows."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from bot.cli import main
from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.archive.dce_reader import read_dce
from tests.e2e.conftest import wait_archived
from tests.e2e.test_posting import comments_done, import_sample, post

ARTICLE = "the-lessons-of-zhanaozen"


async def _export(sandbox: Sandbox, format: str) -> tuple[str, bytes]:
    result = await sandbox.run_command(
        "ada", "general", "archive export", {"article": ARTICLE, "format": format, "every_posting": True}
    )
    (message,) = result.messages
    (attachment,) = message["attachments"]
    return message["content"], sandbox.world.file_at(attachment["url"])


async def test_every_export_says_where_with_two_postings(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, db_path: Path, tmp_path: Path
) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "general")
    await post(sandbox, "reading-room")
    await sandbox.wait_until(
        lambda: comments_done(sandbox, "general") and comments_done(sandbox, "reading-room"), within=30
    )
    await sandbox.wait_idle()
    in_general = sandbox.threads("general")[0]
    in_forum = sandbox.threads("reading-room")[1]
    section = in_general["name"]
    assert section.startswith("§1/6 · ") and in_forum["name"] == section
    said: list[dict[str, Any]] = [
        sandbox.send("ben", in_general, "Sixteen dead, in #general's thread."),
        sandbox.send("ben", in_forum, "And in the forum's post."),
    ]
    asked = await sandbox.run("ben", in_general["id"], "/ask question:How many people died?")
    said += asked.messages
    await sandbox.wait_idle()
    await wait_archived(bot, *said)

    reply, data = await _export(sandbox, "json")
    on_discord = read_dce(data)
    for document in on_discord.channels:
        channel = document["channel"]
        assert channel["name"] == sandbox.channel(channel["id"])["name"]
        if channel["categoryId"] is not None:
            assert channel["category"] == sandbox.channel(channel["categoryId"])["name"]
    files = {f["channelId"]: f for f in on_discord.others["readalong.json"]["readalong"]["files"]}
    assert files[in_general["id"]]["place"] == f"#general › {section}"
    assert files[in_general["id"]]["kind"] == "section thread"
    assert files[in_forum["id"]]["place"] == f"#reading-room › {section}"
    assert files[in_forum["id"]]["kind"] == "section post"
    assert reply.endswith(f"{len(on_discord.messages())} messages in {len(on_discord.channels)} files.")

    # The shell's export knows no channel's name, but every thread's, from the store.
    out = tmp_path / "shell.zip"
    arguments = ["--db", str(db_path), "export", ARTICLE, "--format", "json", "-o", str(out)]
    assert await asyncio.to_thread(main, arguments) == 0
    from_shell = read_dce(out.read_bytes())
    names = {d["channel"]["id"]: d["channel"]["name"] for d in from_shell.channels}
    assert names[in_general["id"]] == section and names[in_forum["id"]] == section
    assert not [n for n in names.values() if re.fullmatch(r"thread \d+", n)], names

    reply, data = await _export(sandbox, "markdown")
    markdown = data.decode("utf-8")
    assert f"### Discussion of §1 in #general › {section}" in markdown
    assert f"### Discussion of §1 in #reading-room › {section}" in markdown
    assert "*Discussed in #general, #reading-room (forum).*" in markdown
    assert "asked · " in markdown and f"[in #general › {section}](" in markdown  # where it was asked
    assert reply.endswith(
        f"2 messages from readers, {markdown.count('(original comment)')} original comments, 1 question asked."
    )

    _, data = await _export(sandbox, "html")
    page = data.decode("utf-8").replace("&#x27;", "'")
    assert f"<h2>{section}</h2>" in page
    assert f"<h3>Discussion in #general › {section}</h3>" in page
    assert f"<h3>Discussion in #reading-room › {section}</h3>" in page
