"""What a member sees is decided when it is shown (issue 21, findings 5 and 6), end to end: the
real bot over the sandbox. A page turned on an old reply is read again for the member as they are
now; a member denied Read Message History on a channel reads none of its archive; a paused
posting's notice names no channel its readers cannot see. Each test has a positive control first."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.driver import CommandResult
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.conftest import wait_archived

pytestmark = both_backends

ARTICLE = "the-lessons-of-zhanaozen"
SECRET = "The zebra committee quietly settled the wrangling in secret meetings."
QUESTION = "Who settled the wrangling in secret meetings?"


@dataclass(frozen=True)
class Places:
    staff_id: str
    staff_role_id: str
    lounge_id: str


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


@pytest.fixture
def places(sandbox: Sandbox, seed: Seed) -> Places:
    """A private #staff (cat and dan are staff, ben is not) and an open #lounge, before the bot starts."""
    world = sandbox.world
    staff_role = world.create_role(seed.guild_id, "Staff", perms.EVERYONE_DEFAULT)
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    for name in ("cat", "dan"):
        user = world.create_user(name, display_name=name.title())
        world.add_member(seed.guild_id, user["id"], [staff_role["id"]])
    staff = world.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[
            {"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)},
            {"id": staff_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
            {"id": bot_role["id"], "type": 0, "allow": str(perms.VIEW_CHANNEL), "deny": "0"},
        ],
    )
    lounge = world.create_channel(seed.guild_id, "lounge")
    return Places(staff["id"], staff_role["id"], lounge["id"])


@pytest.fixture
async def bot(settings: Settings, places: Places) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        yield running


async def settle(sandbox: Sandbox, bot: ReadalongBot, *sent: dict[str, Any]) -> None:
    await sandbox.wait_idle()
    await wait_archived(bot, *sent)
    cog = bot.get_cog("Discussion")
    assert cog is not None
    await cast("Any", cog).recorder.drain()


async def post(sandbox: Sandbox, channel: str, sample_path: Path) -> None:
    """Import the sample in #general and post it into ``channel``."""
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command("ada", "general", "article post", {"article": ARTICLE, "channel": channel})
    await sandbox.wait_until(lambda: len(sandbox.threads(channel)) >= 7, within=30)
    await sandbox.wait_idle()


def page_now(sandbox: Sandbox, result: CommandResult) -> dict[str, Any]:
    """The pager's message as the member sees it now."""
    (message,) = result.messages
    return sandbox.world.message(str(message["channel_id"]), str(message["id"]))


def buttons(message: dict[str, Any]) -> list[str]:
    return [str(c.get("label")) for row in message.get("components") or [] for c in row["components"]]


async def test_a_page_turned_after_the_member_lost_the_channel_shows_nothing_of_it(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "staff", sample_path)
    section = sandbox.threads("staff")[1]
    said = [sandbox.send("cat", section, f"zebra staffnote{n:02d} " + "words " * 30) for n in range(24)]
    await settle(sandbox, bot, *said)

    result = await sandbox.run_command("cat", "general", "archive search", {"query": "zebra"})
    first = page_now(sandbox, result)
    assert "staffnote" in first["content"] and "page 1/" in first["content"]  # cat is staff: shown
    assert "Next" in buttons(first)

    # cat loses the Staff role: a fresh search finds nothing, and so does the old reply's Next.
    sandbox.world.set_member_roles(seed.guild_id, sandbox.world.find_user("cat")["id"], [])
    fresh = await sandbox.run_command("cat", "general", "archive search", {"query": "zebra"})
    assert "staffnote" not in fresh.text and "Nothing found" in fresh.text
    turned = await sandbox.press("cat", first, "Next")
    assert not turned.failed
    shown = page_now(sandbox, result)
    assert "staffnote" not in shown["content"] and "zebra committee" not in shown["content"]
    assert "Nothing found" in shown["content"] and buttons(shown) == []


async def test_pages_shrink_and_deleted_messages_vanish_on_the_next_press(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "general", sample_path)
    section = sandbox.threads("general")[1]
    said = [sandbox.send("ben", section, f"zebra note{n:02d} " + "words " * 30) for n in range(24)]
    await settle(sandbox, bot, *said)

    result = await sandbox.run_command("ben", "general", "archive search", {"query": "zebra"})
    assert "page 1/" in page_now(sandbox, result)["content"]
    await sandbox.press("ben", page_now(sandbox, result), "Next")
    second = page_now(sandbox, result)
    assert "page 2/" in second["content"] and "note" in second["content"]

    for message in said[2:]:  # ben deletes all but two: one page is left
        sandbox.delete("ben", message)
    await sandbox.wait_idle()

    def deleted() -> bool:
        return all(int(m["id"]) in gone_ids for m in said[2:])

    gone_ids: set[int] = set()
    for _ in range(300):
        await cast("Any", bot.get_cog("Discussion")).recorder.drain()
        gone_ids = {
            int(m["id"])
            for m in said[2:]
            if (stored := await bot.store.messages.get(int(m["id"]), Viewer.operator())) is None
            or stored.deleted_at is not None
        }
        if deleted():
            break
        await asyncio.sleep(0.05)
    assert deleted()
    await sandbox.press("ben", second, "Next")
    shown = page_now(sandbox, result)
    kept = [f"note{n:02d}" for n in (0, 1)]
    gone = [f"note{n:02d}" for n in range(2, 24)]
    assert all(k in shown["content"] for k in kept), shown["content"]
    assert not any(g in shown["content"] for g in gone), shown["content"]
    assert "page " not in shown["content"] and buttons(shown) == []  # one page now: no pager


async def _attachment(sandbox: Sandbox, result: CommandResult) -> str:
    texts = []
    for message in result.messages:
        for attachment in cast("list[dict[str, str]]", message.get("attachments") or []):
            texts.append(sandbox.world.file_at(attachment["url"]).decode("utf-8", "replace"))
    return "\n".join(texts)


async def _everything_ben_reads(sandbox: Sandbox, thread_id: str) -> dict[str, str]:
    """Every archive output, as ben gets it from #lounge (which he reads in full)."""
    search = await sandbox.run_command("ben", "lounge", "archive search", {"query": "zebra"})
    threads = await sandbox.run_command("ben", "lounge", "archive threads", {"article": ARTICLE})
    show = await sandbox.run_command("ben", "lounge", "archive show", {"thread": thread_id})
    exported = await sandbox.run_command("ben", "lounge", "archive export", {"article": ARTICLE})
    asked = await sandbox.run_command("ben", "lounge", "ask", {"question": QUESTION, "article": ARTICLE})
    return {
        "search": search.text,
        "threads": threads.text,
        "show": show.text,
        "export": exported.text + await _attachment(sandbox, exported),
        "ask": asked.text,
    }


async def test_read_message_history_denied_hides_the_channel_from_every_archive_output(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "general", sample_path)
    section = sandbox.threads("general")[1]
    secret = sandbox.send("cat", section, SECRET)
    await settle(sandbox, bot, secret)

    before = await _everything_ben_reads(sandbox, section["id"])
    for path in ("search", "show", "export", "ask"):
        assert "zebra committee" in before[path], (path, before[path])
    assert "Cat" in before["threads"]
    # dan's public answer in #lounge may quote #general: the whole server reads it.
    public = await sandbox.run_command("dan", "lounge", "ask", {"question": QUESTION, "article": ARTICLE})
    assert "zebra committee" in public.text

    # ben may still view #general, but not read its history (nor its threads'): as on Discord.
    ben = sandbox.world.find_user("ben")["id"]
    sandbox.world.set_overwrite(seed.general_id, ben, deny=perms.READ_MESSAGE_HISTORY, member=True)
    await sandbox.wait_idle()
    after = await _everything_ben_reads(sandbox, section["id"])
    for path, text in after.items():
        assert "zebra committee" not in text and secret["id"] not in text, (path, text)
    assert "Cat" not in after["threads"]
    # Not every member reads #general's history now: an answer in #lounge no longer quotes it.
    public = await sandbox.run_command("dan", "lounge", "ask", {"question": QUESTION, "article": ARTICLE})
    assert "zebra committee" not in public.text and secret["id"] not in public.text
    # dan still reads it all where he asks privately about what he may read.
    assert (
        "zebra committee"
        in (await sandbox.run_command("dan", "lounge", "archive search", {"query": "zebra"})).text
    )


async def test_a_paused_postings_notice_names_no_channel_its_readers_cannot_see(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    world = sandbox.world

    async def revoke_after_the_intro(phase: str, route: str) -> None:
        # The bot loses Send Messages in #staff once the intro is out: the posting pauses.
        if phase == "after" and route == f"POST /channels/{places.staff_id}/messages":
            world.set_overwrite(places.staff_id, seed.bot_id, deny=perms.SEND_MESSAGES, member=True)

    sandbox.faults.hook = revoke_after_the_intro
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command(
        "ada", "general", "article post", {"article": ARTICLE, "channel": "staff", "comments": False}
    )

    def told() -> list[dict[str, Any]]:
        return [
            m
            for m in sandbox.messages("general")
            if m["author"]["id"] == seed.bot_id and "paused" in m["content"]
        ]

    await sandbox.wait_until(lambda: bool(told()), within=15)
    sandbox.faults.hook = None
    await sandbox.wait_idle()
    (notice,) = told()
    assert places.staff_id not in notice["content"] and "staff" not in notice["content"].lower()
    assert f"<@{seed.admin_id}>" in notice["content"] and notice["mentions"] == []
    assert "/article status" in notice["content"]  # where the admin finds out where and why
    status = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
    assert "paused" in status.text and places.staff_id in status.text  # the admin sees it all there
