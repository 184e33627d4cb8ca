"""The archive through the sandbox: recording replies, edits and deletions; catching up after
downtime (archived threads included); review with pages; exports in three formats."""

from __future__ import annotations

import html.parser
from pathlib import Path
from typing import TYPE_CHECKING, cast

import aiohttp
import pytest

from bot.archive.sync import SyncCounts
from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import CommandRejected, Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from bot.store import Store
from tests.archive.dce_reader import read_dce
from tests.conftest import both_backends
from tests.e2e.conftest import wait_archived

pytestmark = both_backends

if TYPE_CHECKING:
    from cogs.discussion import Discussion

ARTICLE = "the-lessons-of-zhanaozen"


async def post_sample(sandbox: Sandbox, *, sample_path: Path) -> None:
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command("ada", "general", "article post", {"article": ARTICLE, "channel": "general"})

    def done() -> bool:
        threads = [t for t in sandbox.threads("general") if t["name"].startswith("Comments:")]
        return bool(threads) and len(sandbox.messages(threads[0]["id"])) == 2

    await sandbox.wait_until(done, within=30)
    await sandbox.wait_idle()


def discussion(bot: ReadalongBot) -> Discussion:
    # load_extension executes cogs/discussion.py afresh, so its class is not the one imported here.
    cog = bot.get_cog("Discussion")
    assert cog is not None and type(cog).__name__ == "Discussion"
    return cast("Discussion", cog)


