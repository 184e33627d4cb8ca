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
- ``#name`` switches channel or thread (``#general › §1`` when two match), ``@name`` member;
- ``# text`` is a comment; files the bot sends (exports) are saved to a folder, their path shown.

In a script (``--script FILE``, or lines piped in) a question the chat would ask, such as which of
two threads ``#§1`` means, is a one-line error naming the choices instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import textwrap
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, TextIO, cast

from prompt_toolkit import PromptSession
from prompt_toolkit.application import run_in_terminal
from prompt_toolkit.formatted_text import ANSI
from prompt_toolkit.history import FileHistory, History, InMemoryHistory

from bot.sandbox.commands import (
    CHANNEL,
    STRING,
    CommandRejected,
    find_command,
    split_command_line,
)
from bot.sandbox.protocol import CallbackType
from bot.sandbox.server import CommandResult, Sandbox, Seed
from bot.sandbox.state import EPHEMERAL, FORUM, THREADS, ApiError, Payload

HELP = """\
Type a message to post it; @name in it mentions someone (@Readalong … asks the bot).
Messages are numbered (3): >3 text replies · 3[Next] presses its button · ~3 text edits your message · -3 deletes it
(^ instead of a number: the newest here by someone else, or your newest here).
/command option:value … runs a slash command (/help lists them); end with an empty
option (/archive show thread:) to see its choices, then :2 picks the second; #§1 names a thread there.
#name switches channel or thread (#general › §1 when two match) · @name switches member · # text is a comment
· ? lists this, the channels and members · files the bot sends are saved, their path shown · Ctrl-D leaves."""

_CHANNEL = re.compile(r"<#(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")
_MENTION = re.compile(r"(?<![\w<@])@([\w.-]+)")
_REPLY = re.compile(r">(\d+|\^)\s+(.+)", re.DOTALL)
_EDIT = re.compile(r"~(\d+|\^)\s+(.+)", re.DOTALL)
_DELETE = re.compile(r"-(\d+|\^)")
_PRESS = re.compile(r"(\d*)\[([^\]]+)\]")
_PICK = re.compile(r":(\d+)")
_QUALIFIED = re.compile(r"(.+?)\s*(?:›|>)\s*(.+)")

# ANSI styles, used only when colour is on.
_BOLD, _DIM, _RED, _CYAN, _GREEN, _MAGENTA, _YELLOW = "1", "2", "31", "36", "32", "35", "33"


class Writer(Protocol):
    """Where the chat writes: standard output, a test's buffer, or prompt_toolkit's proxy that
    prints above the line being typed."""

    def write(self, text: str, /) -> object:
        """Writes ``text``, which may hold several lines."""

    def flush(self) -> None:
        """Sends on what was written."""


class Ambiguous(KeyError):
    """A name that fits several places: the chat asks which (a script gets one line)."""

    def __init__(self, wanted: str, places: list[Payload], labels: list[str]) -> None:
        super().__init__(
            f"#{wanted} could be {len(places)} places: {'; '.join(labels)}; name one with #channel › thread"
        )
        self.wanted = wanted
        self.places = places
        self.labels = labels


@dataclass
class Choice:
    """One of a list the chat offers (``:N`` picks it): what is shown, and what picking it does."""

    label: str
    act: Callable[[], Awaitable[None]]


