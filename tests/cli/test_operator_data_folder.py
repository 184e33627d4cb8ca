"""The bot on Discord and the sandbox default to one data folder, so that `readalong ask`, `export`
and `archive search` find the sandbox's data without flags (issue 15). They must still never run on
each other's database: the real bot would resume the sandbox's postings and pause them "channel
gone", and the sandbox would pause the real bot's (their channels are not in the sandbox) and mix
its made-up server into the real archive. A database with the sandbox's server beside it is the
sandbox's; one with postings and no sandbox server beside it is a bot's on Discord. And an operator
upgrading from the release whose default was ./readalong.db is told, not silently given an empty
database."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from bot.articles import parse_article
from bot.cli import main
from bot.domain.posting import PlanItem
from bot.services.articles import import_article
from bot.settings import DB_NAME, SANDBOX_WORLD
from bot.store import Store
from tests.conftest import readalong as in_process

ROOT = Path(__file__).parents[2]
ARTICLE = "# A title\n\nBy Someone\n\nThe first paragraph of the article, long enough to be one.\n"


def environment(tmp_path: Path) -> dict[str, str]:
    """A clean environment whose data folder is under tmp_path (no READALONG_DB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("READALONG_", "DISCORD_", "OPENAI_"))}
    env.update(XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path / "home"))
    return env


def readalong(
    tmp_path: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command as the operator types it in ``tmp_path/work``, with ``env`` as the whole
    environment: the console script's ``main`` in this process and thread (the folders the
    environment names are the point, not the process; ``readalong sandbox`` listens for SIGTERM,
    which only the main thread may, so the tests calling it are not coroutines)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return in_process(*argv, cwd=work, env=env or environment(tmp_path))


def empty_script(tmp_path: Path) -> Path:
    script = tmp_path / "nothing.txt"
    script.write_text("# nothing to do\n")
    return script


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


async def a_discord_bots_database(db: Path) -> None:
    """What `readalong run` leaves: an article and an active posting in a real server's channel."""
    store = Store(db)
    await store.open()
    try:
        imported = await import_article(store, parse_article(ARTICLE, source="a.md"))
        await store.postings.create(
            article_id=imported.article.id,
            guild_id=1_100_000_000_000_000_001,
            channel_id=1_100_000_000_000_000_002,
            channel_kind="text",
            pace_minutes=60,
            with_comments=False,
            created_by=1_100_000_000_000_000_003,
            items=[PlanItem(seq=0, kind="intro")],
            start=dt.datetime.now(dt.UTC),
        )
    finally:
        await store.close()


def test_operator_run_refuses_the_sandboxs_database_in_one_line(tmp_path: Path) -> None:
    data = tmp_path / "xdg" / "readalong"
    tried = readalong(tmp_path, "sandbox", "--script", str(empty_script(tmp_path)))
    assert tried.returncode == 0, tried.stderr
    assert (data / SANDBOX_WORLD).is_file() and (data / DB_NAME).is_file()
    before = snapshot(data)
    env = environment(tmp_path) | {"DISCORD_TOKEN": "MTIz.fake.token-that-must-not-show"}
    refused = readalong(tmp_path, "run", env=env)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "sandbox" in refused.stderr and "READALONG_DB" in refused.stderr
    assert "MTIz" not in refused.stderr + refused.stdout
    assert snapshot(data) == before
    # What the issue asks stays true: the reading commands find the sandbox's data with no flag.
    listed = readalong(tmp_path, "list")
    assert listed.returncode == 0 and "the-lessons-of-zhanaozen" in listed.stdout


def test_operator_sandbox_refuses_a_discord_bots_database(tmp_path: Path) -> None:
    data = tmp_path / "xdg" / "readalong"
    data.mkdir(parents=True)
    asyncio.run(a_discord_bots_database(data / DB_NAME))
    before = snapshot(data)
    refused = readalong(tmp_path, "sandbox", "--script", str(empty_script(tmp_path)))
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1, refused.stderr
    assert "--data" in refused.stderr and "--fresh" in refused.stderr
    assert snapshot(data) == before  # no world made, no sample imported, no posting paused
    fresh = readalong(tmp_path, "sandbox", "--fresh", "--script", str(empty_script(tmp_path)))
    assert fresh.returncode == 0, fresh.stderr
    assert snapshot(data) == before


def test_operator_a_previous_releases_database_in_the_working_folder_is_named(tmp_path: Path) -> None:
    """The previous release's default was ./readalong.db: after upgrading, `readalong run` from the
    same folder would otherwise start on an empty database and leave every posting unsent."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.md").write_text(ARTICLE)
    old = readalong(tmp_path, "--db", "readalong.db", "import", "a.md")
    assert old.returncode == 0, old.stderr
    for argv in (["list"], ["import", "a.md"]):
        refused = readalong(tmp_path, *argv)
        assert refused.returncode == 2, refused.stdout
        assert refused.stderr.count("\n") == 1 and "READALONG_DB" in refused.stderr, refused.stderr
    assert not (tmp_path / "xdg" / "readalong" / DB_NAME).exists()
    chosen = readalong(tmp_path, "list", env=environment(tmp_path) | {"READALONG_DB": "readalong.db"})
    assert chosen.returncode == 0 and "a-title" in chosen.stdout


def test_operator_main_in_process_sees_the_same_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("READALONG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    (tmp_path / DB_NAME).write_bytes(b"")
    assert main(["list"]) == 2
    assert "./readalong.db" in capsys.readouterr().err