async def test_replies_edits_and_deletions_are_recorded(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    section_one = sandbox.threads("general")[0]
    first = sandbox.send("ben", section_one, "First thought on §1")
    second = sandbox.send("ada", section_one, "A reply", reply_to=first)
    doomed = sandbox.send("ben", section_one, "I regret this")
    await sandbox.wait_idle()
    sandbox.edit("ben", first, "First thought on §1, edited")
    sandbox.edit("ben", first, "First thought on §1, edited twice")
    sandbox.delete("ben", doomed)
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()
    stored = {m.id: m for m in await bot.store.messages.in_channel(int(section_one["id"]), Viewer.operator())}
    kept = stored[int(first["id"])]
    assert kept.content == "First thought on §1, edited twice"
    assert [old for _, old in kept.history] == ["First thought on §1", "First thought on §1, edited"]
    assert stored[int(second["id"])].reply_to == int(first["id"])
    assert stored[int(doomed["id"])].deleted_at is not None
    assert stored[int(doomed["id"])].content == "I regret this"  # kept for moderators


async def test_downtime_is_caught_up_archived_threads_included(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings) as bot:
        await post_sample(sandbox, sample_path=sample_path)
        threads = sandbox.threads("general")
        early = sandbox.send("ben", threads[0], "Said while the bot was up")
        doomed = sandbox.send("ada", threads[0], "Deleted while the bot is down")
        await sandbox.wait_idle()
        await discussion(bot).recorder.drain()

    # The bot is down for a while; the discussion goes on.
    for number in range(12):
        sandbox.send("ben" if number % 2 else "ada", threads[number % 3], f"while down {number}")
    sandbox.send("ben", threads[0], "answering the earlier one", reply_to=early)
    sandbox.edit("ben", early, "Said while the bot was up (edited while it was down)")
    sandbox.delete("ada", doomed)
    sandbox.send("ben", threads[-1], "On the comments, while down")
    sandbox.send("ben", "general", "In the channel itself, while down")
    sandbox.archive(threads[2])  # Discord auto-archives a quiet thread meanwhile

    async with running_bot(settings) as bot:
        counts = await discussion(bot).wait_backfilled()
        assert counts.added >= 15 and counts.edited == 1 and counts.deleted == 1
        for thread in [*threads, sandbox.channel("general")]:
            stored = {
                m.id: m for m in await bot.store.messages.in_channel(int(thread["id"]), Viewer.operator())
            }
            live = {int(m["id"]): m for m in sandbox.messages(thread["id"])}
            assert {i for i, m in stored.items() if m.deleted_at is None} == set(live), thread["name"]
            assert all(stored[i].content == m["content"] for i, m in live.items())
        assert await discussion(bot).backfill() == SyncCounts()  # running it again changes nothing


async def test_archive_show_pages_with_buttons(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[0]
    sent = [sandbox.send("ben", thread, f"Message number {n}: " + "words " * 30) for n in range(40)]
    await sandbox.wait_idle()
    await wait_archived(bot, *sent)
    shown = await sandbox.run_command("ada", "general", "archive show", {"thread": thread["id"]})
    (page,) = shown.messages
    assert "Message number 0:" in page["content"] and "Message number 39:" not in page["content"]
    assert "1/" in page["content"]
    turned = await sandbox.press("ada", page, "Next")
    assert not turned.failed
    page_two = sandbox.world.message(page["channel_id"], page["id"])
    assert "Message number 0:" not in page_two["content"] and "2/" in page_two["content"]


class TextOf(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


async def test_exports_in_three_formats(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[1]
    question = sandbox.send("ben", thread, "Who was prosecuted?")
    answer = sandbox.send("ada", thread, "Police and officials.", reply_to=question)
    await sandbox.wait_idle()
    await wait_archived(bot, question, answer)
    files: dict[str, bytes] = {}
    async with aiohttp.ClientSession() as session:
        for fmt in ("markdown", "html", "json"):
            result = await sandbox.run_command(
                "ada", "general", "archive export", {"article": ARTICLE, "format": fmt}
            )
            (attachment,) = result.messages[0]["attachments"]
            async with session.get(attachment["url"]) as response:
                files[fmt] = await response.read()
    markdown = files["markdown"].decode()
    assert "The Lessons of Zhanaozen" in markdown and "Who was prosecuted?" in markdown
    assert markdown.index("For while criminal behaviour") < markdown.index("Who was prosecuted?")
    assert markdown.index("Who was prosecuted?") < markdown.index("Police and officials.")
    page = TextOf()
    page.feed(files["html"].decode())
    text = " ".join(page.text)
    assert "Who was prosecuted?" in text and "Kuda" in text and "blockquote" in page.tags
    assert "script" not in page.tags and "link" not in page.tags  # one self-contained file
    exported = read_dce(files["json"])  # a zip of DiscordChatExporter's files
    by_content = {m["content"]: m for m in exported.messages()}
    answer = by_content["Police and officials."]
    assert answer["author"]["name"] in ("ada", "Ada") and answer["timestamp"]
    assert answer["reference"]["messageId"] == question["id"]


async def test_archive_survives_in_the_database(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings) as bot:
        await post_sample(sandbox, sample_path=sample_path)
        sandbox.send("ben", sandbox.threads("general")[0], "kept after the bot stops")
        await sandbox.wait_idle()
        await discussion(bot).recorder.drain()
    async with Store(settings.database) as store:
        contents = [m.content for m in await store.messages.in_article(ARTICLE, Viewer.operator())]
    assert "kept after the bot stops" in contents


async def test_search_by_words_and_by_author(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    threads = sandbox.threads("general")
    sent = [
        sandbox.send("ben", threads[0], "The oil workers strike started it all"),
        sandbox.send("ada", threads[1], "Strikes in oil towns are common"),
        sandbox.send("ada", threads[2], "Nothing to do with it"),
    ]
    await sandbox.wait_idle()
    await wait_archived(bot, *sent)
    found = await sandbox.run_command("ada", "general", "archive search", {"query": 'oil "strike" AND ('})
    assert "The oil workers strike" in found.text and "Strikes in oil towns" in found.text
    assert "Nothing to do" not in found.text and f"/{threads[0]['id']}/" in found.text
    by_ben = await sandbox.run_command("ada", "general", "archive search", {"query": "oil", "author": "ben"})
    assert "The oil workers strike" in by_ben.text and "Strikes in oil towns" not in by_ben.text
    nothing = await sandbox.run_command("ada", "general", "archive search", {"query": "sourdough"})
    assert nothing.ephemeral and "Nothing found" in nothing.text


async def test_a_server_can_choose_to_forget_deleted_words(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[0]
    before = sandbox.send("ben", thread, "deleted before the setting")
    sandbox.edit("ben", before, "deleted before the setting, edited")
    after = sandbox.send("ben", thread, "deleted after the setting")
    kept = sandbox.send("ben", thread, "never deleted")
    await sandbox.wait_idle()
    sandbox.delete("ben", before)
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()

    shown = await sandbox.run("ada", "general", "/article settings")
    assert shown.ephemeral and "kept, marked deleted" in shown.text
    with pytest.raises(CommandRejected):  # readers do not even see the admin commands
        await sandbox.run("ben", "general", "/article settings purge_deleted:True")
    changed = await sandbox.run("ada", "general", "/article settings purge_deleted:True")
    assert "Forgotten now: 1 already deleted" in changed.text

    sandbox.delete("ben", after)
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()
    stored = {m.id: m for m in await bot.store.messages.in_channel(int(thread["id"]), Viewer.operator())}
    for gone in (before, after):
        message = stored[int(gone["id"])]
        assert message.deleted_at is not None and message.content == "" and message.history == ()
    assert stored[int(kept["id"])].content == "never deleted"
    assert await bot.store.search.search_messages('"setting"', viewer=Viewer.operator()) == []
    assert "forgotten" in (await sandbox.run("ada", "general", "/article settings")).text
