"""What the CLI refuses, in one line, exit 2, the files exactly as they were: a read-only, locked
or damaged database, a folder given as --db, an unwritable export path, special files, bad
bytes in questions. Each test compares file bytes and the folder's listing before and after.

Read-only is real, not simulated: these tests run as root here, and root ignores file modes, so
the commands run with the effective user switched to ``nobody`` (``os.seteuid``), for whom the
kernel enforces them. A non-root run needs no switch.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import pwd
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.errors import ReadOnlyDatabaseError
from bot.store import Store, describe_database_error, is_read_only_error
from tests.conftest import readalong

ROOT = Path(__file__).parents[2]
ID = "the-lessons-of-zhanaozen"
for _codec in ("utf-16", "utf-16-le", "utf-16-be", "utf-8-sig"):
    # Loaded now: as ``nobody`` the interpreter's own files under /root cannot be read, and the
    # codec registry would remember the failed lookup for the rest of the run.
    "".encode(_codec)
# Loaded now too: what the commands import only when they need it (the log's formatter imports
# discord.py at the first line written, ``readalong run`` the bot), which as ``nobody`` could not
# read the interpreter's own modules (pkgutil, gzip).
for _module in ("discord.utils", "bot.discord.client"):
    importlib.import_module(_module)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def one_line(err: str, *needles: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and all(n in err for n in needles)


@contextlib.contextmanager
def unprivileged() -> Iterator[None]:
    """Run as ``nobody`` so file modes apply (root would write a 0444 file all the same)."""
    if os.geteuid() != 0:
        yield
        return
    nobody = pwd.getpwnam("nobody")
    os.setegid(nobody.pw_gid)
    os.seteuid(nobody.pw_uid)
    try:
        yield
    finally:
        os.seteuid(0)
        os.setegid(0)


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder ``nobody`` can enter and read but not write (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="readalong-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str], sample_path: Path) -> Path:
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    capsys.readouterr()
    return db


def test_a_read_only_database_answers_but_does_not_write(
    shared_folder: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sample_path: Path,
) -> None:
    db = shared_folder / "r.db"
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    db.chmod(0o444)
    capsys.readouterr()
    before = snapshot(shared_folder)
    with unprivileged():
        assert not os.access(db, os.W_OK, effective_ids=True)
        assert main(["--db", str(db), "list"]) == 0
        assert ID in capsys.readouterr().out
        assert main(["--db", str(db), "show", ID]) == 0
        assert "The Lessons of Zhanaozen" in capsys.readouterr().out
        monkeypatch.setattr(sys, "stdin", io.StringIO("Where is Zhanaozen?\nWho wrote it?\n"))
        assert main(["--db", str(db), "ask", ID]) == 0
        out, err = capsys.readouterr()
        assert out.count("Q: ") == 2
        assert one_line(err, "read-only", "not logged"), err  # one warning for the whole batch
        # (a copy under a new id: the same article without one is already there, nothing to write)
        assert main(["--db", str(db), "import", str(sample_path), "--id", "copy"]) == 2
        err = capsys.readouterr().err
        assert one_line(err, "read-only"), err
        monkeypatch.setenv("DISCORD_TOKEN", "not-a-token")
        monkeypatch.setenv("READALONG_DISCORD_URL", "http://127.0.0.1:9")
        assert main(["--db", str(db), "run"]) == 2
        err = capsys.readouterr().err
        assert one_line(err, "read-only: the bot needs to write to it"), err
    assert snapshot(shared_folder) == before


def test_sqlite_reporting_read_only_is_named_as_such(tmp_path: Path, imported: Path) -> None:
    """The other way to learn it: SQLite's own SQLITE_READONLY on a write."""
    reader = sqlite3.connect(imported.resolve().as_uri() + "?mode=ro", uri=True)
    with contextlib.closing(reader), pytest.raises(sqlite3.OperationalError) as caught:
        reader.execute("INSERT INTO guild_settings (guild_id) VALUES (1)")
    assert is_read_only_error(caught.value)
    described = describe_database_error(caught.value, imported)
    assert isinstance(described, ReadOnlyDatabaseError) and "read-only" in str(described)


