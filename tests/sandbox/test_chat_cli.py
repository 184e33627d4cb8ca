"""``readalong sandbox`` as a new user runs it: a script doing all a member can, a quiet start, the
data kept where ``readalong ask``, ``export`` and ``archive search`` find it, ``--fresh``."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import quick_sandbox
from tests.conftest import readalong as in_process

pytestmark = pytest.mark.slow
"""Whole `readalong sandbox` runs, with Discord's own rate limits: queued first."""

ARTICLE = "the-lessons-of-zhanaozen"
LONG = "the commission's findings matter here. " * 40

SCRIPT = f"""\
# Everything a member can do, in one go. Lines like this one are comments.
/article post article:{ARTICLE} channel:#general
#§2
@ben
@Readalong what did the special public commission do?
>^ Thanks, that answers it.
A first thougth.
~^ A first thought.
A message to take back.
-^
Point 0: {LONG}
Point 1: {LONG}
Point 2: {LONG}
Point 3: {LONG}
/archive show thread:
:2
[Next]
[Previous]
/archive export article:{ARTICLE} format:
:1
"""


def readalong(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as a user types it (the CLI's ``main``, in this process: the terminal is not
    the point here): no Readalong or Discord settings in the environment (the tests' own HOME
    and XDG_DATA_HOME, set for every test, are kept)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_"))}
    environment.pop("NO_COLOR", None)
    return in_process(*args, cwd=cwd, env=environment)


def as_a_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, for what a process shows once (discord.py's start
    warnings)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_"))}
    environment.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=environment,
        check=False,
    )


def data_folder() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "readalong"


