"""The world of the privacy matrix (issue 21, tests/e2e/test_privacy_matrix.py): a canary per
change, each a message with words, a file and a link of its own, and what a member sees through
each output path, read as text so that a leak is found by substring.

A canary's *words* are what any path showing readers' messages could leak (its word, its file's
name, its link's host); its *places* are what a listing could leak once the place is hidden (a
hidden thread's or channel's id, a private thread's name), and what it *lists* is a deleted
article's id and title."""

from __future__ import annotations

import asyncio
import contextlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import ApiError, CommandRejected, CommandResult, Sandbox
from bot.sandbox.state import EPHEMERAL, THREADS

QUAGGA = "quagga"
"""A word of every canary and filler (and of no article): one search finds them all."""


@dataclass
class Canary:
    """The message a change hides (or the control, which no change hides)."""

    change: str
    topic: str
    """A word of its sentence that the article does not have: the question about it."""
    with_file: bool = True
    places: list[str] = field(default_factory=list)
    """Ids (and names) of the threads and channels it hides."""
    listed: list[str] = field(default_factory=list)
    """The id and title of the article it hides."""
    message: dict[str, Any] | None = None
    thread_id: str = ""
    article: str = ""
    asked: str = ""
    """A mention question of Ben's with its words (the content changes take it back too)."""
    answers: list[tuple[str, str]] = field(default_factory=list)
    """The bot's answers (channel, message) that quoted it while it was visible."""

    @property
    def word(self) -> str:
        return f"zebra{self.change}"

    @property
    def file(self) -> str:
        return f"file{self.change}.png"

    @property
    def link(self) -> str:
        return f"https://link{self.change}.example.com/page"

    @property
    def words(self) -> list[str]:
        tokens = [self.word, f"link{self.change}.example"]
        return [*tokens, self.file] if self.with_file else tokens

    @property
    def question(self) -> str:
        return f"Who settled the {self.topic} dispute in secret meetings?"

    def content(self) -> str:
        """Its tokens first (a search result shows the start of a message), then the sentence its
        question finds."""
        return (
            f"{QUAGGA} {self.word} {self.link} The {self.word} committee quietly settled the "
            f"{self.topic} dispute in secret meetings."
        )

    def files(self) -> list[tuple[str, bytes]]:
        return [(self.file, b"\x89PNG\r\n\x1a\n" + self.change.encode())] if self.with_file else []


def found(text: str, tokens: Iterable[str]) -> list[str]:
    """Each token of ``tokens`` that ``text`` holds (case folded), with the text around it."""
    folded = text.casefold()
    shown = []
    for token in tokens:
        at = folded.find(token.casefold())
        if at >= 0:
            shown.append(repr(text[max(0, at - 50) : at + len(token) + 50]))
    return shown


async def attachment_text(result: CommandResult | list[dict[str, Any]]) -> str:
    """An export reply's text and its file's: for a zip, every member's name and text."""
    messages = result.messages if isinstance(result, CommandResult) else result
    parts = [result.text if isinstance(result, CommandResult) else ""]
    async with aiohttp.ClientSession() as session:
        for message in messages:
            for attachment in message.get("attachments") or []:
                parts.append(attachment["filename"])
                async with session.get(attachment["url"]) as response:
                    data = await response.read()
                if attachment["filename"].endswith(".zip"):
                    with zipfile.ZipFile(io.BytesIO(data)) as archive:
                        for name in archive.namelist():
                            parts += [name, archive.read(name).decode("utf-8", "replace")]
                else:
                    parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


async def pages(sandbox: Sandbox, member: str, result: CommandResult, *, pressed_only: bool = False) -> str:
    """Every page of a paged reply, turned now (Next to the end, then Previous to the start):
    each is rendered by the press, after whatever changed since the reply was sent. With
    ``pressed_only``, without the page on screen before the first press."""
    if result.failed or not result.messages:
        return "" if pressed_only else result.text
    message = result.messages[0]
    seen = [] if pressed_only else [result.text]
    for button in ("Next", "Previous"):
        for _ in range(12):
            try:
                turned = await sandbox.press(member, message, button)
            except CommandRejected:
                break  # no such button (one page) or disabled (the last or first page)
            if turned.failed:
                break
            try:
                seen.append(sandbox.world.message(message["channel_id"], message["id"])["content"])
            except ApiError:
                break
    return "\n".join(seen)


