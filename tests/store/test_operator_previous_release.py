"""A database made by the previous release (commit 1f70194, schema 8), opened by this one:
migrations 9 to 11 keep every article, fill what they add (the comments' search index), and the
re-import of the same file finds the article already there (its content hash filled on import)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store.migration import load_migrations
from tests.conftest import readalong as in_process

ROOT = Path(__file__).parents[2]
PREVIOUS = "1f70194"
SAMPLE = "bot/data/the-lessons-of-zhanaozen.txt"


def previous_release(into: Path) -> Path:
    """The previous release's code, from git (skipped where the history is not there)."""
    found = subprocess.run(
        ["git", "-C", str(ROOT), "cat-file", "-e", f"{PREVIOUS}^{{commit}}"], check=False, capture_output=True
    )
    if found.returncode != 0:
        pytest.skip(f"commit {PREVIOUS} (the previous release) is not in this checkout's history")
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", PREVIOUS], check=True, capture_output=True
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def readalong(code: Path, db: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``readalong --db DB ARGV`` as the release in ``code`` runs it: this release's in this
    process (:func:`tests.conftest.readalong`), another one in a process of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("READALONG_")}
    if code == ROOT:
        return in_process("--db", str(db), *argv, cwd=code, env=env)
    env["PYTHONPATH"] = str(code)
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *argv],
        cwd=code,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operator_a_previous_releases_database_is_upgraded_with_its_data(tmp_path: Path) -> None:
    old = previous_release(tmp_path / "old")
    db = tmp_path / "r.db"
    made = readalong(old, db, "import", str(old / SAMPLE))
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone() == (8,)
        before = c.execute("SELECT id, title, body FROM articles").fetchall()
        sections = c.execute("SELECT * FROM sections ORDER BY article_id, idx").fetchall()
    listed = readalong(ROOT, db, "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.startswith("the-lessons-of-zhanaozen\tThe Lessons of Zhanaozen\t6 sections")
    with sqlite3.connect(db) as c:
        assert c.execute("PRAGMA user_version").fetchone() == (len(load_migrations()),)
        assert c.execute("SELECT id, title, body FROM articles").fetchall() == before
        assert c.execute("SELECT * FROM sections ORDER BY article_id, idx").fetchall() == sections
        assert c.execute("SELECT count(*) FROM comments_fts").fetchone() == (2,)
    again = readalong(ROOT, db, "import", str(ROOT / SAMPLE))
    assert again.returncode == 0 and again.stdout.startswith("Already there:"), again.stdout
    assert readalong(ROOT, db, "list").stdout.count("\n") == 1