@dataclass
class Chat:
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
            self.say(f"  ✦ thread #{data['name']} opened in #{parent.get('name', '?')}", _DIM)

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
        """One line saying why a line typed did nothing."""
        self.say(f"  ! {reason}", _RED)

    def place(self, channel_id: str, *, short: bool = False) -> str:
        """``#general``, or ``#general › §1/6 …`` for a thread (cut to fit a prompt with ``short``)."""
        channel = self.sandbox.world.channel(channel_id)
        if channel["type"] in THREADS:
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
        colour = _CYAN if author.get("bot") else _MAGENTA if message.get("webhook_id") else _GREEN
        header = (
            self.paint(f"({self.number(message)})", _DIM)
            + f" [{self.place(message['channel_id'])}] "
            + self.paint(name, _BOLD, colour)
            + tag
        )
        if private:
            header += self.paint(" (only you can see this)", _DIM)
        if updated:
            header += self.paint(" (updated)", _DIM)
        reference = message.get("referenced_message")
        if reference:
            quoted = " ".join((reference.get("content") or "").split())[:60]
            who = reference["author"].get("global_name") or reference["author"]["username"]
            header += f" ↪ replying to {who}: {self.readable(quoted)}"
        self.say(header)
        for line in body_lines(message):
            self.say(self.readable(line))
        for attachment in message.get("attachments") or []:
            self.say(f"  [file {attachment['filename']}, {attachment['size']} bytes]{self.save(attachment)}")

    def save(self, attachment: Payload) -> str:
        """Saves a file the bot sent into :attr:`files_dir`; says where, or why not."""
        if self.files_dir is None:
            return ""
        path = str(attachment["url"]).removeprefix(self.sandbox.world.base_url)
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
        return " saved to " + self.paint(str(target), _YELLOW)

    # -- input ----------------------------------------------------------------------------------

    async def handle(self, line: str) -> None:
        """Does what ``line`` asks, says in one line why not if it cannot, then waits for the bot to
        fall quiet."""
        line = line.strip()
        if not line or line == "#" or line.startswith("# "):
            return  # nothing, or a comment
        try:
            await self.dispatch(line)
        except Ambiguous as question:
            if not self.interactive:
                self.refuse(str(question.args[0]))
            else:
                self.offer(
                    f"#{question.wanted} could be any of these:",
                    [
                        Choice(label, self.mover(place))
                        for label, place in zip(question.labels, question.places, strict=True)
                    ],
                )
        except (CommandRejected, KeyError) as error:
            self.refuse(str(error.args[0] if error.args else error))
        except ApiError as error:
            self.refuse(f"Discord refused that: {error.message}")
        try:
            await self.sandbox.wait_idle(quiet=self.settle_seconds, within=120)
        except TimeoutError as error:
            self.refuse(str(error))  # the bot may still answer; the chat goes on meanwhile

    async def dispatch(self, line: str) -> None:
        """The action a line stands for (the grammar in the module docstring)."""
        if line == "?":
            self.say(HELP)
            self.list_places()
        elif match := _PICK.fullmatch(line):
            await self.pick(int(match[1]))
        elif line.startswith("/"):
            await self.command(line)
        elif match := _REPLY.fullmatch(line):
            self.post(match[2], reply_to=self.numbered(self.resolve(match[1], yours=False)))
        elif match := _EDIT.fullmatch(line):
            number = self.resolve(match[1], yours=True)
            self.sandbox.edit(self.member_id, self.numbered(number), self.with_mentions(match[2]))
            self.say(f"  ({number}) edited", _DIM)
        elif match := _DELETE.fullmatch(line):
            number = self.resolve(match[1], yours=True)
            self.sandbox.delete(self.member_id, self.numbered(number))
            self.say(f"  ({number}) deleted", _DIM)
        elif match := _PRESS.fullmatch(line):
            await self.press(int(match[1]) if match[1] else None, match[2].strip())
        elif line.startswith("#"):
            self.switch_channel(line[1:])
        elif line.startswith("@") and " " not in line:
            self.switch_member(line[1:])
        else:
            self.post(line)

    def post(self, text: str, *, reply_to: Payload | None = None) -> None:
        """A message in the current channel, or a reply in the replied message's channel."""
        channel_id = self.channel_id
        if reply_to is not None:
            if reply_to["flags"] & EPHEMERAL:
                raise KeyError("a message only you can see cannot be replied to")
            channel_id = str(reply_to["channel_id"])
        sent = self.sandbox.send(self.member_id, channel_id, self.with_mentions(text), reply_to=reply_to)
        where = "" if channel_id == self.channel_id else f" in {self.place(channel_id)}"
        self.say(f"  ({self.number(sent)}) sent{where}", _DIM)

    def with_mentions(self, text: str) -> str:
        """``@ben`` → ``<@id>``, as Discord's client sends a mention picked from its list; a name
        that is no member stays text."""
        world = self.sandbox.world
        members = world.members[self.seed.guild_id]

        def mention(match: re.Match[str]) -> str:
            try:
                user = world.find_user(match[1])
            except KeyError:
                return match[0]
            return f"<@{user['id']}>" if user["id"] in members else match[0]

        return _MENTION.sub(mention, text)

    def resolve(self, reference: str, *, yours: bool) -> int:
        """A message number as typed: ``3``, or ``^``, the newest in the current channel or
        thread: yours (``yours``, as Discord's up arrow edits your last message), else the newest
        someone else wrote that everyone sees. A script names it so without counting."""
        if reference != "^":
            return int(reference)
        for index in reversed(range(len(self.shown))):
            message = self._message_or_none(index)
            if message is None or str(message["channel_id"]) != self.channel_id:
                continue
            by_you = message["author"]["id"] == self.member_id
            if by_you if yours else not by_you and not message["flags"] & EPHEMERAL:
                return index + 1
        where = self.place(self.channel_id)
        raise KeyError(f"no message of yours in {where}" if yours else f"no message to reply to in {where}")

    def numbered(self, number: int) -> Payload:
        """The message shown with ``number``, as it is now."""
        if not 1 <= number <= len(self.shown):
            raise KeyError(
                f"no message ({number}): messages are numbered as they are shown, 1 to {len(self.shown)}"
            )
        channel_id, message_id = self.shown[number - 1]
        try:
            return self.sandbox.world.message(channel_id, message_id)
        except ApiError:
            raise KeyError(f"message ({number}) was deleted") from None

    async def press(self, number: int | None, label: str) -> None:
        """Presses the button ``label`` of message ``number`` (None: the newest shown with one)."""
        if number is None:
            number = next(
                (
                    index + 1
                    for index in reversed(range(len(self.shown)))
                    if label in _button_labels(self._message_or_none(index))
                ),
                0,
            )
            if not number:
                raise KeyError(f"no message shown has a button {label!r}")
        message = self.numbered(number)
        result = await self.sandbox.press(self.member_id, message, label)
        # The message itself changed: at once (UPDATE_MESSAGE) or after an acknowledgement (a
        # pager works the page out afresh first: DEFERRED_UPDATE_MESSAGE, then an edit of @original).
        if result.record.response_type in (CallbackType.UPDATE_MESSAGE, CallbackType.DEFERRED_UPDATE_MESSAGE):
            current = self.sandbox.world.message(str(message["channel_id"]), str(message["id"]))
            self.show(current, private=bool(current["flags"] & EPHEMERAL), updated=True)
        self.show_result(result)

    def _message_or_none(self, index: int) -> Payload | None:
        channel_id, message_id = self.shown[index]
        return self.sandbox.world.messages.get(channel_id, {}).get(message_id)

    async def command(self, line: str) -> None:
        """Runs a slash command as typed, ``#place`` values turned into what the client sends; an
        option left empty lists its choices instead."""
        names, options = split_command_line(line)
        guild_id = self.sandbox.world.channel(self.channel_id)["guild_id"]
        _, schema, _ = find_command(self.sandbox.world, guild_id, names)
        by_name = {o["name"]: o for o in schema}
        focused = next((name for name, value in options.items() if value == ""), None)
        for name, value in options.items():
            option = by_name.get(name)
            if option is None or not value.startswith("#"):
                continue
            place = self.find_place(value[1:], missing_ok=option["type"] == STRING)
            if place is None:
                continue
            # What Discord's client inserts for a #channel picked in an option.
            options[name] = place["id"] if option["type"] == CHANNEL else f"<#{place['id']}>"
        if focused is not None:
            await self.suggest(names, options, focused, by_name.get(focused))
            return
        result = await self.sandbox.run_command(self.member_id, self.channel_id, names, options)
        self.show_result(result)

    async def suggest(
        self, names: list[str], options: dict[str, str], focused: str, option: Payload | None
    ) -> None:
        """The choices for an option left empty: the bot's suggestions, or the fixed ones."""
        given = {k: v for k, v in options.items() if k != focused}
        if option is not None and option.get("choices"):
            choices: list[Payload] = list(option["choices"])
        elif option is not None and option.get("autocomplete"):
            choices = await self.sandbox.autocomplete(
                self.member_id, self.channel_id, " ".join(names), options, focused
            )
        else:
            # Let the command itself say what is wrong (an unknown or required option).
            result = await self.sandbox.run_command(self.member_id, self.channel_id, names, given)
            self.show_result(result)
            return

        def chosen(value: object) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                result = await self.sandbox.run_command(
                    self.member_id, self.channel_id, names, given | {focused: value}
                )
                self.show_result(result)

            return run

        if not choices:
            self.refuse(f"no suggestions for {focused}")
            return
        self.offer(
            f"choices for {focused}:", [Choice(self.choice_label(c), chosen(c["value"])) for c in choices]
        )

    def choice_label(self, choice: Payload) -> str:
        """A choice as Discord shows it (its name), with the place its value names, if it names
        one: two postings of an article have threads of the same name."""
        label = str(choice["name"])
        place = self.sandbox.world.channels.get(str(choice["value"]))
        if place is not None and place["type"] in THREADS:
            label += self.paint(f"  (in #{self.sandbox.world.channel(place['parent_id'])['name']})", _DIM)
        return label

    def offer(self, title: str, choices: list[Choice]) -> None:
        """Shows numbered choices and keeps them for ``:N``."""
        self.pending = choices
        self.say(f"  {title} (pick one with :N)")
        for index, choice in enumerate(choices, 1):
            self.say(f"  {self.paint(f':{index}', _BOLD)} {self.readable(choice.label)}")

    async def pick(self, number: int) -> None:
        """Does choice ``number`` of the last list shown."""
        if not self.pending:
            raise KeyError("nothing to pick from: :N picks from the last list of choices shown")
        if not 1 <= number <= len(self.pending):
            raise KeyError(f"pick a number from 1 to {len(self.pending)}")
        choice, self.pending = self.pending[number - 1], []
        await choice.act()

    def show_result(self, result: CommandResult) -> None:
        """What a command or a button press showed only to the member (public messages arrive as events)."""
        if result.failed:
            self.refuse("The application did not respond")
        for message in result.messages:
            if message["flags"] & EPHEMERAL:
                self.show(message, private=True)

    def switch_channel(self, wanted: str) -> None:
        """Moves to the channel or thread named."""
        place = self.find_place(wanted)
        assert place is not None
        self.move_to_now(place)

    def mover(self, place: Payload) -> Callable[[], Awaitable[None]]:
        """The action of moving to ``place``, for a list of choices."""

        async def move() -> None:
            self.move_to_now(place)

        return move

    def move_to_now(self, place: Payload) -> None:
        """Moves to ``place``; a forum is refused, its posts are the places to talk."""
        if place["type"] == FORUM:
            posts = [t["name"] for t in self.sandbox.threads(place["id"])]
            raise KeyError(
                f"#{place['name']} is a forum: switch to one of its posts ({', '.join(posts) or 'none yet'})"
            )
        self.channel_id = place["id"]
        self.say(f"  → now in {self.place(self.channel_id)}", _DIM)

    def find_place(self, wanted: str, *, missing_ok: bool = False) -> Payload | None:
        """The channel or thread named (exactly, else by its start, else by a part of its name);
        ``parent › thread`` narrows to one channel's threads. Raises :class:`Ambiguous` when
        several fit equally."""
        world = self.sandbox.world
        places = sorted(
            (c for c in world.channels.values() if c["guild_id"] == self.seed.guild_id),
            key=lambda c: int(c["id"]),
        )
        name = wanted.strip()
        qualified = _QUALIFIED.fullmatch(name)
        if qualified and not any(c["name"].lower() == name.lower() for c in places):
            parent = self.find_place(qualified[1].lstrip("#"), missing_ok=missing_ok)
            if parent is None:
                return None
            places = [c for c in places if c.get("parent_id") == parent["id"]]
            name = qualified[2]
        lowered = name.lower()

        def starts(candidate: str) -> bool:
            # "§1" is the start of "§1/6 · …", not of "§10/12 · …".
            rest = candidate[len(lowered) :]
            return candidate.startswith(lowered) and not (lowered[-1:].isdigit() and rest[:1].isdigit())

        for test in (lambda n: n == lowered, starts, lambda n: lowered in n):
            found = [c for c in places if test(c["name"].lower())]
            if len(found) == 1:
                return found[0]
            if found:
                raise Ambiguous(name, found, [self.place(c["id"]) for c in found])
        if missing_ok:
            return None
        raise KeyError(f"no channel or thread matches {wanted!r}; ? lists them")

    def switch_member(self, wanted: str) -> None:
        """Speaks as another member of the server (never as the bot)."""
        user = self.sandbox.world.find_user(wanted)
        if user["id"] not in self.sandbox.world.members[self.seed.guild_id] or user["bot"]:
            raise KeyError(f"{wanted!r} is not a member you can be")
        self.member_id = user["id"]
        self.say(f"  → you are now @{user['username']}", _DIM)

    def list_places(self) -> None:
        """The server's channels and threads, and who can be spoken as."""
        world = self.sandbox.world
        for channel in sorted(world.channels.values(), key=lambda c: int(c["id"])):
            kind = "forum" if channel["type"] == FORUM else "thread" if channel["type"] in THREADS else "text"
            self.say(f"  {self.place(channel['id'])} ({kind})")
        for member_id in world.members[self.seed.guild_id]:
            user = world.user(member_id)
            if not user["bot"]:
                self.say(f"  @{user['username']}" + (" (you)" if member_id == self.member_id else ""))
        self.say(f"  @{world.user(world.bot_id)['username']} (the bot)")

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
            _DIM,
        )

    async def run(self, lines: AsyncIterator[str], *, echo: bool) -> None:
        """Lines from a script or a pipe, each echoed after the prompt it was typed at."""
        self.welcome()
        async for line in lines:
            stripped = line.strip()
            if echo and stripped and not (stripped == "#" or stripped.startswith("# ")):
                self.say(f"{self.prompt()}{stripped}")
            await self.handle(line)

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
        streams = _log_streams_to(cast(TextIO, above))
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
                    line = await session.prompt_async(lambda: ANSI(self.paint(self.prompt(), _BOLD)))
                except (EOFError, KeyboardInterrupt):
                    break
                lines.put_nowait(line)
        finally:
            lines.put_nowait(None)
            try:
                await worker
            finally:
                _restore(streams)
                await above.drain()


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


