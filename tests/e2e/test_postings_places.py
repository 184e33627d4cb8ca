"""Postings as first-class places (issue 22): the sample posted in a channel (#general), a
forum (#reading-room) and a second channel (#book-club) cancelled at §2. Every command used in a
posting's channel or threads resolves that posting first: ``/ask``'s spoilers, links and "not
posted yet" follow it (finding 1), an article not named is said (finding 2), ``/archive threads``
is grouped by posting with each one's channel (finding 4), and the bot's suggestions run as
written (finding 6)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.driver import CommandResult
from bot.sandbox.harness import sandbox_settings
from bot.settings import Settings
from tests.archive.dce_reader import read_dce

ARTICLE = "the-lessons-of-zhanaozen"
ILO = "What did the International Labour Organisation recommend?"
ILO_QUOTE = "on the recommendation of the International Labour Organisation"
"""In §5 of the sample article."""
DIED = "How many people died?"
"""§1 answers it."""
NOT_POSTED_5 = "§5 answers this; it has not been posted here yet"
HARBOUR = """# The Frozen Harbour

The harbour froze in January. Fishermen walked to their boats across the ice, and the ferry
to the island stopped for six weeks while the town waited for the thaw.
"""


@pytest.fixture
def seed(sandbox: Sandbox) -> Seed:
    """The usual server, with a second text channel for a second read-along."""
    made = sandbox.seed()
    sandbox.world.create_channel(made.guild_id, "book-club")
    return made


@pytest.fixture
def settings(sandbox: Sandbox, seed: Seed, db_path: Path) -> Settings:
    # Many questions by one member in a row: the cooldown is tested on its own.
    return dataclasses.replace(
        sandbox_settings(Settings(db_path=db_path), sandbox, seed.guild_id), ask_cooldown_seconds=0.0
    )


def channel_id(sandbox: Sandbox, name: str) -> str:
    return str(sandbox.world.find_channel(name)["id"])


async def post_sample(sandbox: Sandbox, bot: ReadalongBot, sample_path: Path) -> None:
    """The sample imported, posted whole in #general and #reading-room, and in #book-club at a
    pace, cancelled once its §2 is out."""
    imported = await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert not imported.failed, imported.text
    for place in ("general", "reading-room"):
        posted = await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": place, "comments": False}
        )
        assert not posted.failed, posted.text
    posted = await sandbox.run_command(
        "ada",
        "general",
        "article post",
        {"article": ARTICLE, "channel": "book-club", "pace": 60, "comments": False},
    )
    assert not posted.failed, posted.text
    await sandbox.wait_until(lambda: len(sandbox.threads("book-club")) == 1, within=20)  # intro, §1
    # §2 falls due now rather than in an hour.
    book_club = int(channel_id(sandbox, "book-club"))
    guild_id = int(sandbox.world.channel(str(book_club))["guild_id"])
    (going,) = [p for p in await bot.store.postings.for_guild(guild_id) if p.channel_id == book_club]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    async with bot.store.transaction() as db:
        await db.execute(
            "UPDATE posting_items SET due_at = ? WHERE posting_id = ? AND kind = 'section' AND section = 2",
            (now, going.id),
        )
    bot.publisher.wake()
    await sandbox.wait_until(lambda: len(sandbox.threads("book-club")) == 2, within=20)
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 6, within=20)
    await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) >= 6, within=20)
    # Used in #book-club, /article cancel stops #book-club's posting (not the latest elsewhere).
    cancelled = await sandbox.run_command("ada", "book-club", "article cancel", {"article": ARTICLE})
    assert not cancelled.failed, cancelled.text
    assert f"<#{book_club}>" in cancelled.text or "book-club" in cancelled.text, cancelled.text
    await sandbox.wait_idle()


async def every_page(sandbox: Sandbox, member: str, result: CommandResult) -> str:
    """A paged reply's text, every page of it (pressing Next until it is disabled)."""
    (message,) = result.messages
    pages = [result.text]
    while any(
        b.get("label") == "Next" and not b.get("disabled")
        for row in message.get("components") or []
        for b in row.get("components") or []
    ):
        turned = await sandbox.press(member, message, "Next")
        assert not turned.failed
        message = sandbox.world.message(str(message["channel_id"]), str(message["id"]))
        pages.append(message["content"])
    return "\n".join(pages)


