"""Every suggestion works (issue 22): each runnable block of the README and ``docs/`` runs exactly
as written, in page order, and none fails. ``chat`` blocks are lines of the sandbox's chat, run as
``readalong sandbox --script`` runs a file; ``sh`` blocks are ``.venv/bin/readalong …`` commands,
run through the CLI's ``main`` in this process. (``console`` blocks are shown, not run: they install
things, or need Discord, PostgreSQL or minutes.) All share one data folder, as a newcomer's
commands do: the README's tour comes first, and the other pages' examples follow it."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import quick_sandbox, readalong
from tests.docs.markdown import PAGES, ROOT, Block, blocks

pytestmark = pytest.mark.slow
"""Whole sandbox sessions, one after another. They are held to Discord's rate limits in their shape
with a twentieth of the windows (``tests.conftest.quick_sandbox``): the point is that every block
works as written, not the pace (the sandbox's rate limits have tests of their own, in
``tests/sandbox/test_rest.py``)."""

RUNNABLE = ("sh", "chat")
VENV_COMMAND = ".venv/bin/readalong"


def runnable() -> list[Block]:
    """The runnable blocks, README first."""
    return [block for page in PAGES for block in blocks(page) if block.tag in RUNNABLE]


def commands(block: Block) -> Iterator[list[str]]:
    """The ``readalong`` arguments of each line of an ``sh`` block (comments and blank lines left)."""
    for line in block.text.splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        assert words[0] == VENV_COMMAND, f"{block.where}: {line!r} is not a {VENV_COMMAND} command"
        yield words[1:]


def run(block: Block, folder: Path) -> list[subprocess.CompletedProcess[str]]:
    """Runs ``block`` in ``folder`` as a reader would, one result per command."""
    if block.tag == "chat":
        script = folder / f"{block.page.stem}-{block.line}.chat"
        script.write_text(block.text, encoding="utf-8")
        with quick_sandbox():
            return [readalong("sandbox", "--script", str(script), cwd=folder)]
    return [readalong(*arguments, cwd=folder) for arguments in commands(block)]


def failures(done: subprocess.CompletedProcess[str]) -> list[str]:
    """Why a command's run is a failure: its status, an error the bot or the chat showed, or a
    search that found nothing (a suggested search is there to find something)."""
    why = []
    if done.returncode != 0:
        why.append(f"exit {done.returncode}: {done.stderr.strip()}")
    for sign in ("Something went wrong", "The application did not respond", "Traceback"):
        if sign in done.stdout or sign in done.stderr:
            why.append(f"shows {sign!r}")
    if done.args[:2] == ["archive", "search"] and not done.stdout.strip():
        why.append("found nothing")
    return why


@pytest.mark.slow(seconds=4)
def test_every_runnable_block_runs_as_written_and_the_readmes_search_finds_its_chat(tmp_path: Path) -> None:
    found = runnable()
    tour, shell = (b for b in found if b.page.name == "README.md")
    assert (tour.tag, shell.tag) == ("chat", "sh")  # the tour, then the shell
    # Where a reader stands: the repository (a chat line may attach docs/images/…), but what the
    # commands write (-o FILE) goes to a folder of the test's.
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    problems, searched = [], {}
    for block in found:
        for done in run(block, tmp_path):
            problems += [f"{block.where}: {' '.join(done.args)}: {why}" for why in failures(done)]
            if block is shell and done.args[:2] == ["archive", "search"]:
                searched[done.args[2]] = done.stdout
    assert problems == []

    # The README's own example: after the chat it suggests, `readalong archive search police`
    # finds what Ben said there (it found nothing when the chat said nothing of the police).
    said = next(line for line in tour.text.splitlines() if "police" in line).removeprefix(">^ ")
    assert "Ben" in searched["police"] and said in searched["police"]


@pytest.mark.slow(seconds=1)
def test_a_failing_suggestion_is_seen(tmp_path: Path) -> None:
    # The check sees what it looks for: a command that fails, a chat line refused, a search finding nothing.
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\n.venv/bin/readalong show no-such-article\n.venv/bin/readalong archive search zebra\n```\n\n"
        "```chat\n#no-such-channel\n```\n",
        encoding="utf-8",
    )
    shell, chat = blocks(page)
    results = [*run(shell, tmp_path), *run(chat, tmp_path)]
    assert [bool(failures(done)) for done in results] == [True, True, True]
    assert "line 1: #no-such-channel" in results[2].stderr
    with pytest.raises(AssertionError, match=r"is not a \.venv/bin/readalong command"):
        list(commands(Block(page, 1, "sh", "readalong list\n")))
