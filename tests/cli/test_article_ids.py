"""The command line names an article ``ID`` where one article has that id and ``SERVER/ID`` where
several servers do (ids are per server, issue 21): ``show``, ``ask``, ``export`` and
``archive search`` take either, ``list`` prints each as it can be typed back, and an ambiguous
``ID`` is refused in one line listing the choices."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.articles import parse_article
from bot.cli import main
from bot.services.articles import import_article
from bot.store import Store

A, B = 101, 202
LAYOFFS = "layoffs-plan-q3"


def memo(words: str) -> str:
    return f"# Layoffs Plan Q3\n\nBy Someone\n\n{words} This paragraph is long enough to be one.\n"


def two_servers(db: Path) -> None:
    """Servers A and B each imported a file titled "Layoffs Plan Q3" (different words)."""

    async def make() -> None:
        async with Store(db) as store:
            await import_article(
                store, parse_article(memo("Ours: cut the night shift."), source="a.md"), guild_id=A
            )
            await import_article(
                store, parse_article(memo("Theirs: close the depot."), source="b.md"), guild_id=B
            )

    asyncio.run(make())


def test_an_id_in_two_servers_is_named_server_slash_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "r.db"
    two_servers(db)
    before = db.read_bytes()

    assert main(["--db", str(db), "list"]) == 0
    listed = sorted(line.split("\t")[0] for line in capsys.readouterr().out.splitlines())
    assert listed == [f"{A}/{LAYOFFS}", f"{B}/{LAYOFFS}"]

    for argv in (["show", LAYOFFS], ["ask", LAYOFFS, "What closes?"], ["export", LAYOFFS]):
        assert main(["--db", str(db), *argv]) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"{A}/{LAYOFFS}, {B}/{LAYOFFS}" in err and "SERVER/ID" in err, err
    assert main(["--db", str(db), "show", f"303/{LAYOFFS}"]) == 2
    assert "no article with id 'layoffs-plan-q3' in server 303" in capsys.readouterr().err
    assert db.read_bytes() == before  # refusals change nothing

    assert main(["--db", str(db), "show", f"{A}/{LAYOFFS}"]) == 0
    shown = capsys.readouterr().out
    assert f"id {A}/{LAYOFFS}" in shown and "night shift" in shown and "depot" not in shown
    assert main(["--db", str(db), "show", f"{B}/{LAYOFFS}", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["id"] == f"{B}/{LAYOFFS}" and "depot" in data["sections"][0]["text"]

    assert main(["--db", str(db), "ask", f"{B}/{LAYOFFS}", "What will they close?", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["article"] == f"{B}/{LAYOFFS}" and any("depot" in q["text"] for q in answer["quotes"])

    out = tmp_path / "theirs.md"
    assert main(["--db", str(db), "export", f"{B}/{LAYOFFS}", "--format", "md", "-o", str(out)]) == 0
    assert "depot" in out.read_text() and "night shift" not in out.read_text()

    folder = tmp_path / "all"
    assert main(["--db", str(db), "export", "--all", "-o", str(folder)]) == 0
    pages = sorted(p.name for p in folder.iterdir())
    assert pages == [f"{A}_{LAYOFFS}.html", f"{B}_{LAYOFFS}.html", "index.html"]
    assert "night shift" in (folder / f"{A}_{LAYOFFS}.html").read_text()


def test_an_id_one_article_has_is_named_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"

    async def make() -> None:
        async with Store(db) as store:
            await import_article(store, parse_article(memo("Ours only."), source="a.md"), guild_id=A)

    asyncio.run(make())
    assert main(["--db", str(db), "list"]) == 0
    assert capsys.readouterr().out.startswith(f"{LAYOFFS}\t")
    for name in (LAYOFFS, f"{A}/{LAYOFFS}"):
        assert main(["--db", str(db), "show", name]) == 0
        assert "Ours only." in capsys.readouterr().out
