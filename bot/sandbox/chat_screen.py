"""What the terminal chat draws (see :mod:`bot.sandbox.chat`): a message as the transcript shows
it (number, place, author, body, buttons, files), colours, and the output that prints above the
line being typed at a terminal. What a line typed does is :mod:`bot.sandbox.chat_commands`'s.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal

from bot.sandbox.server import Sandbox
from bot.sandbox.state import THREADS, Payload
from bot.shown import Names, as_client
from bot.shown import shown as drawn

# ANSI styles, used only when colour is on.
BOLD, DIM, RED, CYAN, GREEN, MAGENTA, YELLOW = "1", "2", "31", "36", "32", "35", "33"


class Writer(Protocol):
    """Where the chat writes: standard output, a test's buffer, or prompt_toolkit's proxy that
    prints above the line being typed."""

    def write(self, text: str, /) -> object:
        """Writes ``text``, which may hold several lines."""

    def flush(self) -> None:
        """Sends on what was written."""


class ChatScreen:
    """The chat's output half: what a member's client would draw, written to :attr:`out` (the
    fields are :class:`~bot.sandbox.chat.Chat`'s)."""

    sandbox: Sandbox
    out: Writer
    files_dir: Path | None
    color: bool
    shown: list[tuple[str, str]]
    refusals: list[str]

    def paint(self, text: str, *styles: str) -> str:
        """``text`` in ANSI ``styles`` when colour is on, else as it is."""
        if not self.color or not styles:
            return text
        return f"\x1b[{';'.join(styles)}m{text}\x1b[0m"

    def say(self, line: str, *styles: str) -> None:
        """Writes one line of the transcript."""
        self.out.write(self.paint(line, *styles) + "\n")
        self.out.flush()

    def refuse(self, reason: str) -> None:
        """One line saying why a line typed did nothing (kept: a script stops at the first)."""
        self.refusals.append(reason)
        self.say(f"  ! {reason}", RED)

    def place(self, channel_id: str, *, short: bool = False) -> str:
        """``#general``, or ``#general › §1/6 …`` for a thread (cut to fit a prompt with ``short``)."""
        channel = self.sandbox.world.channel(channel_id)
        if channel["type"] in THREADS:
            parent = self.sandbox.world.channel(channel["parent_id"])
            name = channel["name"] if not short or len(channel["name"]) <= 24 else channel["name"][:23] + "…"
            return f"#{parent['name']} › {name}"
        return f"#{channel['name']}"

    def readable(self, text: str) -> str:
        """What a Discord client draws of ``text`` (:mod:`bot.shown`, as the archive's
        transcripts and exports show it too): ``<#123>`` → ``#general``, ``<@123>`` → ``@ben``,
        ``<@&1>`` → ``@Readers``, ``<:blob:1>`` → ``:blob:``, ``<t:…:R>`` → ``in 5 minutes``
        (other time styles in this machine's time zone, as a client shows them in its own)."""
        world = self.sandbox.world
        names = Names(
            users={int(i): u.get("global_name") or u["username"] for i, u in world.users.items()},
            roles={int(i): r["name"] for roles in world.roles.values() for i, r in roles.items()},
            channels={int(i): c["name"] for i, c in world.channels.items()},
        )
        return drawn(text, names, clock=as_client(world.now()))

    def number(self, message: Payload) -> int:
        """The message's number in this chat, given the first time it is shown."""
        key = (str(message["channel_id"]), str(message["id"]))
        if key not in self.shown:
            self.shown.append(key)
        return self.shown.index(key) + 1

    def show(self, message: Payload, *, private: bool = False, updated: bool = False) -> None:
        """A message as the transcript shows it: number, place, author, reply, body, buttons, files."""
        author = message["author"]
        name = author.get("global_name") or author["username"]
        tag = " [bot]" if author.get("bot") and not message.get("webhook_id") else ""
        if message.get("webhook_id") and message.get("webhook_id") != self.sandbox.world.application_id:
            tag = " [via webhook]"
        colour = CYAN if author.get("bot") else MAGENTA if message.get("webhook_id") else GREEN
        header = (
            self.paint(f"({self.number(message)})", DIM)
            + f" [{self.place(message['channel_id'])}] "
            + self.paint(name, BOLD, colour)
            + tag
        )
        if private:
            header += self.paint(" (only you can see this)", DIM)
        if updated:
            header += self.paint(" (updated)", DIM)
        reference = message.get("referenced_message")
        if reference:
            quoted = " ".join((reference.get("content") or "").split())[:60]
            who = reference["author"].get("global_name") or reference["author"]["username"]
            header += f" ↪ replying to {who}: {self.readable(quoted)}"
        self.say(header)
        for line in body_lines(message, self.readable):
            self.say(line)
        for attachment in message.get("attachments") or []:
            self.say(f"  [file {attachment['filename']}, {attachment['size']} bytes]{self.save(attachment)}")

    def save(self, attachment: Payload) -> str:
        """Saves a file the bot sent into :attr:`files_dir`; says where, or why not."""
        if self.files_dir is None:
            return ""
        path = str(attachment["url"]).removeprefix(self.sandbox.world.base_url).split("?", 1)[0]
        data = self.sandbox.world.files.get(path)
        if data is None:
            return " (its content is gone)"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        name = Path(str(attachment["filename"])).name or "file"
        target = self.files_dir / name
        stem, suffix, copy = target.stem, target.suffix, 1
        while target.exists() and target.read_bytes() != data:
            copy += 1
            target = self.files_dir / f"{stem}-{copy}{suffix}"
        target.write_bytes(data)
        return " saved to " + self.paint(str(target), YELLOW)


class AbovePrompt:
    """Output for the chat at a terminal: text goes out in the event loop's thread, line by line;
    while the prompt is on the screen, prompt_toolkit takes the line being typed away, prints the
    text, and draws the line again below it (``run_in_terminal``), so a message arriving while
    the member types never splits their line. prompt_toolkit's own ``StdoutProxy`` writes from a
    thread of its own and, when it writes as a prompt is starting, lands on the prompt's row."""

    def __init__(self, session: PromptSession[str], loop: asyncio.AbstractEventLoop) -> None:
        self._session = session
        self._loop = loop
        self._output = session.app.output
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._writing: set[asyncio.Future[None]] = set()

    def write(self, text: str, /) -> int:
        """Queues ``text``; it goes out in the event loop, above the prompt if one is up."""
        with self._lock:
            self._pending.append(text)
            first = len(self._pending) == 1
        if first:
            # From any thread (a log line may come from a worker thread): written in the loop.
            self._loop.call_soon_threadsafe(self._flush_pending)
        return len(text)

    def flush(self) -> None:
        """Text goes out in the loop's next turn."""

    def _flush_pending(self) -> None:
        with self._lock:
            text, self._pending = "".join(self._pending), []
        if not text:
            return

        def put() -> None:
            self._output.write_raw(text)
            self._output.flush()

        if not self._session.app.is_running:
            put()
            return
        writing = asyncio.ensure_future(run_in_terminal(put, in_executor=False))
        self._writing.add(writing)
        writing.add_done_callback(self._writing.discard)

    async def drain(self) -> None:
        """Everything written so far, out."""
        self._flush_pending()
        if self._writing:
            # Bounded: a write queued just as the prompt closed may wait on an application that
            # is gone; what it held is written directly instead.
            await asyncio.wait(self._writing, timeout=1.0)


_Streams = list[tuple["logging.StreamHandler[TextIO]", TextIO]]


def log_streams_to(stream: TextIO) -> _Streams:
    """Points the root logger's stream handlers at ``stream`` (a line logged while the member
    types goes above their line too); returns what to put back with :func:`restore_streams`."""
    changed: _Streams = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, sys.stdout):
            changed.append((handler, handler.stream))
            handler.setStream(stream)
    return changed