def _log_streams_to(stream: TextIO) -> _Streams:
    """Points the root logger's stream handlers at ``stream`` (a line logged while the member
    types goes above their line too); returns what to put back with :func:`_restore`."""
    changed: _Streams = []
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stderr, sys.stdout):
            changed.append((handler, handler.stream))
            handler.setStream(stream)
    return changed


def _restore(streams: _Streams) -> None:
    for handler, original in streams:
        handler.setStream(original)


def _button_labels(message: Payload | None) -> list[str]:
    if message is None:
        return []
    buttons = [c for row in message.get("components") or [] for c in row.get("components") or []]
    return [str(b.get("label") or b.get("custom_id")) for b in buttons]


def body_lines(message: Payload) -> list[str]:
    """A message's content, embeds and buttons as indented transcript lines."""
    lines = []
    for line in (message.get("content") or "").splitlines() or ([] if message.get("embeds") else [""]):
        lines += textwrap.wrap(line, 100, initial_indent="  ", subsequent_indent="  ") or ["  "]
    for embed in message.get("embeds") or []:
        for part in (embed.get("title"), embed.get("description")):
            for line in (part or "").splitlines():
                lines += textwrap.wrap(line, 96, initial_indent="  ┃ ", subsequent_indent="  ┃ ") or ["  ┃"]
        for embed_field in embed.get("fields") or []:
            lines.append(f"  ┃ {embed_field.get('name')}: {embed_field.get('value')}")
        footer = (embed.get("footer") or {}).get("text")
        if footer:
            lines.append(f"  ┃ {footer}")
    labels = _button_labels(message)
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
