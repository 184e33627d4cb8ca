"""Discord's rules on posting (issue 12), and what the bot does about each, end to end through the
sandbox with the real discord.py client: commenters' names Discord refuses as webhook names, a
channel full of webhooks (30007), a server requiring 2FA (60003), the guild's active-thread cap
(160006), forums that require a tag (40067) and moderated tags, announcement and media channels,
and recovery after Discord trimmed what the bot sent."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.articles.parse import decode_article_bytes, parse_article
from bot.discord.client import ReadalongBot
from bot.discord.posting import worker
from bot.domain.article import Article, Comment
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from bot.store import Store
from tests.archive.dce_reader import read_dce
from tests.conftest import both_backends
from tests.e2e.conftest import wait_posting_state

pytestmark = both_backends

ARTICLE = "the-lessons-of-zhanaozen"
NAMES = ["Discord Fan", "Clyde", "everyone", "", "N" * 120]


@pytest.fixture
def limits() -> RateLimitConfig:
    # Discord's shape (5 messages per window per channel) with a tenth of its window.
    return RateLimitConfig(messages_per_channel=Limit(5, 0.5), webhook_executions=Limit(5, 0.2))


def sample(*, sample_path: Path) -> Article:
    return parse_article(
        decode_article_bytes(sample_path.read_bytes(), sample_path.name), source=sample_path.name
    )


async def store_with_comments(
    bot: ReadalongBot, seed: Seed, comments: list[tuple[str, str]], *, sample_path: Path
) -> Article:
    """The sample article, imported in the seed server, with these (author, text) comments."""
    article = dataclasses.replace(
        sample(sample_path=sample_path),
        comments=tuple(
            Comment(index=n, author=author, posted=None, text=text)
            for n, (author, text) in enumerate(comments, start=1)
        ),
    )
    return await bot.store.articles.add(article, ARTICLE, guild_id=int(seed.guild_id))


async def import_sample(sandbox: Sandbox, *, sample_path: Path) -> None:
    result = await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert not result.failed and "Imported" in result.text, result.text


async def post(sandbox: Sandbox, target: str, **options: object) -> str:
    result = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": target, **options}
    )
    assert not result.failed, result.text
    return result.text


def comments_thread(sandbox: Sandbox, parent: str = "general") -> list[dict[str, Any]]:
    threads = [t for t in sandbox.threads(parent) if t["name"].startswith("Comments:")]
    return sandbox.messages(threads[0]["id"]) if threads else []


def notices(sandbox: Sandbox, seed: Seed) -> list[str]:
    """What the bot told the admin in #general about a paused posting."""
    return [
        str(m["content"])
        for m in sandbox.messages("general")
        if m["author"]["id"] == seed.bot_id and "is paused" in str(m["content"])
    ]


