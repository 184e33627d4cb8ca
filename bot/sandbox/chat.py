"""The terminal chat of ``readalong sandbox``: type as a member of the seeded server and watch the
bot answer, without a Discord account.

What a Discord member can do, each with a line (``?`` shows them all, :data:`HELP`):

- a line is a message in the current channel; ``@name`` in it is a real mention (``<@id>``), so
  ``@Readalong what happened?`` asks the bot;
- every message shown gets a number, ``(3)``: ``>3 text`` replies to it, ``3[Next]`` presses its
  button (``[Next]`` the newest message's), ``~3 text`` edits your message 3, ``-3`` deletes it;
  ``^`` instead of the number is the newest message here by someone else (to edit or delete:
  your newest here);
- ``/name option:value …`` runs a slash command; an empty last option (``/archive show thread:``)
  lists what the bot suggests for it, ``:2`` picks the second; ``#place`` in an option is the
  channel or thread, as Discord's client inserts it;
- ``+PATH text`` sends a message with the file at PATH attached (``text`` optional), as a file
  dropped on Discord's message box;
- ``#name`` switches channel or thread (``#general › §1`` when two match), ``@name`` member;
- ``# text`` is a comment; files the bot sends (exports) are saved to a folder, their path shown.

In a script (``--script FILE``, or lines piped in) a question the chat would ask, such as which of
two threads ``#§1`` means, is a one-line error naming the choices instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from bot.sandbox.chat_commands import HELP, Ambiguous, ChatCommands, Choice
from bot.sandbox.chat_screen import (
    BOLD,
    DIM,
    AbovePrompt,
    Writer,
    body_lines,
    lines_from,
    log_streams_to,
    piped_lines,
    restore_streams,
)
from bot.sandbox.server import Sandbox, Seed
from bot.sandbox.state import Payload

__all__ = [
    "HELP",
    "AbovePrompt",
    "Ambiguous",
    "Chat",
    "Choice",
    "ScriptFailed",
    "Writer",
    "body_lines",
    "lines_from",
    "piped_lines",
]


@dataclass(frozen=True)
class ScriptFailed:
    """The line of a script (or of lines piped in) the chat refused: its number from 1, as typed,
    and why."""

    number: int
    line: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.number}: {self.line}: {self.reason}"


@dataclass
class Chat(ChatCommands):
    """A member's seat in the sandbox: shows what arrives, turns each line typed into what a Discord
    member's client would do."""

    sandbox: Sandbox
    seed: Seed
    out: Writer
    member_id: str = ""
    channel_id: str = ""
    settle_seconds: float = 0.3
    files_dir: Path | None = None
    """Where files the bot sends are saved (None: only named)."""
    color: bool = False
    interactive: bool = False
    """A person at a terminal: a question (which place?) is asked, not refused."""
    shown: list[tuple[str, str]] = field(default_factory=list)
    """(channel id, message id) of message number N at index N - 1."""
    pending: list[Choice] = field(default_factory=list)
    """What ``:N`` picks from: the last list of choices shown."""
    refusals: list[str] = field(default_factory=list)
    """Every one-line refusal shown, in order: a script stops at its first."""

    def __post_init__(self) -> None:
        self.member_id = self.member_id or self.seed.admin_id
        self.channel_id = self.channel_id or self.seed.general_id
        self.sandbox.world.listeners.append(self._on_event)

    def _on_event(self, event: str, data: Payload, channel_id: str | None) -> None:
        if event == "MESSAGE_CREATE" and data["author"]["id"] != self.member_id:
            self.show(data)
        elif event == "THREAD_CREATE":
            parent = self.sandbox.world.channels.get(str(data.get("parent_id")), {})
            self.say(f"  ✦ thread #{data['name']} opened in #{parent.get('name', '?')}", DIM)

    def prompt(self) -> str:
        """Where you are and who you are: ``#general @ada> ``."""
        who = self.sandbox.world.user(self.member_id)["username"]
        return f"{self.place(self.channel_id, short=True)} @{who}> "

    def welcome(self) -> None:
        """The first lines of a session: who and where, the help, a first thing to try."""
        self.say(
            f"Readalong sandbox: you are @{self.sandbox.world.user(self.member_id)['username']} in {self.place(self.channel_id)}."
        )
        self.say(HELP)
        self.say(
            "Try: /article post article:the-lessons-of-zhanaozen channel:#general, then #§1 and a reply.",
            DIM,
        )

    async def run(self, lines: AsyncIterator[str], *, echo: bool) -> ScriptFailed | None:
        """Lines from a script or a pipe, each echoed after the prompt it was typed at. The first
        line the chat refuses ends the run, and is returned with its number (a script that goes on
        past an error acts on a state it was not written for, and its exit status said nothing)."""
        self.welcome()
        number = 0
        async for line in lines:
            number += 1
            stripped = line.strip()
            if echo and stripped and not (stripped == "#" or stripped.startswith("# ")):
                self.say(f"{self.prompt()}{stripped}")
            before = len(self.refusals)
            await self.handle(line)
            if len(self.refusals) > before:
                return ScriptFailed(number, stripped, self.refusals[before])
        return None

    async def interact(self, history: Path | None = None) -> None:
        """A person at a terminal: prompt_toolkit edits the line (arrows, Ctrl-R, history kept
        in ``history``), and every message arriving meanwhile is printed above the line being
        typed, which is drawn again, whole, below it."""
        kept: History = InMemoryHistory()
        if history is not None:
            history.parent.mkdir(parents=True, exist_ok=True)
            kept = FileHistory(str(history))
        session: PromptSession[str] = PromptSession(history=kept)
        above = AbovePrompt(session, asyncio.get_running_loop())
        streams = log_streams_to(cast(TextIO, above))
        self.out, self.interactive = above, True
        # Lines are handled in order by a worker while the prompt stays up: the member may type
        # the next line while the bot answers, and the terminal stays in the prompt's raw mode
        # (a Ctrl-D typed while a line is being handled is a key, not the end of the input).
        lines: asyncio.Queue[str | None] = asyncio.Queue()

        async def work() -> None:
            while (line := await lines.get()) is not None:
                await self.handle(line)

        worker = asyncio.create_task(work(), name="sandbox-chat")
        try:
            self.welcome()
            while not worker.done():
                try:
                    line = await session.prompt_async(lambda: ANSI(self.paint(self.prompt(), BOLD)))
                except (EOFError, KeyboardInterrupt):
                    break
                lines.put_nowait(line)
        finally:
            lines.put_nowait(None)
            try:
                await worker
            finally:
                restore_streams(streams)
                await above.drain()
