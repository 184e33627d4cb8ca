"""Members see only what they may see (issue 11, findings 1, 2, 3 and 11), end to end: the real
bot over the sandbox, with a private channel, a private thread, an archived thread and a second
server. Each test has a positive control (someone who may see the message does see it), so that
"nothing shown" cannot pass by showing nothing to anyone."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest

from bot.articles import Article
from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.conftest import wait_archived

pytestmark = both_backends

if TYPE_CHECKING:
    from cogs.discussion import Discussion

ARTICLE = "the-lessons-of-zhanaozen"
SECRET = "The zebra committee quietly settled the wrangling in secret meetings."
QUESTION = "Who settled the wrangling in secret meetings?"
"""Words of the secret message that the article does not have: only the secret can answer."""


@dataclass(frozen=True)
class Places:
    staff_id: str
    other_guild_id: str
    lounge_id: str


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, ask_cooldown_seconds=0.0)


@pytest.fixture
def places(sandbox: Sandbox, seed: Seed) -> Places:
    """Made before the bot starts: a private #staff (cat and dan are staff; ben is not) and a
    second server where eve is the owner and fay a member."""
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
    eve = world.create_user("eve", display_name="Eve")
    fay = world.create_user("fay", display_name="Fay")
    other = world.create_guild("Other Server", owner_id=eve["id"])
    other_bot_role = world.create_role(other["id"], "Readalong", perms.BOT_DEFAULT)
    world.add_member(other["id"], eve["id"])
    world.add_member(other["id"], fay["id"])
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


def discussion(bot: ReadalongBot) -> Discussion:
    cog = bot.get_cog("Discussion")
    assert cog is not None and type(cog).__name__ == "Discussion"
    return cast("Discussion", cog)


async def settle(sandbox: Sandbox, bot: ReadalongBot, *sent: dict[str, Any]) -> None:
    """The sandbox quiet, these messages archived, and nothing left to write."""
    await sandbox.wait_idle()
    await wait_archived(bot, *sent)
    await discussion(bot).recorder.drain()


async def post(
    sandbox: Sandbox, admin: str, where: str, channel: str, *, imported: bool = False, sample_path: Path
) -> None:
    """Post the sample article (importing it first unless it is) into ``channel``."""
    if not imported:
        await sandbox.run_command(
            admin, where, "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
    before = len(sandbox.threads(channel))
    await sandbox.run_command(admin, where, "article post", {"article": ARTICLE, "channel": channel})
    await sandbox.wait_until(lambda: len(sandbox.threads(channel)) >= before + 7, within=30)
    await sandbox.wait_idle()


async def ask(sandbox: Sandbox, member: str, where: str, question: str = QUESTION) -> str:
    result = await sandbox.run_command(member, where, "ask", {"question": question, "article": ARTICLE})
    assert not result.failed
    return result.text


async def search(sandbox: Sandbox, member: str, where: str, query: str = "zebra") -> str:
    return (await sandbox.run_command(member, where, "archive search", {"query": query})).text


async def test_private_channel_is_not_quoted_to_members_who_cannot_see_it(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "ada", "general", "staff", sample_path=sample_path)
    section = sandbox.threads("staff")[1]
    secret = sandbox.send("cat", section, SECRET)
    await settle(sandbox, bot, secret)

    seen = await ask(sandbox, "dan", "staff")  # dan is staff: he may see it, in #staff
    assert "zebra committee" in seen and secret["id"] in seen
    hidden = await ask(sandbox, "ben", "general")  # ben cannot see #staff
    assert "zebra" not in hidden and secret["id"] not in hidden and places.staff_id not in hidden
    # dan may see #staff, but an answer in #general is read by all who see #general.
    public = await ask(sandbox, "dan", "general")
    assert "zebra" not in public and secret["id"] not in public and places.staff_id not in public

    for archived in (False, True):
        if archived:
            sandbox.archive(section)  # no longer cached by discord.py: still hidden from ben
            await settle(sandbox, bot)
        assert "zebra committee" in await search(sandbox, "dan", "general"), archived
        found = await search(sandbox, "ben", "general")
        assert "zebra committee" not in found and "Nothing found" in found, archived
        hidden = await ask(sandbox, "ben", "general")
        assert "zebra" not in hidden and secret["id"] not in hidden, archived
        shown = await sandbox.run_command("ben", "general", "archive show", {"thread": section["id"]})
        assert "zebra" not in shown.text and "not the thread of a posted article" in shown.text


async def test_a_second_server_never_sees_the_first_servers_discussion(
    sandbox: Sandbox,
    seed: Seed,
    places: Places,
    bot: ReadalongBot,
    sample_path: Path,
    sample_article: Article,
) -> None:
    # The operator's shared library (imported from the command line) is offered to both servers.
    await bot.store.articles.add(sample_article)
    await post(sandbox, "ada", "general", "general", imported=True, sample_path=sample_path)
    await post(sandbox, "eve", "lounge", "lounge", imported=True, sample_path=sample_path)
    section = sandbox.threads("general")[1]
    secret = sandbox.send("ben", section, SECRET)
    theirs = sandbox.send("fay", sandbox.threads("lounge")[1], "In our server we talk about the strike.")
    await settle(sandbox, bot, secret, theirs)

    assert "zebra committee" in await ask(sandbox, "ada", "general")  # the first server sees it
    for member in ("eve", "fay"):
        answer = await ask(sandbox, member, "lounge")
        assert "zebra" not in answer and secret["id"] not in answer and seed.guild_id not in answer
        assert "zebra committee" not in await search(sandbox, member, "lounge")
    threads = await sandbox.run_command("eve", "lounge", "archive threads", {"article": ARTICLE})
    assert "Ben" not in threads.text and "Fay" in threads.text
    shown = await sandbox.run_command("eve", "lounge", "archive show", {"thread": section["id"]})
    assert "zebra" not in shown.text and "not the thread of a posted article" in shown.text
    exported = await sandbox.run_command("eve", "lounge", "archive export", {"article": ARTICLE})
    (message,) = exported.messages
    data = await _attachment(sandbox, message)
    assert "zebra" not in data and "strike" in data

    # An article imported in the first server is listed there only.
    own = await bot.store.articles.add(
        sample_article,
        "staff-notes",
        guild_id=int(seed.guild_id),
    )
    here = await sandbox.autocomplete(
        "ada", "general", "ask", {"question": "x", "article": ""}, focused="article"
    )
    there = await sandbox.autocomplete(
        "eve", "lounge", "ask", {"question": "x", "article": ""}, focused="article"
    )
    # A posting's value is ID#POSTING (issue 22): the article's id is what comes before the #.
    assert own.id in [c["value"].split("#")[0] for c in here]
    there_ids = [c["value"].split("#")[0] for c in there]
    assert own.id not in there_ids and ARTICLE in there_ids
    refused = await sandbox.run_command("fay", "lounge", "ask", {"question": QUESTION, "article": own.id})
    missing = await sandbox.run_command("fay", "lounge", "ask", {"question": QUESTION, "article": "no-such"})
    assert "unknown article" in refused.text and refused.text.replace(own.id, "no-such") == missing.text


async def _attachment(sandbox: Sandbox, message: dict[str, object]) -> str:
    (attachment,) = cast("list[dict[str, str]]", message["attachments"])
    return sandbox.world.file_at(attachment["url"]).decode("utf-8")


async def test_private_thread_archived_or_not_is_shown_to_its_members_only(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "ada", "general", "general", sample_path=sample_path)
    thread = sandbox.create_private_thread("ben", "general", "ben and cat")
    assert thread["type"] == 12
    sandbox.add_to_thread("ben", thread, "cat")
    # With the invite permissions (no Manage Threads) the bot sees a private thread only once it is
    # added, as on Discord; then it archives it like any other.
    sandbox.add_to_thread("ben", thread, "Readalong")
    secret = sandbox.send("ben", thread, SECRET)
    await settle(sandbox, bot, secret)

    for archived in (False, True):
        if archived:
            sandbox.archive(thread)  # Discord stops sending it over the gateway
            await settle(sandbox, bot)
        assert "zebra committee" in await search(sandbox, "cat", "general"), archived  # a member
        if not archived:  # Discord refuses commands in archived threads
            assert "zebra committee" in await ask(sandbox, "cat", thread["id"])
        public = await ask(sandbox, "cat", "general")  # but not in an answer all of #general reads
        assert "zebra" not in public and secret["id"] not in public, archived
        assert "zebra committee" in await search(sandbox, "ada", "general"), archived  # manages threads
        hidden = await search(sandbox, "dan", "general")  # can see #general, not the thread
        assert "zebra committee" not in hidden and "Nothing found" in hidden, archived
        answer = await ask(sandbox, "dan", "general")
        assert "zebra" not in answer and secret["id"] not in answer, archived
        shown = await sandbox.run_command("dan", "general", "archive show", {"thread": thread["id"]})
        assert "zebra" not in shown.text and "not the thread of a posted article" in shown.text


async def test_a_question_to_the_bot_is_not_quoted_back_as_an_answer(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "ada", "general", "general", sample_path=sample_path)
    section = sandbox.threads("general")[0]
    question = "How many people died and were injured?"
    sentence = "> The result was that 16 people died and many more were injured."
    for _ in range(2):  # the second time, the first question is in the archive
        asked = sandbox.send("ben", section, f"<@{seed.bot_id}> {question}")

        def answered(asked: dict[str, Any] = asked) -> bool:
            return any(
                (m.get("message_reference") or {}).get("message_id") == asked["id"]
                for m in sandbox.messages(section["id"])
            )

        await sandbox.wait_until(answered)
        await settle(sandbox, bot, asked)
        reply = sandbox.messages(section["id"])[-1]
        assert sentence in reply["content"] and question not in reply["content"]
    for member in ("ben", "cat"):
        answer = await ask(sandbox, member, "general", question)
        heading, body = answer.split("\n", 1)
        assert question in heading and sentence in body and question not in body


async def test_readers_markup_and_names_are_shown_as_text(
    sandbox: Sandbox, seed: Seed, places: Places, bot: ReadalongBot, sample_path: Path
) -> None:
    await post(sandbox, "ada", "general", "general", sample_path=sample_path)
    sandbox.world.users[sandbox.world.find_user("cat")["id"]]["global_name"] = "**Cat** @everyone"
    said = sandbox.send("cat", sandbox.threads("general")[1], f"[jump](https://evil.example) {SECRET}")
    await settle(sandbox, bot, said)
    answer = await ask(sandbox, "ben", "general")
    assert "zebra committee" in answer
    assert "](https://evil.example)" not in answer and "https://evil.example" not in answer
    assert r"\[jump\]" in answer
    assert "**Cat**" not in answer and "@everyone" not in answer and r"\*\*Cat\*\*" in answer