async def test_commenters_discord_refuses_as_webhook_names_are_posted_and_archived_as_themselves(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await store_with_comments(
        bot, seed, [(name, f"Comment number {n}.") for n, name in enumerate(NAMES)], sample_path=sample_path
    )
    await post(sandbox, "general")
    await sandbox.wait_until(lambda: len(comments_thread(sandbox)) >= len(NAMES), within=30)
    await sandbox.wait_idle()
    posted = comments_thread(sandbox)
    assert [str(m["content"]).endswith(f"Comment number {n}.") for n, m in enumerate(posted)] == [True] * 5
    shown = [m["author"]["username"] for m in posted]
    # The stated transformation: a look-alike letter in "discord"/"clyde"/"everyone", blank →
    # "Commenter", clipped to 80 characters; each accepted by the sandbox as Discord would.
    assert shown == ["Disсord Fan", "Clydе", "еveryone", "Commenter", "N" * 79 + "…"]
    posting = (await bot.store.postings.for_guild(int(seed.guild_id), ARTICLE))[0]
    await wait_posting_state(bot, posting.id, "done")

    # The archive and the JSON export keep each commenter's own name, not the webhook name.
    await bot.get_cog("Discussion").recorder.drain()  # type: ignore[union-attr]
    archived = [
        m for m in await bot.store.messages.in_article(ARTICLE, Viewer.operator()) if m.webhook_id is not None
    ]
    assert [m.author_name for m in sorted(archived, key=lambda m: m.id)] == NAMES
    result = await sandbox.run_command(
        "ada", "general", "archive export", {"article": ARTICLE, "format": "json"}
    )
    (attachment,) = result.messages[0]["attachments"]
    async with aiohttp.ClientSession() as session, session.get(attachment["url"]) as response:
        exported = read_dce(await response.read())  # a zip of DiscordChatExporter's files
    by_text = {m["content"].rsplit("\n", 1)[-1]: m["author"]["name"] for m in exported.messages()}
    assert [by_text[f"Comment number {n}."] for n in range(5)] == NAMES


async def test_a_channel_with_fifteen_webhooks_pauses_the_posting_naming_the_cause(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    for number in range(15):  # other integrations' webhooks fill the channel
        world.create_webhook(seed.general_id, seed.admin_id, f"Integration {number}")
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "general")
    await sandbox.wait_until(lambda: bool(notices(sandbox, seed)), within=20)
    (notice,) = notices(sandbox, seed)
    assert "15 webhooks" in notice and "Integrations" in notice, notice
    assert "Manage Webhooks permission" not in notice
    assert comments_thread(sandbox) == []  # no comment went out, none half-way
    status = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
    assert "paused" in status.text and "15 webhooks" in status.text, status.text


async def test_the_bots_webhook_is_found_again_not_made_twice(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    books = sandbox.world.create_channel(seed.guild_id, "books")
    async with running_bot(settings):
        await import_sample(sandbox, sample_path=sample_path)
        await post(sandbox, "general")
        await sandbox.wait_until(lambda: len(comments_thread(sandbox)) >= 2, within=30)
    async with running_bot(settings):  # a restart forgets its cache: it must look before it makes one
        await post(sandbox, "books")
        await sandbox.wait_until(lambda: len(comments_thread(sandbox, "books")) >= 2, within=30)
        await sandbox.wait_idle()
    hooks = [w for w in sandbox.world.webhooks.values() if w["user"]["id"] == seed.bot_id]
    assert sorted(w["channel_id"] for w in hooks) == sorted([seed.general_id, books["id"]])


async def test_a_server_requiring_2fa_pauses_the_posting_naming_the_real_cause(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    world.guilds[seed.guild_id]["mfa_level"] = 1
    world.owner_mfa_enabled = False
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "general")
    await sandbox.wait_until(lambda: bool(notices(sandbox, seed)), within=20)
    (notice,) = notices(sandbox, seed)
    assert "2FA" in notice and "owner" in notice, notice
    assert "Manage Webhooks permission" not in notice  # the bot has it: that is not the cause

    world.owner_mfa_enabled = True  # the owner turns 2FA on; the admin resumes
    resumed = await sandbox.run("ada", "general", f"/article resume article:{ARTICLE}")
    assert "Resumed" in resumed.text
    await sandbox.wait_until(lambda: len(comments_thread(sandbox)) >= 2, within=20)


async def test_the_active_thread_cap_pauses_the_posting_with_the_reason(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    world.max_active_threads = len(world.active_threads(seed.guild_id)) + 2
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "general", comments=False)
    await sandbox.wait_until(lambda: bool(notices(sandbox, seed)), within=20)
    (notice,) = notices(sandbox, seed)
    assert "active threads" in notice and "archive" in notice, notice
    assert len(sandbox.threads("general")) == 2
    posting = (await bot.store.postings.for_guild(int(seed.guild_id), ARTICLE))[0]
    stored = await bot.store.postings.get(posting.id)
    assert stored.state == "paused" and "active threads" in (stored.paused_reason or "")


async def test_a_forum_that_requires_a_tag(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    forum = world.channel(seed.forum_id)
    world.channels[seed.forum_id]["flags"] = 1 << 4  # REQUIRE_TAG
    forum["available_tags"] = [t for t in forum["available_tags"] if t["name"] != "Zhanaozen"]
    world.emit("CHANNEL_UPDATE", forum)
    await import_sample(sandbox, sample_path=sample_path)
    await sandbox.wait_idle()

    refused = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "reading-room"}
    )
    assert refused.failed or "requires a tag" in refused.text
    assert "requires a tag" in refused.text and "`Readalong`" in refused.text, refused.text
    assert "\n" not in refused.text.strip()
    assert sandbox.threads("reading-room") == []  # nothing posted
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []

    # The tag option offers the chosen forum's tags.
    choices = await sandbox.autocomplete(
        "ada",
        "general",
        "article post",
        {"article": ARTICLE, "channel": "reading-room", "tag": "read"},
        "tag",
    )
    assert [c["name"] for c in choices] == ["Readalong"]
    tag_id = choices[0]["value"]
    reply = await post(sandbox, "reading-room", tag=tag_id)
    assert "Posting" in reply
    await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) >= 8, within=30)
    await sandbox.wait_idle()
    posts = sandbox.threads("reading-room")
    assert {tuple(t["applied_tags"]) for t in posts} == {(tag_id,)}


async def test_a_moderated_tag_without_manage_threads_is_refused_up_front(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    forum = world.channel(seed.forum_id)
    tag = next(t for t in forum["available_tags"] if t["name"] == "Readalong")
    tag["moderated"] = True
    world.emit("CHANNEL_UPDATE", forum)
    world.set_overwrite(seed.forum_id, seed.bot_id, deny=perms.MANAGE_THREADS, member=True)
    await import_sample(sandbox, sample_path=sample_path)
    await sandbox.wait_idle()
    choices = await sandbox.autocomplete(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "reading-room", "tag": ""}, "tag"
    )
    assert "Readalong (moderated)" in [c["name"] for c in choices]
    followed = await sandbox.autocomplete(
        "ada",
        "general",
        "feed follow",
        {"url": "https://example.org/feed", "channel": "reading-room", "tag": ""},
        "tag",
    )
    assert followed == choices  # /feed follow posts into the forum too: the same tags, marked alike
    refused = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "reading-room", "tag": tag["id"]}
    )
    assert "moderated" in refused.text and "Manage Threads" in refused.text, refused.text
    assert sandbox.threads("reading-room") == []
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []

    world.set_overwrite(seed.forum_id, seed.bot_id, allow=perms.MANAGE_THREADS, member=True)
    await sandbox.wait_idle()
    await post(sandbox, "reading-room", tag="Readalong", comments=False)  # by name, too
    await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) >= 7, within=30)
    assert {tuple(t["applied_tags"]) for t in sandbox.threads("reading-room")} == {(tag["id"],)}