def restore_streams(streams: _Streams) -> None:
    """Puts back the streams :func:`log_streams_to` changed."""
    for handler, original in streams:
        handler.setStream(original)


def button_labels(message: Payload | None) -> list[str]:
    """The labels of a message's buttons (a button without one: its custom id)."""
    if message is None:
        return []
    buttons = [c for row in message.get("components") or [] for c in row.get("components") or []]
    return [str(b.get("label") or b.get("custom_id")) for b in buttons]


def body_lines(message: Payload, readable: Callable[[str], str] = str) -> list[str]:
    """A message's content, embeds and buttons as indented transcript lines, the text drawn with
    ``readable`` (mentions as names...) before it is wrapped."""
    lines = []
    content = readable(message.get("content") or "")
    for line in content.splitlines() or ([] if message.get("embeds") else [""]):
        lines += textwrap.wrap(line, 100, initial_indent="  ", subsequent_indent="  ") or ["  "]
    for embed in message.get("embeds") or []:
        for part in (embed.get("title"), embed.get("description")):
            for line in readable(part or "").splitlines():
                lines += textwrap.wrap(line, 96, initial_indent="  ┃ ", subsequent_indent="  ┃ ") or ["  ┃"]
        for embed_field in embed.get("fields") or []:
            lines.append(
                f"  ┃ {readable(str(embed_field.get('name')))}: {readable(str(embed_field.get('value')))}"
            )
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(f"  ┃ {footer}")
    labels = button_labels(message)
    if labels:
        lines.append("  " + " ".join(f"[{label}]" for label in labels))
    return lines


async def lines_from(source: Iterable[str]) -> AsyncIterator[str]:
    """The lines of a script, as an async iterator like the terminal."""
    for line in source:
        yield line


async def piped_lines() -> AsyncIterator[str]:
    """Lines piped in on standard input, read by a daemon thread so that the bot keeps running
    meanwhile, and Ctrl-C never waits for a line to finish."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read, name="sandbox-stdin", daemon=True).start()
    while (line := await queue.get()) is not None:
        yield line