def test_a_script_mentions_replies_edits_deletes_pages_picks_and_saves_then_the_cli_reads_it(
    tmp_path: Path,
) -> None:
    script = tmp_path / "everything.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    with quick_sandbox():  # what a member can do is the point here, not the posting's pace
        done = readalong("sandbox", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert done.stderr == ""  # a quiet start: no migrations, no voice-library warnings
    assert "\x1b[" not in out  # no colour: standard output is not a terminal
    assert "Everything a member can do" not in out and "  ! " not in out  # comments skipped, no refusals

    # The mention was sent as a mention and answered in the thread, as a reply.
    assert "↪ replying to Ben: @Readalong what did the special public commissio" in out
    # The reply, the edit and the deletion went through, each with its message's number.
    assert re.search(r"@ben> >\^ Thanks, that answers it.\n  \(\d+\) sent\n", out), out[
        out.index("@ben> >") :
    ][:600]
    assert re.search(r"@ben> ~\^ A first thought.\n  \(\d+\) edited\n", out)
    assert re.search(r"@ben> -\^\n  \(\d+\) deleted\n", out)
    # The choices were listed, the second picked, and the pager's buttons turned its pages.
    assert ":2 §2/6 · For while criminal behaviour" in out
    transcript, next_page, previous_page = out.split("Transcript of #§2/6")[1:4]
    assert re.search(r"page 1/\d+\n  \[Previous\] \[Next\]", transcript)
    assert "(updated)" in next_page and "page 2/" in next_page
    assert "page 1/" in previous_page
    assert (
        next_page.split("-# page")[0] != transcript.split("-# page")[0] == previous_page.split("-# page")[0]
    )
    # The export was saved in the data folder, and the path printed.
    saved = Path(re.search(r"saved to (\S+)", out)[1])  # type: ignore[index]
    assert saved.parent == data_folder() / "sandbox-files"
    exported = saved.read_text(encoding="utf-8")
    assert "A first thought." in exported and "Thanks, that answers it." in exported
    assert f"The sandbox's data is in {data_folder()}" in out

    # Right after, from another folder, the CLI reads the sandbox's data with no flag.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    asked = readalong("ask", ARTICLE, "What did the special public commission do?", cwd=elsewhere)
    assert asked.returncode == 0, asked.stderr
    assert "three-month" in asked.stdout
    found = readalong("archive", "search", "answers", cwd=elsewhere)
    assert found.returncode == 0, found.stderr
    assert "Thanks, that answers it." in found.stdout and "Ben" in found.stdout
    export = readalong("export", ARTICLE, cwd=elsewhere)
    assert export.returncode == 0, export.stderr
    assert "A first thought." in export.stdout and "Point 3" in export.stdout
    assert not list(elsewhere.iterdir()) and not list(tmp_path.glob("*.db"))


def test_the_next_run_finds_the_same_server_and_database(tmp_path: Path) -> None:
    first = tmp_path / "first.txt"
    first.write_text(f"/article post article:{ARTICLE} channel:#reading-room\n", encoding="utf-8")
    assert readalong("sandbox", "--script", str(first), cwd=tmp_path).returncode == 0
    second = tmp_path / "second.txt"
    second.write_text("#§1\nStill here.\n", encoding="utf-8")
    done = readalong("sandbox", "--script", str(second), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "→ now in #reading-room › §1/6" in done.stdout  # the server's threads were kept
    assert re.search(r"\(\d+\) sent", done.stdout)
    found = readalong("archive", "search", "Still here", cwd=tmp_path)  # so was the database
    assert found.returncode == 0, found.stderr
    assert f"[{ARTICLE} §1]" in found.stdout


def test_fresh_runs_in_a_folder_deleted_after(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("/about\n", encoding="utf-8")
    done = readalong("sandbox", "--fresh", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    temporary = Path(re.search(r"The sandbox's data was in (\S+), deleted now", done.stdout)[1])  # type: ignore[index]
    assert not temporary.exists()
    assert not data_folder().exists()
    listed = readalong("list", cwd=tmp_path)
    assert listed.returncode == 2
    assert f"no database at {data_folder() / 'readalong.db'}" in listed.stderr


def test_verbose_shows_the_startup_logs(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("# nothing to do\n", encoding="utf-8")
    done = as_a_process("sandbox", "--fresh", "--verbose", "--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "applying migration 0001_articles" in done.stderr
    assert "PyNaCl is not installed" in done.stderr


def test_fresh_and_data_do_not_go_together(tmp_path: Path) -> None:
    done = readalong("sandbox", "--fresh", "--data", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "not allowed with argument" in done.stderr


def test_data_names_another_folder_and_says_how_to_read_it(tmp_path: Path) -> None:
    script = tmp_path / "s.txt"
    script.write_text("hello\n", encoding="utf-8")
    folder = tmp_path / "mine"
    done = readalong("sandbox", "--data", str(folder), "--script", str(script), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (folder / "readalong.db").is_file() and (folder / "sandbox-world.json").is_file()
    assert f"readalong --db {folder / 'readalong.db'} … reads it." in done.stdout
    assert not data_folder().exists()


@pytest.mark.parametrize("no_color", [False, True])
def test_at_a_terminal_the_chat_prompts_in_colour_unless_no_color(tmp_path: Path, no_color: bool) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_"))}
    environment.pop("NO_COLOR", None)
    environment |= {"TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"} | ({"NO_COLOR": "1"} if no_color else {})
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--fresh"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=tmp_path,
        env=environment,
        close_fds=True,
    )
    os.close(follower)
    screen = b""

    def read_until(wanted: bytes, *, after: bytes = b"", within: float = 120) -> None:
        """Reads until ``wanted`` is on the screen (after ``after``, if given)."""
        nonlocal screen
        deadline = time.monotonic() + within

        def seen() -> bool:
            start = screen.find(after) if after else 0
            return start >= 0 and wanted in screen[start + len(after) :]

        while not seen():
            assert time.monotonic() < deadline, screen.decode(errors="replace")
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    screen += os.read(leader, 65536)
                except OSError:  # the other end closed
                    break

    try:
        read_until(b"@ada>")
        os.write(leader, b"/about\r")
        # The answer, then the prompt drawn again below it: the terminal is back in the prompt's
        # raw mode (while printing, prompt_toolkit puts it in cooked mode, where Ctrl-D is the
        # terminal's end of input rather than a key).
        read_until(b"@ada>", after=b"Articles stored: 1.")
        os.write(leader, b"\x04")
        read_until(b"deleted now (--fresh)")
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(leader)
    text = screen.decode(errors="replace")
    assert "applying migration" not in text and "PyNaCl" not in text  # a quiet start
    colours = re.findall(r"\x1b\[[0-9;]*3[0-9](?:;[0-9]+)*m", text)
    assert bool(colours) is not no_color, colours