async def bring_forward(database: Database) -> None:
    """Make the posting's pending items fall due now (instead of at its pace)."""
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    async with Store(database) as store, store.transaction() as db:
        await db.execute("UPDATE posting_items SET due_at = ? WHERE status != 'done'", (now,))


async def test_a_forums_chosen_tag_deleted_mid_posting_pauses_it_with_the_reason(
    sandbox: Sandbox, seed: Seed, settings: Settings, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world
    forum = world.channel(seed.forum_id)
    forum["flags"] = 1 << 4  # REQUIRE_TAG
    world.emit("CHANNEL_UPDATE", forum)
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "reading-room", tag="Readalong", pace=1, comments=False)
    await sandbox.wait_until(lambda: len(sandbox.threads("reading-room")) == 2, within=20)  # intro, §1
    forum["available_tags"] = [t | {"name": "Other"} for t in forum["available_tags"][:1]]
    forum["available_tags"][0]["id"] = world.ids.next()  # every tag the posting could use is gone
    world.emit("CHANNEL_UPDATE", forum)
    await sandbox.wait_idle()
    await bring_forward(settings.database)
    bot.publisher.wake()
    await sandbox.wait_until(lambda: bool(notices(sandbox, seed)), within=20)
    (notice,) = notices(sandbox, seed)
    assert "requires a tag" in notice and "chosen tag" in notice, notice
    assert len(sandbox.threads("reading-room")) == 2
    posting = (await bot.store.postings.for_guild(int(seed.guild_id), ARTICLE))[0]
    assert (await bot.store.postings.get(posting.id)).state == "paused"


@pytest.mark.parametrize(("kind", "what"), [(5, "announcement channel"), (16, "media channel")])
async def test_announcement_and_media_channels_are_refused_in_one_line(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, kind: int, what: str, sample_path: Path
) -> None:
    channel = sandbox.world.create_channel(seed.guild_id, "elsewhere", kind=kind)
    if kind == 16:
        channel |= {"available_tags": [], "default_reaction_emoji": None, "default_sort_order": None}
    await import_sample(sandbox, sample_path=sample_path)
    await sandbox.wait_idle()
    refused = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "elsewhere"}
    )
    assert what in refused.text and "Nothing was posted" in refused.text, refused.text
    assert "\n" not in refused.text.strip()
    assert sandbox.messages("elsewhere") == [] and sandbox.threads("elsewhere") == []
    assert await bot.store.postings.for_guild(int(seed.guild_id)) == []


async def test_recovery_finds_a_comment_discord_trimmed_after_a_kill_after_send(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot is stopped while Discord has the comment but before the bot learnt its id: on the
    next start it must recognise the comment, whose text Discord trimmed and whose name it
    normalised, instead of posting it twice."""
    # The held send is cut off at the stop: after a short grace, not the product's 10 s (the
    # grace itself is tests/e2e/test_graceful_stop.py's subject).
    monkeypatch.setattr(worker, "STOP_GRACE", 0.5)
    reached, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first_comment(phase: str, route: str) -> None:
        method, path = route.split(" ", 1)
        comment_send = path.startswith("/webhooks/") and not path.startswith(
            f"/webhooks/{sandbox.world.application_id}/"
        )
        if phase == "after" and method == "POST" and comment_send and not reached.is_set():
            reached.set()
            await release.wait()  # the answer never reaches the bot: as if killed after the send

    async with running_bot(settings) as bot:
        await store_with_comments(
            bot,
            seed,
            [("  Ada   Lovelace ", "Spaces after this.  \n\n  "), ("Kuda", "Second.")],
            sample_path=sample_path,
        )
        sandbox.faults.hook = hold_the_first_comment
        await post(sandbox, "general")
        await asyncio.wait_for(reached.wait(), 30)
    sandbox.faults.hook = None
    release.set()
    (held,) = comments_thread(sandbox)
    assert held["author"]["username"] == "Ada Lovelace" and str(held["content"]).endswith(
        "Spaces after this."
    )

    async with running_bot(settings) as bot:
        await sandbox.wait_until(lambda: len(comments_thread(sandbox)) >= 2, within=30)
        await sandbox.wait_idle()
        posting = (await bot.store.postings.for_guild(int(seed.guild_id), ARTICLE))[0]
        assert (await bot.store.postings.get(posting.id)).state == "done"
    posted = comments_thread(sandbox)
    assert [m["author"]["username"] for m in posted] == ["Ada Lovelace", "Kuda"]
    assert posted[0]["id"] == held["id"]  # recognised, not sent again
