"""The terminal chat of ``readalong sandbox``: type as a member of the seeded server and watch the
bot answer, without a Discord account.

A line is a message in the current channel, unless it starts with ``/`` (a slash command,
``/article post article:ID channel:#general``), ``#`` (switch channel or thread: a name or the
start of one, ``#general``, ``#§2``) or ``@`` (switch member: ``@ben``). ``?`` lists the channels,
threads and members.
"""

from __future__ import annotations

import asyncio
import re
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import TextIO

from bot.sandbox.commands import CommandRejected
from bot.sandbox.server import CommandResult, Sandbox, Seed
from bot.sandbox.state import EPHEMERAL, FORUM, PUBLIC_THREAD, ApiError, Payload

HELP = (
    "Type a message to post it. /command option:value … runs a slash command (/about, /article …, "
    "/ask …, /archive …); #name switches channel or thread; @name switches member; ? lists them; "
    "Ctrl-D or Ctrl-C leaves."
)

_CHANNEL = re.compile(r"<#(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")


@dataclass
class Chat:
    sandbox: Sandbox
    seed: Seed
    out: TextIO
    member_id: str = ""
    channel_id: str = ""
    settle_seconds: float = 0.3

    def __post_init__(self) -> None:
        self.member_id = self.member_id or self.seed.admin_id
        self.channel_id = self.channel_id or self.seed.general_id
        self.sandbox.world.listeners.append(self._on_event)

    # -- output ---------------------------------------------------------------------------------

    def _on_event(self, event: str, data: Payload, channel_id: str | None) -> None:
        if event == "MESSAGE_CREATE" and data["author"]["id"] != self.member_id:
            self.show(data)
        elif event == "THREAD_CREATE":
            parent = self.sandbox.world.channels.get(str(data.get("parent_id")), {})
            self.say(f"  ✦ thread #{data['name']} opened in #{parent.get('name', '?')}")

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def place(self, channel_id: str, *, short: bool = False) -> str:
        channel = self.sandbox.world.channel(channel_id)
        if channel["type"] == PUBLIC_THREAD:
            parent = self.sandbox.world.channel(channel["parent_id"])
            name = channel["name"] if not short or len(channel["name"]) <= 24 else channel["name"][:23] + "…"
            return f"#{parent['name']} › {name}"
        return f"#{channel['name']}"

    def readable(self, text: str) -> str:
        """Mentions as the Discord client shows them: ``<#123>`` → ``#general``, ``<@123>`` → ``@ben``."""
        world = self.sandbox.world

        def channel(match: re.Match[str]) -> str:
            found = world.channels.get(match[1])
            return f"#{found['name']}" if found else match[0]

        def user(match: re.Match[str]) -> str:
            found = world.users.get(match[1])
            return f"@{found['username']}" if found else match[0]

        return _USER.sub(user, _CHANNEL.sub(channel, text))

    def show(self, message: Payload, *, private: bool = False) -> None:
        author = message["author"]
        name = author.get("global_name") or author["username"]
        tag = " [bot]" if author.get("bot") and not message.get("webhook_id") else ""
        if message.get("webhook_id") and message.get("webhook_id") != self.sandbox.world.application_id:
            tag = " [via webhook]"
        header = f"[{self.place(message['channel_id'])}] {name}{tag}"
        if private:
            header += " (only you can see this)"
        reference = message.get("referenced_message")
        if reference:
            quoted = " ".join((reference.get("content") or "").split())[:60]
            header += f" ↪ replying to {reference['author'].get('global_name') or reference['author']['username']}: {quoted}"
        self.say(header)
        for line in body_lines(message):
            self.say(self.readable(line))

    # -- input ----------------------------------------------------------------------------------

    async def handle(self, line: str) -> None:
        line = line.strip()
        if not line:
            return
        try:
            if line == "?":
                self.list_places()
            elif line.startswith("/"):
                await self.command(line)
            elif line.startswith("#"):
                self.switch_channel(line[1:])
            elif line.startswith("@") and " " not in line.strip():
                self.switch_member(line[1:])
            else:
                self.sandbox.send(self.member_id, self.channel_id, line)
        except (CommandRejected, KeyError) as error:
            self.say(f"  ! {error.args[0] if error.args else error}")
        except ApiError as error:
            self.say(f"  ! Discord refused that: {error.message}")
        await self.sandbox.wait_idle(quiet=self.settle_seconds, within=120)

    async def command(self, line: str) -> None:
        result = await self.sandbox.run(self.member_id, self.channel_id, line)
        self.show_result(result)

    def show_result(self, result: CommandResult) -> None:
        if result.failed:
            self.say("  ! The application did not respond")
        for message in result.messages:
            if message["flags"] & EPHEMERAL:
                self.show(message, private=True)
        if result.choices:
            self.say("  choices: " + ", ".join(str(c["value"]) for c in result.choices))

    def switch_channel(self, wanted: str) -> None:
        channel = self.find_place(wanted)
        if channel["type"] == FORUM:
            posts = [t["name"] for t in self.sandbox.threads(channel["id"])]
            raise KeyError(
                f"#{channel['name']} is a forum: switch to one of its posts ({', '.join(posts) or 'none yet'})"
            )
        self.channel_id = channel["id"]
        self.say(f"  → now in {self.place(self.channel_id)}")

    def find_place(self, wanted: str) -> Payload:
        world = self.sandbox.world
        places = sorted(world.channels.values(), key=lambda c: int(c["id"]))
        lowered = wanted.strip().lower()
        for test in (lambda n: n == lowered, lambda n: n.startswith(lowered), lambda n: lowered in n):
            found = [c for c in places if test(c["name"].lower())]
            if found:
                return found[-1]
        raise KeyError(f"no channel or thread matches {wanted!r}; ? lists them")

    def switch_member(self, wanted: str) -> None:
        user = self.sandbox.world.find_user(wanted)
        if user["id"] not in self.sandbox.world.members[self.seed.guild_id] or user["bot"]:
            raise KeyError(f"{wanted!r} is not a member you can be")
        self.member_id = user["id"]
        self.say(f"  → you are now @{user['username']}")

    def list_places(self) -> None:
        world = self.sandbox.world
        for channel in sorted(world.channels.values(), key=lambda c: int(c["id"])):
            kind = {FORUM: "forum", PUBLIC_THREAD: "thread"}.get(channel["type"], "text")
            self.say(f"  {self.place(channel['id'])} ({kind})")
        for member_id in world.members[self.seed.guild_id]:
            user = world.user(member_id)
            if not user["bot"]:
                self.say(f"  @{user['username']}" + (" (you)" if member_id == self.member_id else ""))

    async def run(self, lines: AsyncIterator[str], *, echo: bool) -> None:
        self.say(
            f"Readalong sandbox: you are @{self.sandbox.world.user(self.member_id)['username']} in {self.place(self.channel_id)}."
        )
        self.say(HELP)
        self.say(
            "Try: /article post article:the-lessons-of-zhanaozen channel:#general, then #§1 and a reply."
        )
        async for line in lines:
            if echo and line.strip():
                who = self.sandbox.world.user(self.member_id)["username"]
                self.say(f"{self.place(self.channel_id, short=True)} @{who}> {line.strip()}")
            await self.handle(line)


