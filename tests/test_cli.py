"""The `readalong` command end to end on real files and a real database."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from tests.conftest import readalong


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` and its bytes: the database's header and WAL included."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_import_then_show_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_path: Path) -> None:
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "the-lessons-of-zhanaozen"
    assert main(["--db", str(db), "show", "the-lessons-of-zhanaozen", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert list(shown) == [
        "id",
        "title",
        "author",
        "published",
        "declared_comments",
        "source",
        "sections",
        "author_bio",
        "comments",
        "url",
    ]
    assert shown["published"] == "2012-12-18" and shown["declared_comments"] == 2
    assert shown["comments"][1] == {
        "index": 2,
        "author": "Nathan Hamm",
        "posted": "2013-01-03T10:20:00",
        "text": shown["comments"][1]["text"],
        "quotes": [{"comment": 1, "text": shown["comments"][0]["text"].split("\n\n")[2]}],
    }
    assert main(["--db", str(db), "import", str(sample_path)]) == 0  # the same file: already there
    again = capsys.readouterr().out.splitlines()
    assert again[-1] == "the-lessons-of-zhanaozen" and again[0].startswith("Already there:")
    assert main(["--db", str(db), "list"]) == 0
    assert (
        "the-lessons-of-zhanaozen\tThe Lessons of Zhanaozen\t6 sections\t2 comments"
        in capsys.readouterr().out
    )


def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_path: Path
) -> None:
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "import", str(sample_path), "--id", "zh"]) == 0
    capsys.readouterr()
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "bin.dat").write_bytes(bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes("Título\n\ncafé".encode("latin-1"))
    (tmp_path / "other.txt").write_text("Another article\n\nWith other words in it.\n", encoding="utf-8")
    before = snapshot(tmp_path)
    cases = [
        (["import", str(tmp_path / "missing.txt")], "no such file"),
        (["import", str(tmp_path)], "is a directory"),
        (["import", str(tmp_path / "empty.txt")], "is empty"),
        (["import", str(tmp_path / "bin.dat")], "binary"),
        (["import", str(tmp_path / "latin1.txt")], "not UTF-8"),
        (["import", str(tmp_path / "other.txt"), "--id", "zh"], "already taken"),
        (["import", str(sample_path), "--id", "Bad Id!"], "invalid article id"),
        (["show", "nope"], "no article with id 'nope'"),
    ]
    for argv, message in cases:
        assert main(["--db", str(db), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err and "Traceback" not in err, (argv, err)
        assert snapshot(tmp_path) == before, argv


def test_show_without_a_database_creates_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", str(tmp_path / "none.db"), "show", "x"]) == 2
    assert "no database" in capsys.readouterr().err
    assert not (tmp_path / "none.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    assert main(["--db", str(tmp_path / "empty.db"), "list"]) == 2
    assert "no database" in capsys.readouterr().err
    assert (tmp_path / "empty.db").read_bytes() == b"" and len(list(tmp_path.iterdir())) == 1


def test_run_without_a_token_names_the_key(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "READALONG_DISCORD_URL")}
    result = readalong("run", cwd=tmp_path, env=env)  # the console script's main, in this process
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "DISCORD_TOKEN" in result.stderr
