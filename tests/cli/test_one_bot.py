"""One bot process per database: a second bot (in the same process or another, `readalong run`
or `readalong sandbox`) is refused in one line naming the holder; the lock dies with its holder,
SIGKILL included; reading commands keep working beside a running bot."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.discord import client
from bot.errors import DatabaseInUseError
from bot.sandbox import Sandbox
from bot.sandbox.harness import running_bot, sandbox_settings
from bot.settings import Settings
from tests.conftest import readalong
from tests.e2e.conftest import QUICK_IDENTIFY_WINDOW

ROOT = Path(__file__).parents[2]

HOLD = """
import asyncio, sys
from pathlib import Path
from bot.store import Store

async def hold() -> None:
    store = Store(Path(sys.argv[1]))
    await store.open(exclusive=True)
    print("holding", flush=True)
    await asyncio.Event().wait()

asyncio.run(hold())
"""


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def holder(db: Path) -> subprocess.Popen[str]:
    """Another process holding the database as a bot does."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline() == "holding\n"
    return process


async def test_a_second_bot_in_the_same_process_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The third bot identifies again at once: Discord's 5 s between IDENTIFYs, kept by both
    # sides, shortened as the end-to-end tests shorten it (the window is not the point here).
    monkeypatch.setattr(client, "IDENTIFY_WINDOW", QUICK_IDENTIFY_WINDOW)
    async with Sandbox() as sandbox:
        sandbox.gateway.identify_window = QUICK_IDENTIFY_WINDOW
        seed = sandbox.seed()
        settings = sandbox_settings(Settings(db_path=tmp_path / "r.db"), sandbox, seed.guild_id)
        async with running_bot(settings):
            with pytest.raises(DatabaseInUseError) as refused:
                async with running_bot(settings):
                    pass
            message = str(refused.value)
            assert "\n" not in message and f"pid {os.getpid()} on {socket.gethostname()}" in message
        async with running_bot(settings):  # the first one stopped: the lock went with it
            pass


def test_run_beside_a_bot_in_another_process_is_refused_and_reads_still_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sample_path: Path
) -> None:
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    capsys.readouterr()
    process = holder(db)
    try:
        # Nothing listens on port 9: a bot that got past the lock would fail differently.
        monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
        monkeypatch.setenv("READALONG_DISCORD_URL", "http://127.0.0.1:9")
        before = snapshot(tmp_path)
        assert main(["--db", str(db), "run"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"in use by another Readalong bot (pid {process.pid} on" in err, err
        assert "`readalong " in err and "since 20" in err
        assert snapshot(tmp_path) == before
        # Reading commands work beside it (WAL), and so does a write that waits its turn.
        assert main(["--db", str(db), "list"]) == 0
        assert "the-lessons-of-zhanaozen" in capsys.readouterr().out
        assert main(["--db", str(db), "ask", "the-lessons-of-zhanaozen", "Where is Zhanaozen?"]) == 0
        assert "Q: Where is Zhanaozen?" in capsys.readouterr().out
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # SIGKILL released it: the kernel drops an flock with its process.
    process = holder(db)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_a_second_sandbox_on_the_same_data_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    script = tmp_path / "script.txt"
    script.write_text("")
    process = holder(data / "readalong.db")
    try:
        # The CLI's main in this process and thread: the holder's process is the point, not this one.
        result = readalong("sandbox", "--data", str(data), "--script", str(script), cwd=ROOT)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and f"(pid {process.pid} on" in result.stderr, result.stderr
