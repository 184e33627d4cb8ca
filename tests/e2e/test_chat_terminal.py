"""The chat at a terminal: what a member sees on the screen while typing. prompt_toolkit reads
keys from a pipe and draws to a VT100 output whose bytes a terminal emulator (pyte) turns into
the screen a person would see."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyte
from prompt_toolkit.application import create_app_session
from prompt_toolkit.data_structures import Size
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output.vt100 import Vt100_Output

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.chat import Chat

COLUMNS, ROWS = 120, 40


class Terminal:
    """What the chat writes, fed to a terminal emulator."""

    encoding = "utf-8"

    def __init__(self) -> None:
        self.screen = pyte.Screen(COLUMNS, ROWS)
        self.stream = pyte.Stream(self.screen)
        self.raw: list[str] = []
        self.changed = asyncio.Event()

    def write(self, data: str) -> int:
        self.raw.append(data)
        # The terminal driver's ONLCR (prompt_toolkit's raw mode leaves output processing on).
        self.stream.feed(data.replace("\r\n", "\n").replace("\n", "\r\n"))
        self.changed.set()  # written from the event loop's thread, like everything prompt_toolkit draws
        return len(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    def rows(self) -> list[str]:
        return [row.rstrip() for row in self.screen.display]

    async def shows(self, found: Callable[[list[str]], bool], within: float = 10.0) -> list[str]:
        try:
            async with asyncio.timeout(within):
                while not found(self.rows()):
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError("not on the screen:\n" + "\n".join(self.rows())) from None
        return self.rows()


@contextmanager
def terminal() -> Iterator[tuple[PipeInput, Terminal]]:
    screen = Terminal()
    output = Vt100_Output(screen, lambda: Size(rows=ROWS, columns=COLUMNS), term="xterm", enable_cpr=False)  # type: ignore[arg-type]
    with create_pipe_input() as keys, create_app_session(input=keys, output=output):
        yield keys, screen


async def test_a_message_arriving_while_typing_never_splits_the_line(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, tmp_path: Path
) -> None:
    with terminal() as (keys, screen):
        chat = Chat(sandbox, seed, io.StringIO(), color=True, settle_seconds=0.1)
        history = tmp_path / "history"
        session = asyncio.create_task(chat.interact(history))
        await screen.shows(lambda rows: "#general @ada>" in rows)
        keys.send_text("Half a thou")
        await screen.shows(lambda rows: "#general @ada> Half a thou" in rows)

        sandbox.send("ben", "general", "A message from Ben, arriving while Ada types.")
        rows = await screen.shows(
            lambda rows: any("A message from Ben, arriving while Ada types." in row for row in rows)
        )
        await asyncio.sleep(0.3)  # let prompt_toolkit draw the line again
        rows = screen.rows()
        message = next(i for i, row in enumerate(rows) if "A message from Ben, arriving" in row)
        assert "#general @ada> Half a thou" in rows, "\n".join(rows)
        prompt = rows.index("#general @ada> Half a thou")
        assert prompt > message  # the line being typed is drawn again, whole, under the message
        assert rows[message] == "  A message from Ben, arriving while Ada types."
        assert sum("Half a thou" in row for row in rows) == 1

        keys.send_text("ght.\r")
        await sandbox.wait_until(
            lambda: any(m["content"] == "Half a thought." for m in sandbox.messages("general"))
        )
        keys.send_text("\x1b[A")  # up arrow: the history brings the line back
        await screen.shows(lambda rows: any(row.endswith("@ada> Half a thought.") for row in rows))
        keys.send_text("\x15")  # Ctrl-U clears it
        keys.send_text("\x04")  # Ctrl-D on an empty line leaves
        await asyncio.wait_for(session, 10)
    assert "Half a thought." in history.read_text(encoding="utf-8")
    assert "\x1b[" in "".join(screen.raw)  # colour and cursor movement: this is a terminal
