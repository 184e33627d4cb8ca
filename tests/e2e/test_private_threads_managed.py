"""The trust model with the bot granted Manage Threads (issue 27): Discord then shows the bot every
private thread, including those nobody added it to, so the archive holds their messages, and
"the bot sees it, so its members do" no longer holds. What a member sees of a private thread must
still be what Discord shows them: its messages to its members and to members with Manage Threads
on its parent, to no one else. End to end, the real bot over the sandbox, on both backends.

Ben makes a private thread in #general, adds Ann and writes in it; the bot is never added. Vic (a
plain member, not in the thread) must find nothing of it through /archive show|search|threads,
/ask or the exports; Ann (its member) and Mo (a moderator with Manage Threads) must find it (not
Ben: /ask never quotes the asker's own message)."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.privacy_world import attachment_text, found, pages, run
from tests.e2e.test_privacy import settle
from tests.e2e.test_privacy_matrix import ARTICLE, import_file, post

pytestmark = both_backends

WORD = "zebramanaged"
MESSAGE = f"{WORD} The {WORD} committee quietly settled the orchard dispute in secret meetings."
QUESTION = "Who settled the orchard dispute in secret meetings?"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


@pytest.fixture
def granted(sandbox: Sandbox, seed: Seed) -> None:
    """The bot's role gets Manage Threads on top of the invite permissions; Vic is a plain member
    and Mo a moderator (Manage Threads), before the bot starts."""
    w = sandbox.world
    bot_role = next(r for r in w.roles[seed.guild_id].values() if r["name"] == "Readalong")
    w.set_role_permissions(seed.guild_id, bot_role["id"], int(bot_role["permissions"]) | perms.MANAGE_THREADS)
    moderators = w.create_role(seed.guild_id, "Moderators", perms.EVERYONE_DEFAULT | perms.MANAGE_THREADS)
    w.add_member(seed.guild_id, w.create_user("vic", display_name="Vic")["id"])
    w.add_member(seed.guild_id, w.create_user("mo", display_name="Mo")["id"], [moderators["id"]])
    w.add_member(seed.guild_id, w.create_user("ann", display_name="Ann")["id"])


@pytest.fixture
async def bot(settings: Settings, granted: None) -> AsyncIterator[ReadalongBot]:
    async with running_bot(settings) as running:
        yield running


async def seen_by(sandbox: Sandbox, member: str, where: str, thread_id: str) -> dict[str, str]:
    """What ``member`` is shown through each path, run from ``where``."""
    texts: dict[str, str] = {}
    searched = await run(sandbox, member, "general", "archive search", {"query": "orchard"})
    texts["/archive search"] = await pages(sandbox, member, searched) if searched else ""
    shown = await run(sandbox, member, "general", "archive show", {"thread": thread_id})
    texts["/archive show"] = await pages(sandbox, member, shown) if shown else ""
    listed = await run(sandbox, member, "general", "archive threads", {"article": ARTICLE})
    texts["/archive threads"] = listed.text if listed else ""
    asked = await run(sandbox, member, where, "ask", {"question": QUESTION, "article": ARTICLE})
    texts["/ask"] = asked.text if asked else ""
    exported = await run(
        sandbox,
        member,
        "general",
        "archive export",
        {"article": ARTICLE, "format": "markdown", "every_posting": True},
    )
    texts["/archive export"] = await attachment_text(exported) if exported else ""
    return texts


async def test_a_private_thread_the_bot_sees_through_manage_threads_shows_only_to_who_may_see_it(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    s = sandbox
    await import_file(s, "ada", "general", sample_path.name, sample_path.read_bytes())
    await post(s, "ada", "general", ARTICLE, "general")
    private = s.create_private_thread("ben", "general", f"{WORD} room")
    s.add_to_thread("ben", private, "ann")
    thread_id = str(private["id"])
    bot_id = str(seed.bot_id)
    assert bot_id not in s.world.thread_members[thread_id], "the bot must not have been added"
    said = s.send("ben", private, MESSAGE)
    # The bot archives it although nobody added it: Manage Threads shows it every private thread.
    await settle(s, bot, said)

    vic = await seen_by(s, "vic", "general", thread_id)
    leaks = {path: found(text, [WORD]) for path, text in vic.items() if found(text, [WORD])}
    assert not leaks, f"Vic is not in the private thread, yet was shown: {leaks}"

    for member in ("ann", "mo"):
        # Asked in the thread itself (a public answer there may quote it: all its readers see it).
        texts = await seen_by(s, member, thread_id, thread_id)
        for path in ("/archive search", "/archive show", "/ask", "/archive export"):
            assert found(texts[path], [WORD]), (
                f"{member} may read the thread but {path} did not show it: {texts[path]}"
            )