def body_lines(message: Payload) -> list[str]:
    lines = []
    for line in (message.get("content") or "").splitlines() or ([] if message.get("embeds") else [""]):
        lines += textwrap.wrap(line, 100, initial_indent="  ", subsequent_indent="  ") or ["  "]
    for embed in message.get("embeds") or []:
        for part in (embed.get("title"), embed.get("description")):
            for line in (part or "").splitlines():
                lines += textwrap.wrap(line, 96, initial_indent="  ┃ ", subsequent_indent="  ┃ ") or ["  ┃"]
        for field in embed.get("fields") or []:
            lines.append(f"  ┃ {field.get('name')}: {field.get('value')}")
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(f"  ┃ {footer}")
    for attachment in message.get("attachments") or []:
        lines.append(f"  [file {attachment['filename']}, {attachment['size']} bytes]")
    buttons = [c for row in message.get("components") or [] for c in row.get("components") or []]
    if buttons:
        lines.append("  " + " ".join(f"[{b.get('label') or b.get('custom_id')}]" for b in buttons))
    return lines


async def lines_from(source: Iterable[str]) -> AsyncIterator[str]:
    for line in source:
        yield line


async def terminal_lines() -> AsyncIterator[str]:
    """Lines typed at the terminal, read by a daemon thread so that the bot keeps running while
    the member types, and Ctrl-C never waits for a line to finish."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="sandbox-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line
