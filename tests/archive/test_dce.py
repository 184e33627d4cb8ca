"""``readalong export --format json``: DiscordChatExporter's files from the command line, to a
folder or a zip, read back as DCE readers read them; and the command's one-line refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.archive.export.common import ExportContext
from bot.archive.export.dce import DCE_EXTRAS, dce_file_name, to_dce
from bot.articles import Article
from bot.cli import main
from bot.domain.message import StoredMessage
from tests.archive.dce_reader import read_dce
from tests.archive.test_export import CHANNEL, COMMENTS_THREAD, THREAD_1, stored

__all__ = ["stored"]  # the fixture, shared with test_export

Stored = tuple[Path, Article, list[StoredMessage]]


def test_a_zip_from_the_command_line_holds_every_message_and_author(stored: Stored, tmp_path: Path) -> None:
    db, _, messages = stored
    out = tmp_path / "zh.zip"
    assert main(["--db", str(db), "export", "zh", "--format", "json", "-o", str(out)]) == 0
    exported = read_dce(out.read_bytes())
    assert sorted(m["id"] for m in exported.messages()) == sorted(str(m.id) for m in messages)
    assert exported.authors() == {str(m.author_id) for m in messages}
    assert {"Readalong", "Kuda", "ana", "cy"} <= {m["author"]["name"] for m in exported.messages()}
    assert {d["channel"]["id"]: d["channel"]["type"] for d in exported.channels} == {
        str(CHANNEL): "GuildTextChat",
        str(THREAD_1): "GuildPublicThread",
        str(COMMENTS_THREAD): "GuildPublicThread",
    }
    names = {d["channel"]["id"]: d["channel"]["name"] for d in exported.channels}
    # Off Discord a thread is named from what the store knows of it: these were opened by no
    # posting (this store has none), so they are threads by their ids, not guessed from their
    # messages (issue 22: an /ask answer's webhook made a section thread "Comments: …").
    assert names == {
        str(CHANNEL): f"channel {CHANNEL}",
        str(THREAD_1): f"thread {THREAD_1}",
        str(COMMENTS_THREAD): f"thread {COMMENTS_THREAD}",
    }
    extras = exported.others[DCE_EXTRAS]["readalong"]
    assert extras["article"] == "zh" and extras["timeZone"] == "UTC"
    assert [f["section"] for f in extras["files"]] == [None, 1, None]


def test_a_folder_gets_the_same_files(stored: Stored, tmp_path: Path) -> None:
    db, _, _ = stored
    folder, zipped = tmp_path / "out", tmp_path / "zh.zip"
    assert main(["--db", str(db), "export", "zh", "--format", "json", "-o", str(folder)]) == 0
    assert main(["--db", str(db), "export", "zh", "--format", "json", "-o", str(zipped)]) == 0
    in_folder, in_zip = read_dce(folder), read_dce(zipped.read_bytes())
    assert in_folder.messages() == in_zip.messages() and DCE_EXTRAS in in_folder.others


def test_dce_file_names_are_dces_and_safe() -> None:
    assert (
        dce_file_name("Readers", "general", "§1/6 · It: now?", 501)
        == "Readers - general - §1_6 · It_ now_ [501].json"
    )
    assert dce_file_name("Readers", None, "general", 500) == "Readers - general [500].json"


def test_names_known_on_discord_are_used(stored: Stored) -> None:
    _, article, messages = stored
    context = ExportContext(1, "Readers", {CHANNEL: "general", THREAD_1: "first"}, frozenset({THREAD_1}))
    files = to_dce(article, messages, context, exported_at="2026-11-25T20:00:00Z")
    thread = json.loads(files["Readers - general - first [501].json"])
    assert thread["guild"]["name"] == "Readers" and thread["channel"]["type"] == "GuildPrivateThread"
    assert thread["channel"]["category"] == "general" and thread["exportedAt"] == "2026-11-25T20:00:00+00:00"


@pytest.mark.parametrize(
    ("arguments", "refusal"),
    [
        (["export", "zh", "--format", "json"], "--format json writes one file per channel and thread"),
        (["export"], "give an article ID, or --all -o FOLDER"),
        (["export", "--all"], "export --all: give the folder"),
        (["export", "--all", "--format", "json", "-o", "x"], "export --all writes HTML pages"),
        (["export", "zh", "--all", "-o", "x"], "leave out the article ID"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(
    stored: Stored, tmp_path: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], refusal: str
) -> None:
    db, _, _ = stored
    before = sorted(tmp_path.iterdir())
    assert main(["--db", str(db), *[str(tmp_path / a) if a == "x" else a for a in arguments]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and refusal in err, err
    assert sorted(tmp_path.iterdir()) == before


def test_all_writes_a_page_per_article_and_an_index(stored: Stored, tmp_path: Path) -> None:
    db, _, _ = stored
    folder = tmp_path / "site"
    assert main(["--db", str(db), "export", "--all", "-o", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["index.html", "zh.html"]
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert '<a href="zh.html">The Lessons of Zhanaozen</a>' in index and "4 messages" in index
