"""The commands people expect (issue 15), end to end through the sandbox: /help from the command
tree, /articles for every member, /article status defaulting to the latest posting, re-importing
the same file, /article cancel across a restart, resuming at the pace, /article delete with its
confirmation and the trust model, the intro's bio and the headings of continued sections."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pytest

from bot.articles import Article
from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import CommandRejected, Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.driver import CommandResult
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from bot.store import Store
from cogs.help import command_list
from cogs.reading import Reading
from tests.e2e.conftest import wait_archived

ARTICLE = "the-lessons-of-zhanaozen"
ONE_OF_EACH = """One Comment Only

by Ann Author on 12/18/2012 · 1 comment

Just one paragraph of body text here, short enough for one section.

This post was written by...

Ann Author is a writer.

Kuda January 2, 2013 at 8:36 pm

A single comment.
"""
_PARAGRAPH = " ".join(f"Sentence number {i} says something about the reform." for i in range(40))
LONG_HEADING = (
    f"# Long Heading Article\n\n## Background\n\n{_PARAGRAPH}\n\n{_PARAGRAPH}\n\n## Next part\n\nShort.\n"
)


@dataclass(frozen=True)
class Places:
    staff_id: str
    """A channel ben (a member) cannot see; ada (the admin) and the bot can."""
    other_guild_id: str
    lounge_id: str
    """A channel of the other server, whose owner is eve."""


@pytest.fixture
def places(sandbox: Sandbox, seed: Seed) -> Places:
    world = sandbox.world
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    staff = world.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[
            {"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)},
            {"id": bot_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
        ],
    )
    eve = world.create_user("eve", display_name="Eve")
    other = world.create_guild("Other Server", owner_id=eve["id"])
    other_bot_role = world.create_role(other["id"], "Readalong", perms.BOT_DEFAULT)
    world.add_member(other["id"], eve["id"])
    world.add_member(other["id"], world.bot_id, [other_bot_role["id"]])
    lounge = world.create_channel(other["id"], "lounge")
    return Places(staff["id"], other["id"], lounge["id"])


@pytest.fixture
async def bot(
    settings: Settings, places: Places, sandbox: Sandbox, seed: Seed
) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        # The bot syncs its commands to the test server; the second server gets the same ones.
        sandbox.world.commands[places.other_guild_id] = sandbox.world.commands[seed.guild_id]
        yield running


def reading(bot: ReadalongBot) -> Reading:
    return cast("Reading", bot.get_cog("Reading"))


async def import_file(
    sandbox: Sandbox, name: str, data: bytes, *, member: str = "ada", channel: str = "general"
) -> CommandResult:
    result = await sandbox.run_command(member, channel, "article import", {"file": (name, data)})
    assert not result.failed and result.ephemeral
    return result


async def post(
    sandbox: Sandbox, channel: str, article: str = ARTICLE, *, member: str = "ada", **options: object
) -> str:
    here = "general" if member == "ada" else channel
    result = await sandbox.run_command(
        member, here, "article post", {"article": article, "channel": channel, **options}
    )
    assert not result.failed and result.ephemeral, result.text
    return result.text


def buttons(message: dict[str, object]) -> list[str]:
    rows = cast("list[dict[str, list[dict[str, str]]]]", message.get("components") or [])
    return [c["label"] for row in rows for c in row["components"]]


# -- /help --------------------------------------------------------------------------------------


async def test_help_lists_every_command_of_the_tree_with_examples_privately(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    result = await sandbox.run("ben", "general", "/help")
    assert not result.failed and result.ephemeral
    text = result.text
    assert "read an article together" in text.lower() and "thread" in text
    commands = command_list(bot.tree)
    names = {c.name for c in commands}
    assert {"help", "ask", "articles", "article cancel", "article delete", "archive search"} <= names
    for command in commands:
        assert f"`/{command.name}`: {command.description}" in text, command.name
    everyone, admins = text.split("For admins")
    assert "`/articles`" in everyone and "`/ask`" in everyone and "`/article " not in everyone
    assert "`/article delete`" in admins
    assert "· e.g. `/ask question:" in everyone and "· e.g. `/article post article:" in admins


# -- /articles and /article list ---------------------------------------------------------------


async def test_articles_is_for_every_member_and_shows_only_channels_they_see(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_file(sandbox, sample_path.name, sample_path.read_bytes())
    await post(sandbox, "general", pace=60, comments=False)
    await post(sandbox, places.staff_id, pace=60, comments=False)
    await sandbox.wait_until(lambda: len(sandbox.messages(places.staff_id)) >= 2, within=15)

    listed = await sandbox.run("ben", "general", "/articles")
    assert not listed.failed and listed.ephemeral
    assert f"`{ARTICLE}`" in listed.text and "6 sections, 2 comments" in listed.text
    assert f"<#{seed.general_id}> (active)" in listed.text
    assert places.staff_id not in listed.text  # a posting in a channel ben cannot see is not shown

    admin = await sandbox.run("ada", "general", "/articles")
    assert f"<#{seed.general_id}> (active)" in admin.text and f"<#{places.staff_id}> (active)" in admin.text
    with pytest.raises(CommandRejected, match="permission"):
        await sandbox.run_command("ben", "general", "article list")  # the admins' commands stay theirs
    with pytest.raises(CommandRejected, match="permission"):
        await sandbox.run_command("ben", "general", "article cancel")


async def test_counts_are_singular_for_one(sandbox: Sandbox, seed: Seed, bot: ReadalongBot) -> None:
    result = await import_file(sandbox, "one.txt", ONE_OF_EACH.encode())
    assert "1 section, 1 comment." in result.text, result.text
    posted = await post(sandbox, "general", "one-comment-only")
    assert "1 section now and 1 original comment." in posted, posted
    listed = await sandbox.run("ben", "general", "/articles")
    assert "1 section, 1 comment" in listed.text


# -- re-importing ------------------------------------------------------------------------------


async def test_importing_the_same_file_again_says_it_is_already_there(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    data = sample_path.read_bytes()
    first = await import_file(sandbox, sample_path.name, data)
    assert f"Id: `{ARTICLE}`" in first.text
    again = await import_file(sandbox, "renamed.txt", data.decode("utf-8").encode("utf-16"))
    assert f"is already here, as `{ARTICLE}`" in again.text and "nothing was imported" in again.text
    assert [a.id for a in await bot.store.articles.list()] == [ARTICLE]

    # Another server does not learn that this one has it: its import is its own.
    elsewhere = await import_file(sandbox, sample_path.name, data, member="eve", channel=places.lounge_id)
    assert "Imported **The Lessons of Zhanaozen**" in elsewhere.text and "already" not in elsewhere.text
    assert len(await bot.store.articles.list()) == 2


# -- /article status, pause, resume, cancel ----------------------------------------------------


async def test_status_defaults_to_the_latest_posting_and_resume_keeps_the_pace(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_file(sandbox, sample_path.name, sample_path.read_bytes())
    await import_file(sandbox, "one.txt", ONE_OF_EACH.encode())
    await post(sandbox, "general", "one-comment-only", comments=False)
    await post(sandbox, "reading-room", pace=60, comments=False)  # the latest posting
    await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) == 2, within=15)
    await sandbox.wait_idle()

    # Used where a posting is, the status is that posting's article (issue 22); elsewhere, the
    # latest posting's.
    here = await sandbox.run("ada", "general", "/article status")
    assert "**One Comment Only**" in here.text, here.text
    sandbox.world.create_channel(seed.guild_id, "lounge")
    await sandbox.wait_idle()
    status = await sandbox.run("ada", "lounge", "/article status")
    assert "**The Lessons of Zhanaozen**" in status.text and "sections posted 1/6" in status.text
    assert "next due" in status.text

    paused = await sandbox.run("ada", "general", "/article pause")
    assert "Paused `the-lessons-of-zhanaozen`" in paused.text
    resumed = await sandbox.run("ada", "general", "/article resume")
    assert "the next section is due in 60 min" in resumed.text
    await sandbox.wait_idle(quiet=0.5)
    assert len(sandbox.threads("reading-room")) == 2  # nothing went out at once
    (posting,) = await bot.store.postings.for_guild(int(seed.guild_id), ARTICLE)
    items = await bot.store.postings.items(posting.id)
    next_section = next(row for row in items if row.status != "done")
    assert next_section.kind == "section" and next_section.section == 2
    in_minutes = (next_section.due_at - dt.datetime.now(dt.UTC)).total_seconds() / 60
    assert 59 < in_minutes <= 60
    status = await sandbox.run("ada", "lounge", "/article status")
    assert "active" in status.text and "sections posted 1/6" in status.text


async def test_cancel_stops_a_posting_for_good_across_a_restart(
    sandbox: Sandbox, seed: Seed, places: Places, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings):
        await import_file(sandbox, sample_path.name, sample_path.read_bytes())
        await post(sandbox, "general", pace=60, comments=False)
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 2, within=15)
        await sandbox.wait_idle()
        cancelled = await sandbox.run("ada", "general", "/article cancel")
        assert not cancelled.failed and cancelled.ephemeral
        assert "Cancelled the posting of `the-lessons-of-zhanaozen`" in cancelled.text
        again = await sandbox.run("ada", "general", f"/article cancel article:{ARTICLE}")
        assert "no active or paused posting" in again.text
        resumed = await sandbox.run("ada", "general", "/article resume")
        assert "There is no paused posting" in resumed.text
        status = await sandbox.run("ada", "general", "/article status")
        assert "cancelled · sections posted 1/6" in status.text and "next due" not in status.text

    # Hours pass while the bot is down: every section would be due; none may go out.
    async with Store(settings.db_path) as store, store.transaction() as db:
        await db.execute(
            "UPDATE posting_items SET due_at = strftime('%Y-%m-%dT%H:%M:%S+00:00', due_at, '-600 minutes')"
        )
    async with running_bot(settings) as bot:
        await sandbox.wait_idle(quiet=0.5)
        listed = await sandbox.run("ada", "general", "/article list")
        (posting,) = await bot.store.postings.for_guild(int(seed.guild_id))
        items = await bot.store.postings.items(posting.id)
    assert [m["content"][:6] for m in sandbox.messages("general")] == ["📖 **Th", "**§1/6"]
    assert f"<#{seed.general_id}> (cancelled)" in listed.text
    assert posting.state == "done" and posting.cancelled_at is not None
    # The bookkeeping still matches the channel: what is done was sent once, the rest never.
    sent = {int(m["id"]) for m in sandbox.messages("general")}
    done = [row for row in items if row.status == "done"]
    assert {row.message_id for row in done} == sent and len(done) == 2
    assert all(row.status == "pending" and row.message_id is None for row in items if row not in done)


# -- /article delete ---------------------------------------------------------------------------


async def test_delete_asks_the_admin_to_confirm_and_only_them(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    await import_file(sandbox, "long.md", LONG_HEADING.encode())
    article = "long-heading-article"
    prompt = await sandbox.run("ada", "general", f"/article delete article:{article}")
    assert prompt.ephemeral and "Delete **Long Heading Article**" in prompt.text
    (message,) = prompt.messages
    assert buttons(message) == ["Confirm", "Cancel"]

    # Discord shows the prompt to ada only, so ben cannot press it (the view checks who presses
    # as well, should it ever be sent where others see it).
    with pytest.raises(CommandRejected, match="visible only to the member it answered"):
        await sandbox.press("ben", message, "Confirm")
    dropped = await sandbox.press("ada", message, "Cancel")
    assert not dropped.failed
    shown = sandbox.world.message(message["channel_id"], message["id"])
    assert "was not deleted" in shown["content"] and not buttons(shown)
    assert await bot.store.articles.listed_in(int(seed.guild_id), article)

    prompt = await sandbox.run("ada", "general", f"/article delete article:{article}")
    (message,) = prompt.messages
    await sandbox.press("ada", message, "Confirm")
    shown = sandbox.world.message(message["channel_id"], message["id"])
    assert f"`{article}` is deleted in this server" in shown["content"] and not buttons(shown)
    assert [a.id for a in await bot.store.articles.list()] == []
    gone = await sandbox.run("ada", "general", f"/article status article:{article}")
    assert f"unknown article '{article}'" in gone.text


async def test_an_unanswered_delete_prompt_expires_and_deletes_nothing(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    reading(bot).confirm_seconds = 0.5
    await import_file(sandbox, "long.md", LONG_HEADING.encode())
    prompt = await sandbox.run("ada", "general", "/article delete article:long-heading-article")
    (message,) = prompt.messages
    assert "the buttons expire <t:" in prompt.text and buttons(message) == ["Confirm", "Cancel"]

    def expired() -> bool:
        return not buttons(sandbox.world.message(message["channel_id"], message["id"]))

    await sandbox.wait_until(expired, within=10)
    shown = sandbox.world.message(message["channel_id"], message["id"])
    assert shown["content"] == "The buttons expired: `long-heading-article` was not deleted."
    assert [a.id for a in await bot.store.articles.list()] == ["long-heading-article"]


async def test_delete_of_a_posted_article_takes_its_archive_and_cancels_the_posting(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_file(sandbox, sample_path.name, sample_path.read_bytes())
    await post(sandbox, "general", pace=60)
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) >= 1, within=15)
    await sandbox.wait_idle()
    thread = sandbox.threads("general")[0]
    said = sandbox.send("ben", thread, "The commission's report matters most.")
    await sandbox.wait_idle()
    await wait_archived(bot, said)

    refused = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE}")
    assert "archive depends on it" in refused.text and "Nothing was deleted." in refused.text
    assert not refused.messages[0].get("components")

    prompt = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE} archive:True")
    assert "1 posting still going" in prompt.text and "will be cancelled first" in prompt.text
    (message,) = prompt.messages
    await sandbox.press("ada", message, "Confirm")
    shown = sandbox.world.message(message["channel_id"], message["id"])["content"]
    assert f"`{ARTICLE}` is deleted in this server with 1 posting and its archive (" in shown
    assert await bot.store.messages.get(int(said["id"]), Viewer.operator()) is None
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []
    assert await bot.store.articles.list() == []
    before = len(sandbox.messages("general"))
    await sandbox.wait_idle(quiet=0.5)
    assert len(sandbox.messages("general")) == before  # nothing more is posted


async def test_deleting_in_one_server_leaves_what_another_server_uses(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_article: Article
) -> None:
    # The operator's shared library (readalong import): listed in both servers, posted in both.
    await bot.store.articles.add(sample_article)
    await post(sandbox, "general", comments=False)
    await post(sandbox, places.lounge_id, member="eve", comments=False)
    await sandbox.wait_until(
        lambda: len(sandbox.threads("general")) == 6 and len(sandbox.threads(places.lounge_id)) == 6,
        within=30,
    )
    await sandbox.wait_idle()
    ours = sandbox.send("ben", sandbox.threads("general")[0], "Ours: the commission.")
    theirs = sandbox.send("eve", sandbox.threads(places.lounge_id)[0], "Theirs: the trials.")
    await sandbox.wait_idle()
    await wait_archived(bot, ours, theirs)

    prompt = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE} archive:True")
    assert "stays in the shared library" in prompt.text
    await sandbox.press("ada", prompt.messages[0], "Confirm")

    assert await bot.store.messages.get(int(ours["id"]), Viewer.operator()) is None
    assert await bot.store.messages.get(int(theirs["id"]), Viewer.operator()) is not None
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []
    assert len(await bot.store.postings.for_guild(int(places.other_guild_id))) == 1
    assert [a.id for a in await bot.store.articles.list(int(places.other_guild_id))] == [ARTICLE]
    status = await sandbox.run("eve", places.lounge_id, "/article status")
    assert "sections posted 6/6" in status.text

    # With nothing of this server's left, the shared article is not this server's to delete.
    refused = await sandbox.run("ada", "general", f"/article delete article:{ARTICLE}")
    assert "shared library" in refused.text and "Nothing was deleted." in refused.text

    # An article imported in the other server only is unknown here: nothing to delete, no leak.
    elsewhere = await import_file(
        sandbox, "one.txt", ONE_OF_EACH.encode(), member="eve", channel=places.lounge_id
    )
    assert "Id: `one-comment-only`" in elsewhere.text
    unknown = await sandbox.run("ada", "general", "/article delete article:one-comment-only")
    assert "unknown article 'one-comment-only'" in unknown.text and not unknown.messages[0].get("components")
    assert await bot.store.articles.listed_in(int(places.other_guild_id), "one-comment-only")


# -- what a posting shows ----------------------------------------------------------------------


async def test_intro_tells_who_the_author_is_and_continued_sections_keep_their_heading(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_file(sandbox, sample_path.name, sample_path.read_bytes())
    await import_file(sandbox, "long.md", LONG_HEADING.encode())
    await post(sandbox, "general", comments=False)
    await post(sandbox, "reading-room", "long-heading-article")
    await sandbox.wait_until(
        lambda: len(sandbox.messages("general")) == 7 and len(sandbox.threads("reading-room")) == 6, within=30
    )
    (embed,) = sandbox.messages("general")[0]["embeds"]
    assert (
        "**About the author:** Erlan Idrissov is the Foreign Minister of the Republic of Kazakhstan."
        in embed["description"]
    )
    names = [t["name"] for t in sandbox.threads("reading-room")]
    assert names[1:] == [
        "§1/5 · Background",
        "§2/5 · Background (cont.)",
        "§3/5 · Background (cont.)",
        "§4/5 · Background (cont.)",
        "§5/5 · Next part",
    ]
    starter = sandbox.messages(sandbox.threads("reading-room")[2]["id"])[0]
    assert starter["content"].startswith("**§2/5 · Background (cont.)**\n\n")


@pytest.mark.slow(seconds=4)
async def test_cancelling_while_discord_is_slow_keeps_the_bookkeeping_exact(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_file(sandbox, sample_path.name, sample_path.read_bytes())
    await post(sandbox, "general", comments=False)
    await sandbox.wait_until(lambda: len(sandbox.messages("general")) >= 1, within=15)
    sandbox.stall(3.0)  # the section being sent now hangs in Discord
    # ...once the worker's next request is being held: cancelled before it starts, the worker
    # would simply stop, with nothing in flight to report.
    await sandbox.wait_until(lambda: sandbox.faults.stalled > 0, within=5)
    cancelled = await sandbox.run("ada", "general", "/article cancel")
    assert "Cancelled the posting" in cancelled.text
    assert "may still arrive; it is the last" in cancelled.text  # the worker was still sending
    await sandbox.wait_idle(quiet=0.5)

    (posting,) = await bot.store.postings.for_guild(int(seed.guild_id))
    items = await bot.store.postings.items(posting.id)
    sent = {int(m["id"]) for m in sandbox.messages("general")}
    done = [row for row in items if row.status == "done"]
    assert {row.message_id for row in done} == sent  # everything sent is recorded, once
    assert all(row.message_id is None for row in items if row.status != "done")
    assert 1 <= len(sent) < 7 and posting.state == "done" and posting.cancelled_at
