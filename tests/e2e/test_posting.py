"""Posting an article through the sandbox: text and forum channels, the original comments,
pacing across a restart, permissions, and bad input."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import CommandRejected, Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from bot.store import Store
from tests.conftest import both_backends

pytestmark = both_backends

ARTICLE = "the-lessons-of-zhanaozen"
KUDA_QUOTED = "I was embarassed by my comments, as any like-minded Registan reader would not need telling the bleeding obvious."


@pytest.fixture
def limits() -> RateLimitConfig:
    # Discord's shape (5 messages per window per channel) with a tenth of its window.
    return RateLimitConfig(messages_per_channel=Limit(5, 0.5), webhook_executions=Limit(5, 0.2))


async def import_sample(sandbox: Sandbox, *, sample_path: Path) -> str:
    result = await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    assert not result.failed and result.ephemeral
    return result.text


async def post(sandbox: Sandbox, channel: str, **options: object) -> str:
    result = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": channel, **options}
    )
    assert not result.failed
    return result.text


def comments_done(sandbox: Sandbox, parent: str) -> bool:
    threads = [t for t in sandbox.threads(parent) if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[0]["id"])) >= (
        3 if sandbox.channel(parent)["type"] == 15 else 2
    )


def assert_no_pings(sandbox: Sandbox) -> None:
    for channel_id in sandbox.world.messages:
        for message in sandbox.world.messages[channel_id].values():
            if message["author"]["id"] in (sandbox.world.bot_id,) or message.get("webhook_id"):
                assert (
                    message["mentions"] == []
                    and message["mention_roles"] == []
                    and not message["mention_everyone"]
                )


async def test_import_replies_with_what_was_read(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    text = await import_sample(sandbox, sample_path=sample_path)
    assert "The Lessons of Zhanaozen" in text and "Erlan Idrissov" in text
    assert "6 sections, 2 comments" in text and f"`{ARTICLE}`" in text
    assert (await bot.store.articles.get(ARTICLE)).title == "The Lessons of Zhanaozen"


async def test_post_to_a_text_channel(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    reply = await post(sandbox, "general")
    assert "6 sections now and 2 original comments" in reply
    await sandbox.wait_until(lambda: comments_done(sandbox, "general"), within=30)
    await sandbox.wait_idle()

    messages = sandbox.messages("general")
    intro, *sections, header = messages
    assert intro["content"] == "📖 **The Lessons of Zhanaozen**"
    (embed,) = intro["embeds"]
    facts = {f["name"]: f["value"] for f in embed["fields"]}
    assert facts == {
        "Author": "Erlan Idrissov",
        "Published": "2012-12-18",
        "Source": "the-lessons-of-zhanaozen.txt",
        "Sections": "6",
        "Original comments": "2",
    }
    assert "/ask" in embed["description"] and "thread" in embed["description"]
    assert [re.match(r"\*\*§(\d)/6 · ", s["content"])[1] for s in sections] == ["1", "2", "3", "4", "5", "6"]  # type: ignore[index]
    article = await bot.store.articles.get(ARTICLE)
    for section, message in zip(article.sections, sections, strict=True):
        assert section.text in message["content"]
        assert message["thread"]["id"] == message["id"]  # a thread started from it
        assert 1 <= len(message["thread"]["name"]) <= 100 and message["thread"]["name"].startswith(
            f"§{section.index}/6"
        )
    assert header["thread"]["name"] == "Comments: The Lessons of Zhanaozen"

    kuda, nathan = sandbox.messages(header["id"])
    assert (kuda["author"]["username"], nathan["author"]["username"]) == ("Kuda", "Nathan Hamm")
    assert kuda["webhook_id"] and nathan["webhook_id"]
    assert "Originally posted January 2, 2013 at 20:36" in kuda["content"]
    assert "Originally posted January 3, 2013 at 10:20" in nathan["content"]
    assert f"> {KUDA_QUOTED}" in nathan["content"]
    assert (
        f"[Kuda](https://discord.com/channels/{seed.guild_id}/{header['id']}/{kuda['id']})"
        in nathan["content"]
    )
    assert all(len(m["content"]) <= 2000 for m in messages)
    assert sandbox.responses[429] == 0
    assert_no_pings(sandbox)


async def test_post_to_a_forum(sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "reading-room")
    await sandbox.wait_until(lambda: comments_done(sandbox, "reading-room"), within=30)
    await sandbox.wait_idle()
    posts = sandbox.threads("reading-room")
    names = [p["name"] for p in posts]
    assert names[0] == "The Lessons of Zhanaozen"
    assert [n[:4] for n in names[1:7]] == [f"§{i}/6" for i in range(1, 7)]
    assert names[7] == "Comments: The Lessons of Zhanaozen" and len(posts) == 8
    zhanaozen_tag = next(
        t["id"] for t in sandbox.channel("reading-room")["available_tags"] if t["name"] == "Zhanaozen"
    )
    assert all(p["applied_tags"] == [zhanaozen_tag] for p in posts)
    starter = sandbox.messages(posts[1]["id"])[0]
    assert starter["id"] == posts[1]["id"] and starter["content"].startswith("**§1/6 · ")
    _, kuda, nathan = sandbox.messages(posts[7]["id"])
    assert (kuda["author"]["username"], nathan["author"]["username"]) == ("Kuda", "Nathan Hamm")
    assert f"> {KUDA_QUOTED}" in nathan["content"]
    assert sandbox.responses[429] == 0
    assert_no_pings(sandbox)


async def test_pacing_survives_a_restart(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with running_bot(settings):
        await import_sample(sandbox, sample_path=sample_path)
        reply = await post(sandbox, "general", pace=60, comments=False)
        assert "one every 60 min" in reply
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 2, within=10)
        await sandbox.wait_idle()
        status = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
        assert "sections posted 1/6" in status.text and "next due" in status.text
    assert [m["content"][:6] for m in sandbox.messages("general")] == ["📖 **Th", "**§1/6"]

    # Two and a half hours pass while the bot is down: sections 2 and 3 fall due meanwhile.
    async with Store(settings.database) as store, store.transaction() as db:
        for posting_id, seq, due_at in await db.execute_fetchall(
            "SELECT posting_id, seq, due_at FROM posting_items"
        ):
            earlier = dt.datetime.fromisoformat(due_at) - dt.timedelta(minutes=150)
            await db.execute(
                "UPDATE posting_items SET due_at = ? WHERE posting_id = ? AND seq = ?",
                (earlier.isoformat(timespec="seconds"), posting_id, seq),
            )

    async with running_bot(settings):
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 4, within=10)
        await sandbox.wait_idle()
        status = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
    heads = [m["content"][:6] for m in sandbox.messages("general")]
    assert heads == ["📖 **Th", "**§1/6", "**§2/6", "**§3/6"]  # caught up, in order, nothing twice
    assert "sections posted 3/6" in status.text


async def test_missing_permissions_are_named_before_anything_is_posted(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    sandbox.world.set_overwrite(
        seed.general_id, seed.bot_id, deny=perms.CREATE_PUBLIC_THREADS | perms.MANAGE_WEBHOOKS, member=True
    )
    await sandbox.wait_idle()
    result = await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "general"}
    )
    assert result.ephemeral
    assert "missing these permissions in <#" in result.text
    assert "Create Public Threads, Manage Webhooks. Nothing was posted." in result.text
    await sandbox.wait_idle()
    assert sandbox.messages("general") == []


async def test_bad_ids_and_bad_files_are_refused_and_change_nothing(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    result = await sandbox.run_command(
        "ada", "general", "article post", {"article": "no-such-article", "channel": "general"}
    )
    assert result.ephemeral and "no-such-article" in result.text and "\n" not in result.text.strip()
    for name, data, expected in [
        ("empty.txt", b"", "empty"),
        ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text"),
        ("latin1.txt", "Caf\xe9 au lait".encode("latin-1") * 10, "UTF-8"),
    ]:
        result = await sandbox.run_command("ada", "general", "article import", {"file": (name, data)})
        assert result.ephemeral and name in result.text and expected in result.text, result.text
    assert await bot.store.articles.count() == 0
    with pytest.raises(CommandRejected, match="permission"):
        await sandbox.run_command("ben", "general", "article list")  # hidden from non-admins
    await sandbox.wait_idle()
    assert sandbox.messages("general") == []


async def test_readers_replies_are_stored_with_their_place(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await import_sample(sandbox, sample_path=sample_path)
    await post(sandbox, "general")
    await sandbox.wait_until(lambda: comments_done(sandbox, "general"), within=30)
    sections = sandbox.messages("general")[1:7]
    in_thread = sandbox.send("ben", sections[1]["id"], "On section two: who was prosecuted?")
    answer = sandbox.send("ada", sections[1]["id"], "Officials too.", reply_to=in_thread)
    under_section = sandbox.send("ben", "general", "Replying to section 3 here", reply_to=sections[2])
    comments = next(t for t in sandbox.threads("general") if t["name"].startswith("Comments:"))
    in_comments = sandbox.send("ben", comments["id"], "Kuda had a point.")
    sandbox.world.create_channel(seed.guild_id, "random")
    unrelated = sandbox.send("ben", "random", "lunch?")
    await sandbox.wait_idle()
    await bot.get_cog("Discussion").recorder.drain()  # type: ignore[union-attr]
    stored = {m.id: m for m in await bot.store.messages.in_article(ARTICLE, Viewer.operator())}
    assert stored[int(in_thread["id"])].section == 2 and stored[int(in_thread["id"])].author_name == "Ben"
    assert stored[int(answer["id"])].reply_to == int(in_thread["id"])
    assert stored[int(under_section["id"])].section == 3
    assert stored[int(in_comments["id"])].section is None
    assert int(unrelated["id"]) not in stored
    assert dt.datetime.fromisoformat(stored[int(in_thread["id"])].created_at).tzinfo is not None
