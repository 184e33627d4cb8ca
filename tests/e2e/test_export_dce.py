"""``/archive export format:json`` read back the way DiscordChatExporter's readers read it: a zip
of DCE files, one per channel and thread, that together hold every message and every author of
the discussion the exporting member may see, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from tests.archive.dce_reader import DceExport, read_dce
from tests.e2e.conftest import wait_archived
from tests.e2e.test_archive import ARTICLE, post_sample


@pytest.fixture
def cat(sandbox: Sandbox, seed: Seed) -> str:
    """A second reader, made before the bot starts (a member like ben)."""
    user = sandbox.world.create_user("cat", display_name="Cat")
    sandbox.world.add_member(seed.guild_id, user["id"])
    return str(user["id"])


async def export_as(sandbox: Sandbox, member: str) -> tuple[str, DceExport]:
    result = await sandbox.run_command(
        member, "general", "archive export", {"article": ARTICLE, "format": "json"}
    )
    (attachment,) = result.messages[0]["attachments"]
    data = sandbox.world.file_at(attachment["url"])
    return attachment["filename"], read_dce(data)


async def test_a_dce_reader_counts_every_message_and_author_of_the_discussion(
    sandbox: Sandbox, seed: Seed, cat: str, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    threads = sandbox.threads("general")
    comments = next(t for t in threads if t["name"].startswith("Comments:"))
    sections = [t for t in threads if t is not comments]
    question = sandbox.send("ben", sections[0], "Who was prosecuted?")
    sent: list[dict[str, Any]] = [
        question,
        sandbox.send("cat", sections[0], "Police and officials.", reply_to=question),
        sandbox.send("ada", sections[1], "The trials were public."),
        sandbox.send("cat", comments, "Kuda has a point.", reply_to=sandbox.messages(comments["id"])[-1]),
    ]
    private = sandbox.create_private_thread("ben", "general", "ben's notes")
    sandbox.add_to_thread("ben", private, "Readalong")
    secret = sandbox.send("ben", private, "zebra committee notes")
    await sandbox.wait_idle()
    await wait_archived(bot, *sent, secret)
    archive = await bot.store.messages.in_article(ARTICLE, Viewer.operator())

    # ada (an admin, who manages threads) sees everything: every message and author is there.
    name, exported = await export_as(sandbox, "ada")
    assert name == f"{ARTICLE}-dce.zip"
    assert sorted(m["id"] for m in exported.messages()) == sorted(str(m.id) for m in archive)
    assert exported.authors() == {str(m.author_id) for m in archive}
    assert {seed.admin_id, seed.reader_id, cat, seed.bot_id} <= exported.authors()
    # One file per channel and thread that has messages: #general, the threads written in, the private one.
    assert sorted(d["channel"]["id"] for d in exported.channels) == sorted(
        {str(m.channel_id) for m in archive}
    )
    assert {seed.general_id, sections[0]["id"], comments["id"], private["id"]} <= {
        d["channel"]["id"] for d in exported.channels
    }
    for document in exported.channels:
        assert document["guild"] == {
            "id": seed.guild_id,
            "name": "Readalong Sandbox",
            "iconUrl": document["guild"]["iconUrl"],
        }
        channel = document["channel"]
        assert channel["name"] == sandbox.channel(channel["id"])["name"]  # its name, not its id
        if channel["id"] == seed.general_id:
            assert channel["type"] == "GuildTextChat" and channel["categoryId"] is None
        else:
            assert channel["categoryId"] == seed.general_id and channel["category"] == "general"
            kind = "GuildPrivateThread" if channel["id"] == private["id"] else "GuildPublicThread"
            assert channel["type"] == kind
    replies = {m["content"]: m for m in exported.messages()}
    assert replies["Police and officials."]["reference"]["messageId"] == question["id"]
    extras = exported.others["readalong.json"]["readalong"]
    assert extras["timeZone"] == "UTC" and extras["article"] == ARTICLE
    assert sum(f["messages"] for f in extras["files"]) == len(archive)

    # cat, a member outside ben's private thread, gets the rest and not a word of it.
    _, theirs = await export_as(sandbox, "cat")
    assert sorted(m["id"] for m in theirs.messages()) == sorted(
        str(m.id) for m in archive if m.channel_id != int(private["id"])
    )
    assert private["id"] not in {d["channel"]["id"] for d in theirs.channels}
    assert "zebra" not in str(theirs.channels) and "ben's notes" not in str(theirs.others)
