"""``readalong run --shards 0-3 --shard-count 8`` and READALONG_SHARDS / READALONG_SHARD_COUNT:
bad values are one line, exit 2, and nothing is touched (no database made, nothing connected)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.shards import ShardSet
from bot.errors import SettingsError
from bot.settings import Settings
from tests.cli.test_one_bot import holder


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--shards", "0-9", "--shard-count", "8"],
            "--shards 0-9 --shard-count 8: shard 9 does not exist with a shard count of 8"
            " (shards are numbered 0 to 7)",
        ),
        (
            ["--shards", "0-3"],
            "--shards needs --shard-count: the total number of shards across all processes",
        ),
        (
            ["--shards", "0..3", "--shard-count", "8"],
            "--shards 0..3 --shard-count 8: '0..3' is not a list of shards",
        ),
        (["--shards", "3-1", "--shard-count", "8"], "the shard range '3-1' runs backwards: write 1-3"),
        (["--shard-count", "eight"], "--shard-count must be a whole number, not 'eight'"),
        (["--shard-count", "0"], "--shard-count 0: the shard count must be between 1 and 100000, not 0"),
    ],
)
def test_bad_shard_flags_are_one_line_and_touch_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    flags: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
    monkeypatch.setenv("READALONG_DISCORD_URL", "http://127.0.0.1:9")  # nothing listens there
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "run", *flags]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("readalong: error: ") and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_the_settings_read_the_same_keys() -> None:
    assert Settings.from_mapping({}).shards == ShardSet()
    chosen = Settings.from_mapping({"READALONG_SHARDS": "2-3", "READALONG_SHARD_COUNT": "4"}).shards
    assert chosen == ShardSet(frozenset({2, 3}), 4) and chosen.describe() == "shards 2-3 of 4"
    every = Settings.from_mapping({"READALONG_SHARD_COUNT": "4"}).shards
    assert every.shard_ids == [0, 1, 2, 3]
    with pytest.raises(SettingsError, match=r"^READALONG_SHARDS needs READALONG_SHARD_COUNT: "):
        Settings.from_mapping({"READALONG_SHARDS": "0"})
    with pytest.raises(
        SettingsError, match=r"^READALONG_SHARDS 4 READALONG_SHARD_COUNT 4: shard 4 does not exist"
    ):
        Settings.from_mapping({"READALONG_SHARDS": "4", "READALONG_SHARD_COUNT": "4"})
    assert Settings.from_mapping({"READALONG_SHARD_COUNT": "4"}).warnings() == []


def test_a_second_process_for_other_shards_is_refused_on_sqlite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shards split across processes need a shared database; SQLite's lock keeps one bot a file,
    so a process for shard 1 beside the one holding the file is refused before connecting."""
    db = tmp_path / "r.db"
    process = holder(db)  # as `readalong run --shards 0 --shard-count 2` holds it
    try:
        monkeypatch.setenv("DISCORD_TOKEN", "not-a-real-token")
        monkeypatch.setenv("READALONG_DISCORD_URL", "http://127.0.0.1:9")  # nothing listens there
        assert main(["--db", str(db), "run", "--shards", "1", "--shard-count", "2"]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"in use by another Readalong bot (pid {process.pid} on" in err, err
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
