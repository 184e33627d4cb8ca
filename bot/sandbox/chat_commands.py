"""What the terminal chat does with a line typed (the grammar in :mod:`bot.sandbox.chat`'s
docstring and :data:`HELP`): messages, replies, edits, deletions, button presses, slash commands
with their choices, moving between channels and members. What it draws is
:mod:`bot.sandbox.chat_screen`'s.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.sandbox.chat_screen import BOLD, DIM, ChatScreen, button_labels
from bot.sandbox.commands import (
    CHANNEL,
    STRING,
    CommandRejected,
    find_command,
    split_command_line,
)
from bot.sandbox.protocol import CallbackType
from bot.sandbox.server import CommandResult, Seed
from bot.sandbox.state import EPHEMERAL, FORUM, THREADS, ApiError, Payload

HELP = """\
Type a message to post it; @name in it mentions someone (@Readalong … asks the bot).
Messages are numbered (3): >3 text replies · 3[Next] presses its button · ~3 text edits your message · -3 deletes it
(^ instead of a number: the newest here by someone else, or your newest here).
/command option:value … runs a slash command (/help lists them); end with an empty
option (/archive show thread:) to see its choices, then :2 picks the second; #§1 names a thread there.
+PATH text sends a message with that file attached (+photo.png Look at this) · # text is a comment
#name switches channel or thread (#general › §1 when two match) · @name switches member
· ? lists this, the channels and members · files the bot sends are saved, their path shown · Ctrl-D leaves."""

_MENTION = re.compile(r"(?<![\w<@])@([\w.-]+)")
_REPLY = re.compile(r">(\d+|\^)\s+(.+)", re.DOTALL)
_EDIT = re.compile(r"~(\d+|\^)\s+(.+)", re.DOTALL)
_DELETE = re.compile(r"-(\d+|\^)")
_PRESS = re.compile(r"(\d*)\[([^\]]+)\]")
_PICK = re.compile(r":(\d+)")
_ATTACH = re.compile(r"\+(\S+)(?:\s+(.*))?", re.DOTALL)
_EXTENSION = re.compile(r"\w\.[A-Za-z]\w*$")
_QUALIFIED = re.compile(r"(.+?)\s*(?:›|>)\s*(.+)")


class Ambiguous(KeyError):
    """A name that fits several places: the chat asks which (a script gets one line).

    ``then`` is what picking one does: by default the chat moves there (``#§1`` typed alone), but a
    name given in a command's option sets it to run that command with the place picked, so ``:2``
    completes what was asked instead of changing the channel under it."""

    def __init__(self, wanted: str, places: list[Payload], labels: list[str]) -> None:
        super().__init__(
            f"#{wanted} could be {len(places)} places: {'; '.join(labels)}; name one with #channel › thread"
        )
        self.wanted = wanted
        self.places = places
        self.labels = labels
        self.then: Callable[[Payload], Awaitable[None]] | None = None


@dataclass
class Choice:
    """One of a list the chat offers (``:N`` picks it): what is shown, and what picking it does."""

    label: str
    act: Callable[[], Awaitable[None]]


def _names_a_file(word: str) -> bool:
    """Whether ``+word`` attaches a file: a file is there, or ``word`` is written as a path (a
    ``/`` or an extension), so a typo is refused rather than said; ``+1 agreed`` is a message."""
    return "/" in word or bool(_EXTENSION.search(word)) or Path(word).expanduser().is_file()


def _bound(action: Callable[[Payload], Awaitable[None]], place: Payload) -> Callable[[], Awaitable[None]]:
    """``action`` with ``place`` given: a choice's act."""

    async def act() -> None:
        await action(place)

    return act


class ChatCommands(ChatScreen):
    """The chat's input half: each line typed turned into what a Discord member's client would do
    (the fields are :class:`~bot.sandbox.chat.Chat`'s)."""

    seed: Seed
    member_id: str
    channel_id: str
    settle_seconds: float
    interactive: bool
    pending: list[Choice]

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
                then = question.then
                self.offer(
                    f"#{question.wanted} could be any of these:",
                    [
                        Choice(label, self.mover(place) if then is None else _bound(then, place))
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
            self.say(f"  ({number}) edited", DIM)
        elif match := _DELETE.fullmatch(line):
            number = self.resolve(match[1], yours=True)
            self.sandbox.delete(self.member_id, self.numbered(number))
            self.say(f"  ({number}) deleted", DIM)
        elif match := _PRESS.fullmatch(line):
            await self.press(int(match[1]) if match[1] else None, match[2].strip())
        elif line.startswith("#"):
            self.switch_channel(line[1:])
        elif line.startswith("@") and " " not in line:
            self.switch_member(line[1:])
        elif (match := _ATTACH.fullmatch(line)) and _names_a_file(match[1]):
            self.attach(match[1], match[2] or "")
        else:
            self.post(line)

    def attach(self, path: str, text: str) -> None:
        """A message with the file at ``path`` attached (as dropped on Discord's message box) and
        ``text``, if any, as its words; a path that is no file is refused, nothing sent."""
        file = Path(path).expanduser()
        if not file.is_file():
            raise KeyError(f"+{path}: no such file to attach (+PATH [text] sends a file; ? lists the rest)")
        sent = self.sandbox.send(
            self.member_id, self.channel_id, self.with_mentions(text), files=[(file.name, file.read_bytes())]
        )
        self.say(f"  ({self.number(sent)}) sent with {file.name}", DIM)

    def post(self, text: str, *, reply_to: Payload | None = None) -> None:
        """A message in the current channel, or a reply in the replied message's channel."""
        channel_id = self.channel_id
        if reply_to is not None:
            if reply_to["flags"] & EPHEMERAL:
                raise KeyError("a message only you can see cannot be replied to")
            channel_id = str(reply_to["channel_id"])
        sent = self.sandbox.send(self.member_id, channel_id, self.with_mentions(text), reply_to=reply_to)
        where = "" if channel_id == self.channel_id else f" in {self.place(channel_id)}"
        self.say(f"  ({self.number(sent)}) sent{where}", DIM)

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
                    if label in button_labels(self._message_or_none(index))
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
        await self.complete(names, options, {})

    async def complete(self, names: list[str], options: dict[str, str], picked: dict[str, Payload]) -> None:
        """:meth:`command` once the line is split; ``picked`` holds the places already chosen from a
        list for options whose ``#name`` fits several, so a second ambiguous option asks in turn."""
        options = dict(options)
        guild_id = self.sandbox.world.channel(self.channel_id)["guild_id"]
        _, schema, _ = find_command(self.sandbox.world, guild_id, names)
        by_name = {o["name"]: o for o in schema}
        focused = next((name for name, value in options.items() if value == ""), None)
        for name, value in options.items():
            option = by_name.get(name)
            if option is None or not value.startswith("#"):
                continue
            try:
                place = picked.get(name) or self.find_place(value[1:], missing_ok=option["type"] == STRING)
            except Ambiguous as question:
                question.then = self.completer(names, options, picked, name)
                raise
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
            label += self.paint(f"  (in #{self.sandbox.world.channel(place['parent_id'])['name']})", DIM)
        return label

    def offer(self, title: str, choices: list[Choice]) -> None:
        """Shows numbered choices and keeps them for ``:N``."""
        self.pending = choices
        self.say(f"  {title} (pick one with :N)")
        for index, choice in enumerate(choices, 1):
            self.say(f"  {self.paint(f':{index}', BOLD)} {self.readable(choice.label)}")

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

    def completer(
        self, names: list[str], options: dict[str, str], picked: dict[str, Payload], option: str
    ) -> Callable[[Payload], Awaitable[None]]:
        """The action of running the command typed with ``option`` naming the place picked."""

        async def run(place: Payload) -> None:
            await self.complete(names, options, picked | {option: place})

        return run

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
        self.say(f"  → now in {self.place(self.channel_id)}", DIM)

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
        self.say(f"  → you are now @{user['username']}", DIM)

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
