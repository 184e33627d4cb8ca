"""``readalong ask`` prints for a terminal (issue 22, finding 5): plain text by default, with no
Discord markup (``-# …``, ``**…**``, masked links); Discord's Markdown with ``--format markdown``;
one JSON object per question with ``--format json`` or ``--json``, as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import readalong

ID = "the-lessons-of-zhanaozen"
FOUND, NOT_FOUND = "Who was prosecuted?", "What colour is the moon?"


@pytest.fixture
def imported(tmp_path: Path, sample_path: Path) -> Path:
    db = tmp_path / "r.db"
    assert readalong("--db", str(db), "import", str(sample_path), cwd=tmp_path).returncode == 0
    return db


def _ask(db: Path, *more: str) -> str:
    done = readalong("--db", str(db), "ask", ID, *more, cwd=db.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plain_text_by_default_markdown_when_asked(imported: Path) -> None:
    plain = _ask(imported, FOUND) + _ask(imported, NOT_FOUND)
    assert "> But prosecutions were also brought" in plain and "\n  — §2\n" in plain
    assert "Not found in the article." in plain
    assert "-#" not in plain and "**" not in plain and "](" not in plain
    markdown = _ask(imported, FOUND, "--format", "markdown")
    assert "\n-# — §2" in markdown and "> But prosecutions were also brought" in markdown
    assert "**Not found in the article.**" in _ask(imported, NOT_FOUND, "--format", "markdown")


def test_json_either_way_and_a_clash_refused_in_one_line(imported: Path) -> None:
    first, second = _ask(imported, FOUND, "--json"), _ask(imported, FOUND, "--format", "json")
    assert json.loads(first)["quotes"] == json.loads(second)["quotes"]
    assert json.loads(first)["answer"] == _ask(imported, FOUND).split("\n", 1)[1].rstrip("\n")
    refused = readalong(
        "--db", str(imported), "ask", ID, FOUND, "--json", "--format", "plain", cwd=imported.parent
    )
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "--json" in refused.stderr
