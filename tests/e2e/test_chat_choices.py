"""The chat's lists of choices complete what was asked (issue 22, finding 6): a ``#name`` in a
command's option that fits several threads lists them, and ``:N`` runs that command with the place
picked, where the member is; and ``+PATH`` sends a file as Discord's message box does."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox import Sandbox
from tests.e2e.test_chat import Typist, post_article, thread_named, typist

__all__ = ["typist"]  # the fixture, used here by name


async def test_picking_a_place_for_an_ambiguous_option_runs_the_command_there(
    typist: Typist, sandbox: Sandbox
) -> None:
    await post_article(typist)
    await post_article(typist, "#reading-room")
    forum_thread = thread_named(sandbox, "reading-room", "§4/6")
    sandbox.send(typist.chat.seed.reader_id, forum_thread["id"], "Only said in the forum's §4.")
    await sandbox.wait_idle(quiet=0.2)
    typist.chat.interactive = True
    where = typist.chat.channel_id

    asked = await typist.type("/archive show thread:#§4")
    assert ":1 #general › §4/6" in asked and ":2 #reading-room › §4/6" in asked
    shown = await typist.type(":2")
    # The command ran with the forum's thread: its transcript, with what was said there; the chat
    # stayed where it was (before, :2 moved into the thread and the command was never run).
    assert "Transcript of #§4/6" in shown and "Only said in the forum's §4." in shown
    assert "→ now in" not in shown
    assert typist.chat.channel_id == where

    # :1 runs it with the other thread, where nothing was said.
    await typist.type("/archive show thread:#§4")
    other = await typist.type(":1")
    assert "Transcript of #§4/6" in other and "Only said in the forum's §4." not in other
    # A name typed alone still moves there.
    await typist.type("#§4")
    assert "→ now in #reading-room › §4/6" in await typist.type(":2")
    assert typist.chat.channel_id == forum_thread["id"]


async def test_a_file_is_attached_with_plus_and_a_missing_one_sends_nothing(
    typist: Typist, sandbox: Sandbox, tmp_path: Path
) -> None:
    channel = typist.chat.channel_id
    before = len(sandbox.messages(channel))
    refused = await typist.type(f"+{tmp_path}/map.png Where it happened")
    assert f"! +{tmp_path}/map.png: no such file to attach" in refused
    assert len(sandbox.messages(channel)) == before

    plain = tmp_path / "map.png"
    plain.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    sent = await typist.type(f"+{plain} Where it happened")
    assert "sent with map.png" in sent
    message = sandbox.messages(channel)[-1]
    assert message["content"] == "Where it happened"
    (attachment,) = message["attachments"]
    assert attachment["filename"] == "map.png"
    assert sandbox.world.file_at(attachment["url"]) == plain.read_bytes()

    alone = await typist.type(f"+{plain}")
    assert "sent with map.png" in alone and sandbox.messages(channel)[-1]["content"] == ""
    # A plus that names no file is a message, as members write it.
    for said in ("+1 agreed", "+1.5 on that"):
        assert "sent" in await typist.type(said)
        assert sandbox.messages(channel)[-1]["content"] == said
    assert "no such file to attach" in await typist.type("+photo.png Look")
