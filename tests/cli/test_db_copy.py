"""``readalong db copy`` as an operator runs it: SQLite to PostgreSQL and back, and a refusal (one
line, exit 2, the target untouched), through the CLI's ``main``; its help and usage errors from
the installed command in a process of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.domain.database import PostgresUrl
from bot.store.copy_rows import TABLES
from tests.conftest import readalong

READALONG = Path(sys.executable).parent / "readalong"
PASSWORD = "s3cret-not-shown"


def installed(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The ``readalong`` console script, in a process of its own."""
    return subprocess.run(
        [str(READALONG), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def with_password(url: PostgresUrl) -> str:
    """The test server's URL with a password in it (trust authentication ignores it), to check
    that it is never shown."""
    parts = urlsplit(url.reveal())
    if parts.password is not None or not parts.username:
        return url.reveal()
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{PASSWORD}@{host}"))


def test_a_round_trip_through_postgresql_and_a_refusal(
    tmp_path: Path, postgres_url: PostgresUrl, sample_path: Path
) -> None:
    imported = readalong("--db", "a.db", "import", str(sample_path), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    article_id = imported.stdout.splitlines()[-1]
    url = with_password(postgres_url)

    there = readalong("db", "copy", "--from", "a.db", "--to", url, cwd=tmp_path)
    assert there.returncode == 0, there.stderr
    lines = there.stdout.splitlines()
    assert lines[0].startswith(f"Copied a.db to {PostgresUrl(url).shown} in "), lines[0]
    rows = dict(line.split() for line in lines[1 : 1 + len(TABLES)])
    assert list(rows) == [t.name for t in TABLES]
    assert rows["articles"] == "1" and int(rows["passages"]) > 0 and rows["messages"] == "0"
    assert lines[1 + len(TABLES)].split()[:1] == ["total"]
    assert lines[-1] == "verified: counts and checksums match"
    assert PASSWORD not in there.stdout + there.stderr

    back = readalong("db", "copy", "--from", url, "--to", "sqlite:///b.db", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert back.stdout.splitlines()[1:] == lines[1:]
    assert PASSWORD not in back.stdout + back.stderr

    for command in (["list"], ["show", article_id], ["ask", article_id, "How many people died?"]):
        first = readalong("--db", "a.db", *command, cwd=tmp_path)
        second = readalong("--db", "b.db", *command, cwd=tmp_path)
        assert first.returncode == second.returncode == 0, first.stderr + second.stderr
        assert first.stdout and first.stdout == second.stdout

    before = (tmp_path / "b.db").read_bytes()
    refused = readalong("db", "copy", "--from", url, "--to", "b.db", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert refused.stderr.startswith("readalong: error: b.db already holds a Readalong library (articles 1,")
    assert "move this one away first" in refused.stderr
    assert (tmp_path / "b.db").read_bytes() == before


def test_the_command_explains_itself_and_requires_both_ends(tmp_path: Path) -> None:
    shown = installed("db", "copy", "--help", cwd=tmp_path)
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "--from PATH_OR_URL the database to copy" in text
    assert "--to PATH_OR_URL where to copy it" in text
    assert "verify it by row counts and checksums" in text
    # The refusals need no process of their own: the console script's main, in this one.
    missing = readalong("db", "copy", "--from", "a.db", cwd=tmp_path)
    assert missing.returncode == 2 and "the following arguments are required: --to" in missing.stderr
    nowhere = readalong("db", "copy", "--from", "a.db", "--to", "b.db", cwd=tmp_path)
    assert nowhere.returncode == 2
    assert nowhere.stderr == "readalong: error: no database at a.db to copy\n"
    assert list(tmp_path.iterdir()) == []
