"""Exports written to a folder, as an operator publishing them meets failures: a write that fails
part way leaves the folder as it was, all of it, with one line saying why; never a new index
linking pages that were not written, nor temporary files left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.archive.export.dce import DCE_EXTRAS, dce_file_name
from bot.articles import Article
from bot.cli import main
from bot.domain.message import StoredMessage
from tests.archive.test_export import stored

__all__ = ["stored"]  # the fixture, shared with test_export

Stored = tuple[Path, Article, list[StoredMessage]]


def contents(folder: Path) -> dict[str, bytes | None]:
    return {p.name: p.read_bytes() if p.is_file() else None for p in sorted(folder.iterdir())}


@pytest.mark.parametrize(("kind", "blocked"), [("all", "zh.html"), ("json", DCE_EXTRAS)])
def test_operator_a_file_that_cannot_be_written_leaves_the_folder_as_it_was(
    stored: Stored, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str, blocked: str
) -> None:
    db, _, _ = stored
    arguments = ["export", "--all"] if kind == "all" else ["export", "zh", "--format", "json"]
    probe = tmp_path / "probe"
    assert main(["--db", str(db), *arguments, "-o", str(probe)]) == 0
    names = sorted(p.name for p in probe.iterdir())
    assert blocked in names and len(names) >= 2
    # The earlier export the operator published, and in it a folder where one file goes.
    site = tmp_path / "site"
    site.mkdir()
    for name in names:
        if name == blocked:
            (site / name).mkdir()
            (site / name / "kept").write_text("kept\n")
        else:
            (site / name).write_text(f"earlier {name}\n")
    before = contents(site)
    capsys.readouterr()
    assert main(["--db", str(db), *arguments, "-o", str(site)]) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and blocked in err, err
    assert "Wrote" not in out
    assert contents(site) == before
    assert (site / blocked / "kept").read_text() == "kept\n"


def test_operator_long_non_latin_names_still_make_files_the_file_system_takes(tmp_path: Path) -> None:
    """A server and a section thread with long Cyrillic names (100 characters each, Discord's
    limit) made a DCE file name of ~400 bytes: the folder export failed with "File name too long"."""
    name = dce_file_name("Сервер читателей " * 6, "reading-room", "§1/6 · " + "Ж" * 93, 1234567890123456789)
    assert len(name.encode("utf-8")) <= 255
    assert name.endswith(" [1234567890123456789].json") and name.startswith("Сервер читателей")
    (tmp_path / name).write_text("{}")
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_operator_export_all_names_pages_of_articles_no_longer_there(
    stored: Stored, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An article deleted (with its archive) since the last `export --all -o site` still has its
    page in the folder the operator publishes: the export says which pages it did not write."""
    db, _, _ = stored
    site = tmp_path / "site"
    site.mkdir()
    (site / "deleted-article.html").write_text("<p>readers' words</p>\n")
    (site / "style.css").write_text("body {}\n")
    assert main(["--db", str(db), "export", "--all", "-o", str(site)]) == 0
    out = capsys.readouterr().out
    assert "Not in this export, left as they were: deleted-article.html (" in out
    assert "style.css" not in out and "zh.html" not in out.split("Not in this export")[1]
    assert (site / "deleted-article.html").read_text() == "<p>readers' words</p>\n"