async def run(
    sandbox: Sandbox, member: str, where: str, names: str, options: dict[str, Any]
) -> CommandResult | None:
    """A command as the member runs it; None where Discord's client would not let them."""
    try:
        return await sandbox.run_command(member, where, names, options)
    except (CommandRejected, ApiError):
        return None


async def mention(
    sandbox: Sandbox, member: str, where: str, bot_id: str, question: str, *, quiet: bool = False
) -> list[dict[str, Any]]:
    """The member asks by mentioning the bot; the bot's replies to it. In an article's thread the
    bot always replies (an answer, or that none was found): wait for it. Where it should stay
    quiet (``quiet``: no article's thread), wait until it is idle, then a moment more."""
    try:
        asked = sandbox.send(member, where, f"<@{bot_id}> {question}")
    except ApiError:
        return []

    def replies() -> list[dict[str, Any]]:
        return [
            m
            for m in sandbox.messages(where)
            if (m.get("message_reference") or {}).get("message_id") == asked["id"]
        ]

    with contextlib.suppress(TimeoutError):
        await sandbox.wait_until(lambda: bool(replies()), within=1 if quiet else 15)
    await sandbox.wait_idle(quiet=0.05)
    return replies()


def bot_messages_seen(sandbox: Sandbox, member_id: str, guild_id: str, bot_id: str) -> str:
    """The bot's (not ephemeral) messages in the server's channels the member can view now: where
    a notice would be read."""
    world = sandbox.world
    shown = []
    for channel in list(world.channels.values()):
        if channel.get("guild_id") != guild_id or channel["type"] in THREADS:
            continue
        if not world.can_view(member_id, channel["id"]):
            continue
        for message in world.messages.get(channel["id"], {}).values():
            if message["author"]["id"] == bot_id and not message["flags"] & EPHEMERAL:
                shown.append(message.get("content") or "")
    return "\n".join(shown)


def every_bot_message(sandbox: Sandbox, bot_id: str) -> str:
    """All the bot's messages anywhere (direct messages included), ephemeral ones too."""
    return "\n".join(
        message.get("content") or ""
        for messages in list(sandbox.world.messages.values())
        for message in messages.values()
        if message["author"]["id"] == bot_id
    )


def remove_role(sandbox: Sandbox, guild_id: str, user_id: str, role_id: str) -> None:
    """An admin takes a role from a member (``DELETE /guilds/{g}/members/{u}/roles/{r}``), and
    Discord announces it (GUILD_MEMBER_UPDATE)."""
    world = sandbox.world
    member = world.members[guild_id][user_id]
    member["roles"] = [r for r in member["roles"] if r != role_id]
    world.emit("GUILD_MEMBER_UPDATE", member | {"guild_id": guild_id})


def remove_from_thread(sandbox: Sandbox, thread_id: str, user_id: str) -> None:
    """A thread's owner removes a member (``DELETE /channels/{id}/thread-members/{user}``), and
    Discord announces it (THREAD_MEMBERS_UPDATE with ``removed_member_ids``)."""
    world = sandbox.world
    thread = world.channel(thread_id)
    members = world.thread_members.setdefault(thread_id, {})
    members.pop(user_id, None)
    thread["member_count"] = len(members)
    world.emit(
        "THREAD_MEMBERS_UPDATE",
        {
            "id": thread_id,
            "guild_id": thread["guild_id"],
            "member_count": len(members),
            "removed_member_ids": [user_id],
        },
        thread_id,
    )


async def archived_as(
    bot: ReadalongBot, message_id: str, *, deleted: bool = False, edited: bool = False
) -> None:
    """Until the archive has the deletion or the edit of a message."""
    for _ in range(300):
        stored = await bot.store.messages.get(int(message_id), Viewer.operator())
        if stored is not None and (not deleted or stored.deleted_at) and (not edited or stored.edited_at):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"message {message_id}: the {'deletion' if deleted else 'edit'} was not archived")
