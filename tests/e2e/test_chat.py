"""The terminal chat does what a Discord member can: mention, reply, press buttons, autocomplete,
edit and delete, receive files; and asks which place an ambiguous name means. The real bot runs
behind the sandbox; the chat is driven in-process, line by line, as a member types."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.chat import HELP, Chat
from bot.sandbox.state import Payload

ARTICLE = "the-lessons-of-zhanaozen"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Typist:
    """A member at the chat: types lines, reads what appeared since the last line."""

    def __init__(self, chat: Chat, out: io.StringIO) -> None:
        self.chat, self.out, self.seen = chat, out, 0

    async def type(self, line: str) -> str:
        await self.chat.handle(line)
        text = self.out.getvalue()[self.seen :]
        self.seen = len(self.out.getvalue())
        return text


@pytest.fixture
async def typist(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, tmp_path: Path
) -> Typist:
    out = io.StringIO()
    chat = Chat(sandbox, seed, out, files_dir=tmp_path / "files", settle_seconds=0.2)
    member = Typist(chat, out)
    imported = await member.type(f"/article import file:{sample_path}")
    assert ARTICLE in imported
    return member


async def post_article(member: Typist, channel: str = "#general") -> str:
    """Posts the article and waits until all of it is there (the chat waits only for a quiet
    spell, which a loaded machine can leave in the middle of a posting)."""
    shown = await member.type(f"/article post article:{ARTICLE} channel:{channel}")
    sandbox = member.chat.sandbox

    def complete() -> bool:
        comments = [t for t in sandbox.threads(channel.lstrip("#")) if t["name"].startswith("Comments")]
        return bool(comments) and len(sandbox.messages(comments[0]["id"])) >= 2  # both original comments

    await sandbox.wait_until(complete, within=60)
    await sandbox.wait_idle(quiet=0.2)
    rest = member.out.getvalue()[member.seen :]
    member.seen += len(rest)
    return shown + rest


def number_of(text: str, predicate: str) -> int:
    """The number the chat gave the first message whose header contains ``predicate``."""
    for line in text.splitlines():
        found = re.match(r"\((\d+)\) \[", line)
        if found and predicate in line:
            return int(found[1])
    raise AssertionError(f"no message header with {predicate!r} in:\n{text}")


def thread_named(sandbox: Sandbox, channel: str, start: str) -> Payload:
    return next(t for t in sandbox.threads(channel) if t["name"].startswith(start))


async def test_mentioning_the_bot_sends_a_real_mention_and_is_answered(
    typist: Typist, sandbox: Sandbox, seed: Seed
) -> None:
    await post_article(typist)
    await typist.type("#§1")
    shown = await typist.type("@Readalong what happened in Zhanaozen?")
    thread = thread_named(sandbox, "general", "§1/6")
    question, answer = sandbox.messages(thread["id"])[-2:]
    assert question["content"] == f"<@{seed.bot_id}> what happened in Zhanaozen?"
    assert [m["id"] for m in question["mentions"]] == [seed.bot_id]
    assert answer["author"]["id"] == seed.bot_id
    assert answer["message_reference"]["message_id"] == question["id"]
    # The chat shows the mention as Discord does, by name.
    assert "↪ replying to Ada: @Readalong what happened in Zhanaozen?" in shown
    assert "Zhanaozen" in answer["content"]


async def test_a_member_mention_in_text_is_a_mention_and_an_unknown_name_stays_text(
    typist: Typist, sandbox: Sandbox, seed: Seed
) -> None:
    await typist.type("thanks @ben, and @nobody")
    (sent,) = sandbox.messages("general")
    assert sent["content"] == f"thanks <@{seed.reader_id}>, and @nobody"


async def test_reply_to_a_message_by_its_number(typist: Typist, sandbox: Sandbox, seed: Seed) -> None:
    posted = await post_article(typist)
    intro = number_of(posted, "[#general] Readalong [bot]")
    await typist.type("@ben")
    shown = await typist.type(f">{intro} Who is the author?")
    (reply,) = [m for m in sandbox.messages("general") if m["author"]["id"] == seed.reader_id]
    assert reply["content"] == "Who is the author?"
    assert reply["message_reference"]["message_id"] == typist.chat.numbered(intro)["id"]
    assert re.search(r"\(\d+\) sent", shown)
    refused = await typist.type(">999 hello")
    assert "no message (999)" in refused
    assert [m for m in sandbox.messages("general") if m["author"]["id"] == seed.reader_id] == [reply]


async def test_edit_and_delete_your_own_messages_only(typist: Typist, sandbox: Sandbox, seed: Seed) -> None:
    sent = await typist.type("first thougth")
    mine = int(re.search(r"\((\d+)\) sent", sent)[1])  # type: ignore[index]
    assert "edited" in await typist.type(f"~{mine} first thought, @ben")
    (message,) = sandbox.messages("general")
    assert message["content"] == f"first thought, <@{seed.reader_id}>"
    assert message["edited_timestamp"] is not None

    await typist.type("@ben")
    refused = await typist.type(f"~{mine} not mine to change")
    assert "Discord refused that: Cannot edit a message authored by another user" in refused
    assert sandbox.messages("general")[0]["content"] == f"first thought, <@{seed.reader_id}>"

    await typist.type("@ada")
    assert "deleted" in await typist.type(f"-{mine}")
    assert sandbox.messages("general") == []
    assert f"message ({mine}) was deleted" in await typist.type(f"~{mine} again")


async def test_the_archive_pager_buttons_turn_the_pages(typist: Typist, sandbox: Sandbox) -> None:
    await post_article(typist)
    await typist.type("#§2")
    for number in range(4):
        await typist.type(f"Point {number}: " + "the commission's findings matter here. " * 40)
    first = await typist.type("/archive show thread:#§2")
    pager = number_of(first, "(only you can see this)")
    assert "[Previous] [Next]" in first and "Point 0" in first
    second = await typist.type("[Next]")
    assert f"({pager}) [" in second and "(updated)" in second
    assert "Point 0" not in second and "Point 1" in second
    back = await typist.type(f"{pager}[Previous]")
    assert "Point 0" in back
    assert "no button 'Nope'" in await typist.type(f"{pager}[Nope]")


async def test_autocomplete_lists_the_threads_and_a_pick_runs_the_command(
    typist: Typist, sandbox: Sandbox
) -> None:
    await post_article(typist)
    await typist.type("#§3")
    await typist.type("The police training point is the key one.")
    listed = await typist.type("/archive show thread:")
    picks = dict(re.findall(r"^  :(\d+) (.+)$", listed, re.MULTILINE))
    assert len(picks) == 7  # six sections and the comments
    wanted = next(n for n, label in picks.items() if label.startswith("§3/6"))
    assert "(in #general)" in picks[wanted]
    shown = await typist.type(f":{wanted}")
    assert "Transcript of #§3/6" in shown
    assert "The police training point is the key one." in shown
    assert "nothing to pick from" in await typist.type(f":{wanted}")


async def test_fixed_choices_are_listed_and_a_picked_export_is_saved(
    typist: Typist, sandbox: Sandbox, tmp_path: Path
) -> None:
    await post_article(typist)
    await typist.type("#§1")
    await typist.type("A remark to export.")
    listed = await typist.type(f"/archive export article:{ARTICLE} format:")
    formats = dict(re.findall(r"^  :(\d+) (\w+)$", listed, re.MULTILINE))
    assert {"markdown", "html", "json"} <= set(formats.values())  # the option's fixed choices, as listed
    html = next(number for number, name in formats.items() if name == "html")
    shown = await typist.type(f":{html}")
    saved = Path(re.search(r"saved to (\S+)", shown)[1])  # type: ignore[index]
    assert saved.parent == tmp_path / "files"
    sent = [m for m in sandbox.world.messages[typist.chat.channel_id].values() if m.get("attachments")]
    (attachment,) = sent[-1]["attachments"]
    assert saved.name == attachment["filename"]
    assert saved.read_bytes() == sandbox.world.file_at(attachment["url"])
    assert "A remark to export." in saved.read_text(encoding="utf-8")


async def test_a_thread_option_takes_a_place_and_an_ambiguous_one_is_asked_about(
    typist: Typist, sandbox: Sandbox
) -> None:
    await post_article(typist)
    shown = await typist.type("/archive show thread:#§4")
    assert "Transcript of #§4/6" in shown
    await post_article(typist, "#reading-room")

    # A script gets one line naming the choices, and nothing changes.
    where = typist.chat.channel_id
    refused = await typist.type("#§4")
    assert refused.count("\n") == 1
    assert "#§4 could be 2 places: #general › §4/6" in refused and "; #reading-room › §4/6" in refused
    assert typist.chat.channel_id == where
    assert "could be 2 places" in await typist.type("/archive show thread:#§4")
    qualified = await typist.type("#reading-room › §4")
    assert "→ now in #reading-room › §4/6" in qualified

    # A person at the terminal is asked which.
    typist.chat.interactive = True
    asked = await typist.type("#§4")
    assert ":1 #general › §4/6" in asked and ":2 #reading-room › §4/6" in asked
    assert "→ now in #general › §4/6" in await typist.type(":1")
    assert typist.chat.channel_id == thread_named(sandbox, "general", "§4/6")["id"]


async def test_comment_lines_do_nothing(typist: Typist, sandbox: Sandbox) -> None:
    assert await typist.type("# a comment, not a channel") == ""
    assert await typist.type("#") == ""
    assert sandbox.messages("general") == []
    assert "→ now in #general" in await typist.type("#general")


async def test_help_lists_the_chat_syntax(typist: Typist) -> None:
    shown = await typist.type("?")
    for syntax in (
        ">3 text",
        "3[Next]",
        "~3 text",
        "-3",
        ":2",
        "@Readalong",
        "# text",
        "/archive show thread:",
    ):
        assert syntax in HELP and syntax in shown
    assert "@Readalong (the bot)" in shown


async def test_colour_only_when_asked(sandbox: Sandbox, seed: Seed, bot: ReadalongBot) -> None:
    plain, coloured = io.StringIO(), io.StringIO()
    Chat(sandbox, seed, plain, settle_seconds=0.1, member_id=seed.reader_id)
    Chat(sandbox, seed, coloured, settle_seconds=0.1, color=True, member_id=seed.reader_id)
    sandbox.send("ada", "general", "hello ben")
    await sandbox.wait_idle(quiet=0.1)
    assert "hello ben" in plain.getvalue() and "\x1b[" not in plain.getvalue()
    assert "\x1b[" in coloured.getvalue()
    assert ANSI.sub("", coloured.getvalue()) == plain.getvalue()