def links_into(text: str, guild_id: str) -> set[str]:
    """The channels or threads the answer's links point into."""
    return set(re.findall(rf"/channels/{guild_id}/(\d+)/\d+", text))


def places_of(sandbox: Sandbox, channel: str) -> set[str]:
    """A channel and its threads (or a forum's posts)."""
    return {channel_id(sandbox, channel), *(t["id"] for t in sandbox.threads(channel))}


async def test_ask_follows_the_posting_where_it_is_asked(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """Finding 1: in #general, where §5 is posted, a posting cancelled at §2 in #book-club
    neither hides §5 nor takes the links; in #book-club, it is that posting that counts."""
    await post_sample(sandbox, bot, sample_path)
    guild = seed.guild_id

    general = await sandbox.run("ben", "general", f"/ask question:{ILO} article:{ARTICLE}")
    assert not general.failed, general.text
    assert NOT_POSTED_5 not in general.text and ILO_QUOTE in general.text, general.text
    assert "-# — §5" in general.text
    assert links_into(general.text, guild) and links_into(general.text, guild) <= places_of(
        sandbox, "general"
    )
    assert "Answered from" not in general.text  # the article was named

    died = await sandbox.run("ben", "general", f"/ask question:{DIED} article:{ARTICLE}")
    assert "16 people died" in died.text
    assert links_into(died.text, guild) <= places_of(sandbox, "general"), died.text

    ahead = await sandbox.run("ben", "general", f"/ask question:{ILO} article:{ARTICLE} ahead:True")
    assert ILO_QUOTE in ahead.text
    section_five = next(line for line in ahead.text.splitlines() if line.startswith("-# — §5"))
    assert links_into(section_five, guild) <= places_of(sandbox, "general")
    assert links_into(section_five, guild), section_five

    # In #book-club the posting cancelled at §2 is the one read there: §5 is not posted there.
    club = await sandbox.run("ben", "book-club", f"/ask question:{ILO}")
    assert NOT_POSTED_5 in club.text and ILO_QUOTE not in club.text, club.text
    club_ahead = await sandbox.run("ben", "book-club", f"/ask question:{ILO} ahead:True")
    assert ILO_QUOTE in club_ahead.text
    five = next(line for line in club_ahead.text.splitlines() if line.startswith("-# — §5"))
    assert not links_into(five, guild)  # never posted in #book-club: no link elsewhere either
    club_died = await sandbox.run("ben", "book-club", f"/ask question:{DIED}")
    assert "16 people died" in club_died.text
    assert links_into(club_died.text, guild) and links_into(club_died.text, guild) <= places_of(
        sandbox, "book-club"
    )

    # In the forum, §1's post: the forum's posting, whole.
    post = sandbox.threads("reading-room")[1]
    forum = await sandbox.run("ben", post["id"], f"/ask question:{ILO}")
    assert ILO_QUOTE in forum.text and NOT_POSTED_5 not in forum.text
    assert links_into(forum.text, guild) <= places_of(sandbox, "reading-room"), forum.text
    assert "Answered from" not in forum.text  # a posting's thread settles it


async def test_an_article_not_named_is_said_with_the_others_as_choices(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """Finding 2: in a channel holding two articles' postings, ``/ask`` without ``article:``
    says which article it answered from and names the other, never silently the newest."""
    await post_sample(sandbox, bot, sample_path)
    imported = await sandbox.run_command(
        "ada", "general", "article import", {"file": ("the-frozen-harbour.md", HARBOUR.encode())}
    )
    assert not imported.failed, imported.text
    posted = await sandbox.run("ada", "general", "/article post article:the-frozen-harbour channel:#general")
    assert not posted.failed, posted.text
    await sandbox.wait_idle()

    asked = await sandbox.run("ben", "general", f"/ask question:{DIED}")
    assert "Answered from **The Frozen Harbour** (`the-frozen-harbour`)" in asked.text, asked.text
    assert f"`{ARTICLE}`" in asked.text and "article:" in asked.text
    # The choice offered runs as written, and answers from the other article, unannounced.
    chosen = await sandbox.run("ben", "general", f"/ask question:{DIED} article:{ARTICLE}")
    assert "16 people died" in chosen.text and "Answered from" not in chosen.text

    # Where no article is posted, the server's latest is said too.
    sandbox.world.create_channel(seed.guild_id, "lounge")
    await sandbox.wait_idle()
    elsewhere = await sandbox.run("ben", "lounge", f"/ask question:{DIED}")
    assert (
        "Answered from **The Frozen Harbour** (`the-frozen-harbour`), the latest article posted in this server"
        in (elsewhere.text)
    )


async def test_archive_threads_are_grouped_by_posting_each_with_its_channel(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """Finding 4: ``/archive threads`` showed two "§1/6 …" entries with no channel, each name
    twice. Now a heading per posting names its channel and how far it went, the posting where
    the command is used first; each thread's name is shown once, as a link to it."""
    await post_sample(sandbox, bot, sample_path)
    general, forum, club = (channel_id(sandbox, n) for n in ("general", "reading-room", "book-club"))
    listed = await sandbox.run("ben", "general", f"/archive threads article:{ARTICLE}")
    assert not listed.failed, listed.text
    text = await every_page(sandbox, "ben", listed)
    headings = [line for line in text.splitlines() if line.startswith("__<#")]
    assert headings == [
        f"__<#{general}> · done · here__",
        f"__<#{club}> · cancelled at §2__",
        f"__<#{forum}> · done__",
    ], text
    for thread in [
        *sandbox.threads("general"),
        *sandbox.threads("book-club"),
        *sandbox.threads("reading-room"),
    ]:
        link = f"/channels/{seed.guild_id}/{thread['id']})"
        assert text.count(link) == 1, (thread["name"], text)
        assert f"<#{thread['id']}>" not in text  # the name once: as the link's text
    # Each group lists its own threads, under its own heading.
    club_part = text[text.index(headings[1]) : text.index(headings[2])]
    assert {t["id"] for t in sandbox.threads("book-club")} == set(
        re.findall(rf"/channels/{seed.guild_id}/(\d+)\)", club_part)
    )
    # In #book-club's §1 thread, without naming anything: that posting first, marked here.
    thread = sandbox.threads("book-club")[0]
    there = await sandbox.run("ben", thread["id"], "/archive threads")
    assert next(line for line in there.text.splitlines() if line.startswith("__<#")) == (
        f"__<#{club}> · cancelled at §2 · here__"
    ), there.text
    # In a forum post: the forum's posting first.
    post = sandbox.threads("reading-room")[2]
    in_forum = await sandbox.run("ben", post["id"], "/archive threads")
    assert next(line for line in in_forum.text.splitlines() if line.startswith("__<#")) == (
        f"__<#{forum}> · done · here__"
    ), in_forum.text
    # Outside every posting: the server's latest article, said.
    sandbox.world.create_channel(seed.guild_id, "lounge")
    await sandbox.wait_idle()
    outside = await sandbox.run("ben", "lounge", "/archive threads")
    assert "The latest article posted in this server (none is posted here)" in outside.text, outside.text
    # One posting named: that posting alone.
    (cancelled,) = [
        p for p in await bot.store.postings.for_guild(int(seed.guild_id)) if p.channel_id == int(club)
    ]
    alone = await sandbox.run("ben", "general", f"/archive threads posting:{ARTICLE}#{cancelled.id}")
    assert [line for line in alone.text.splitlines() if line.startswith("__<#")] == [
        f"__<#{club}> · cancelled at §2__"
    ], alone.text


async def exported_channels(sandbox: Sandbox, result: CommandResult) -> set[str]:
    """The channels and threads a DiscordChatExporter export holds messages of."""
    assert not result.failed, result.text
    (attachment,) = result.messages[0]["attachments"]
    export = read_dce(sandbox.world.file_at(attachment["url"]))
    return {str(channel["channel"]["id"]) for channel in export.channels if channel["messages"]}


async def test_archive_export_defaults_to_the_posting_where_it_is_used(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """Finding 6: ``/archive export`` required ``article:`` even inside a posting's thread. Now
    it exports that posting; ``every_posting:True`` exports all the article's postings."""
    await post_sample(sandbox, bot, sample_path)
    thread = sandbox.threads("book-club")[0]
    sandbox.send("ben", thread, "The strike in Zhanaozen lasted seven months.")
    await sandbox.wait_idle()
    here = await sandbox.run("ben", thread["id"], "/archive export format:json")
    assert await exported_channels(sandbox, here) <= places_of(sandbox, "book-club")
    assert thread["id"] in await exported_channels(sandbox, here)
    everywhere = await sandbox.run("ben", thread["id"], "/archive export format:json every_posting:True")
    spans = await exported_channels(sandbox, everywhere)
    assert spans & places_of(sandbox, "general") and spans & places_of(sandbox, "reading-room")
    assert thread["id"] in spans
    # Outside any posting, with nothing named: one line saying what to name.
    sandbox.world.create_channel(seed.guild_id, "lounge")
    await sandbox.wait_idle()
    outside = await sandbox.run("ben", "lounge", "/archive export")
    assert outside.failed or "name the article with `article:`" in outside.text, outside.text
    named = await sandbox.run("ben", "lounge", f"/archive export article:{ARTICLE} format:json")
    assert await exported_channels(sandbox, named) >= {thread["id"]}


async def test_article_suggestions_are_postings_as_members_see_them(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """``article:`` (and ``posting:``) suggest postings as members see them, those of the place
    first, and only in channels the member can view: a posting in #staff is not offered to a
    reader who cannot see #staff."""
    staff = sandbox.world.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[{"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)}],
    )
    seen = perms.VIEW_CHANNEL | perms.READ_MESSAGE_HISTORY | perms.SEND_MESSAGES
    for user in (seed.bot_id, seed.admin_id):
        sandbox.world.set_overwrite(staff["id"], user, allow=seen, member=True)
    await post_sample(sandbox, bot, sample_path)
    posted = await sandbox.run("ada", "general", f"/article post article:{ARTICLE} channel:#staff")
    assert not posted.failed, posted.text
    await sandbox.wait_until(lambda: len(sandbox.threads("staff")) == 6, within=20)
    await sandbox.wait_idle()

    choices = await sandbox.autocomplete(
        "ben", "book-club", "ask", {"question": "x", "article": ""}, "article"
    )
    names = [c["name"] for c in choices]
    assert names[0] == "The Lessons of Zhanaozen — #book-club, cancelled at §2", names  # the place's first
    assert set(names) == {
        "The Lessons of Zhanaozen — #book-club, cancelled at §2",
        "The Lessons of Zhanaozen — #general, done",
        "The Lessons of Zhanaozen — #reading-room, done",
    }, names
    # Each value names its posting, and runs as the option's value.
    value = choices[0]["value"]
    asked = await sandbox.run("ben", "general", f"/ask question:{ILO} article:{value}")
    assert NOT_POSTED_5 in asked.text, asked.text  # #book-club's posting, asked from #general
    # What they typed narrows them down; the admin who can see #staff is offered its posting too.
    narrowed = await sandbox.autocomplete(
        "ben", "general", "archive export", {"posting": "reading"}, "posting"
    )
    assert [c["name"] for c in narrowed] == ["The Lessons of Zhanaozen — #reading-room, done"]
    admin = await sandbox.autocomplete("ada", "general", "article status", {"article": ""}, "article")
    assert "The Lessons of Zhanaozen — #staff, done" in [c["name"] for c in admin]
    assert all("#staff" not in c["name"] for c in choices)


async def test_a_thread_a_reader_opened_in_a_postings_channel_is_in_that_posting(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """A reader's own thread under #book-club's messages belongs to #book-club's postings."""
    await post_sample(sandbox, bot, sample_path)
    said = sandbox.send("ben", "book-club", "Shall we read §3 together tomorrow?")
    thread = sandbox.start_thread("ben", said, "Tomorrow")
    sandbox.send("ben", thread, "Yes, at noon.")
    await sandbox.wait_idle()
    asked = await sandbox.run("ben", thread["id"], f"/ask question:{ILO}")
    assert NOT_POSTED_5 in asked.text and "Answered from" not in asked.text, asked.text