@pytest.mark.slow
def test_a_locked_database_waits_then_says_so(
    imported: Path, capsys: pytest.CaptureFixture[str], sample_path: Path
) -> None:
    locker = sqlite3.connect(imported, isolation_level=None)
    try:
        locker.execute("BEGIN IMMEDIATE")
        locker.execute("INSERT INTO guild_settings (guild_id) VALUES (1)")
        files = {name: (imported.parent / name).read_bytes() for name in ("r.db", "r.db-wal")}
        started = time.monotonic()
        assert main(["--db", str(imported), "import", str(sample_path), "--id", "copy"]) == 2
        waited = time.monotonic() - started
        assert one_line(capsys.readouterr().err, "locked by another process; try again")
        assert 4.0 <= waited < 30.0, waited
        assert main(["--db", str(imported), "list"]) == 0  # reading is not held up (WAL)
        assert ID in capsys.readouterr().out
        assert {name: (imported.parent / name).read_bytes() for name in files} == files
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def test_damaged_pages_are_one_line(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(imported.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = b"\xaa" * (len(data) - page)  # every page but the first
    imported.write_bytes(bytes(data))
    before = snapshot(imported.parent)
    for argv in (["list"], ["show", ID], ["ask", ID, "Where?"], ["export", ID]):
        assert main(["--db", str(imported), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert one_line(err, "is damaged"), (argv, err)
        assert snapshot(imported.parent) == before


@pytest.mark.parametrize("argv", [["list"], ["ask", "x", "why?"], ["import", "<sample>"], ["run"]])
def test_a_folder_as_db_is_one_line_without_a_traceback(
    tmp_path: Path, argv: list[str], sample_path: Path
) -> None:
    argv = [str(sample_path) if arg == "<sample>" else arg for arg in argv]
    folder = tmp_path / "folder"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("READALONG_", "DISCORD_"))}
    env |= {"DISCORD_TOKEN": "not-a-token", "READALONG_DISCORD_URL": "http://127.0.0.1:9"}
    # The CLI's main in this process (a traceback would be an exception raised here): the
    # folder is the point, not the process.
    result = readalong("--db", str(folder), *argv, cwd=ROOT, env=env)
    assert result.returncode == 2
    assert one_line(result.stderr, "is a directory"), result.stderr
    assert list(folder.iterdir()) == []


def test_export_to_an_unwritable_path_is_one_line(
    imported: Path, shared_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = imported.parent / "plain.txt"
    plain.write_text("not a folder")
    protected = shared_folder / "kept.md"
    protected.write_text("keep me")
    protected.chmod(0o444)
    before = (snapshot(imported.parent), snapshot(shared_folder))
    for target, as_nobody in ((plain / "out.md", False), (shared_folder / "new.md", True), (protected, True)):
        with unprivileged() if as_nobody else contextlib.nullcontext():
            assert main(["--db", str(imported), "export", ID, "-o", str(target)]) == 2, target
        err = capsys.readouterr().err
        assert one_line(err, str(target.parent)), err
    assert (snapshot(imported.parent), snapshot(shared_folder)) == before


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


@pytest.mark.parametrize("special", ["fifo", "/dev/zero"])
def test_special_files_are_refused_before_reading(tmp_path: Path, imported: Path, special: str) -> None:
    path = Path(special)
    if special == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    before = snapshot(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(imported), "import", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,  # the old code waited for a writer on the FIFO for ever
        check=False,
        preexec_fn=_limit_memory,  # ...and read /dev/zero until MemoryError
    )
    assert result.returncode == 2
    assert one_line(result.stderr, "not a regular file"), result.stderr
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not os.access("/proc/kallsyms", os.R_OK), reason="needs /proc/kallsyms")
def test_size_is_checked_while_reading(imported: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """/proc/kallsyms says it is 0 bytes long and holds megabytes: only reading finds out."""
    assert Path("/proc/kallsyms").stat().st_size == 0
    assert main(["--db", str(imported), "import", "/proc/kallsyms"]) == 2
    assert one_line(capsys.readouterr().err, "is too large (over 2.0 MB")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_utf16_and_utf8_with_a_bom_are_read(
    tmp_path: Path, imported: Path, capsys: pytest.CaptureFixture[str], encoding: str, sample_path: Path
) -> None:
    text = sample_path.read_text(encoding="utf-8")
    data = ("\ufeff" + text).encode(encoding) if encoding == "utf-16-be" else text.encode(encoding)
    converted = tmp_path / "sample.txt"
    converted.write_bytes(data)
    assert main(["--db", str(imported), "import", str(converted), "--id", "converted"]) == 0
    capsys.readouterr()
    assert main(["--db", str(imported), "show", "converted"]) == 0
    again = capsys.readouterr().out
    assert main(["--db", str(imported), "show", ID]) == 0
    assert again.replace("id converted", f"id {ID}") == capsys.readouterr().out


def test_bad_bytes_in_questions_are_answered_and_the_batch_goes_on(imported: Path) -> None:
    questions = b"Where is Zhanaozen?\nwhat \xff\xfe happened \xed\xa0\x80 there?\nWho wrote it?\n"
    batch = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(imported), "ask", ID],
        cwd=ROOT,
        input=questions,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert batch.returncode == 0, batch.stderr
    assert batch.stdout.decode().count("Q: ") == 3 and "\ufffd" in batch.stdout.decode()
    # A lone surrogate from the command line (undecodable bytes in argv).
    single = subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(imported), "ask", ID, b"where \xed\xa0\x80 is it?"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert single.returncode == 0, single.stderr
    assert single.stdout.decode().startswith("Q: where \ufffd")
    with contextlib.closing(sqlite3.connect(imported)) as c:
        logged = [row[0] for row in c.execute("SELECT question FROM asks ORDER BY id")]
    assert len(logged) == 4 and all("\ud800" not in q for q in logged)


async def test_record_ask_stores_a_lone_surrogate_as_a_replacement(tmp_path: Path) -> None:
    async with Store(tmp_path / "r.db") as store:
        await store.asks.record(
            article_id="a", question="why \ud800?", answered=False, quotes=[], latency_ms=1.0
        )
        async with store.db.execute("SELECT question FROM asks") as cursor:
            assert [tuple(row) for row in await cursor.fetchall()] == [("why \ufffd?",)]


def test_misspelled_keys_are_named_once_with_the_nearest(imported: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("READALONG_", "DISCORD_", "OPENAI_"))}
    env |= {
        "DISCORD_TOKN": "secret-value-1",
        "OPENAI_API_KY": "secret-value-2",
        "READALONG_SECTON_CHARS": "900",
    }
    result = readalong("--db", str(imported), "list", cwd=ROOT, env=env)
    assert result.returncode == 0 and ID in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 3, lines
    for typo, meant in (
        ("DISCORD_TOKN", "DISCORD_TOKEN"),
        ("OPENAI_API_KY", "OPENAI_API_KEY"),
        ("READALONG_SECTON_CHARS", "READALONG_SECTION_CHARS"),
    ):
        assert sum(f"{typo} (did you mean {meant}?)" in line for line in lines) == 1
    assert "secret-value" not in result.stderr
