"""Exports built from a real store (SQLite and PostgreSQL): the article, readers' replies nested, edits and deletions."""

from __future__ import annotations

import asyncio
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.archive.export.common import ExportContext
from bot.archive.export.dce import to_dce
from bot.archive.export.html import to_html
from bot.archive.export.markdown import to_markdown
from bot.articles import Article
from bot.cli import main
from bot.domain.database import Database
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.store import Store
from tests.archive.dce_reader import read_dce
from tests.conftest import both_backends, db_argument, readalong
from tests.messages import reader_message

THREAD_1, COMMENTS_THREAD, CHANNEL = 501, 509, 500


def message(
    mid: int, channel: int, section: int | None, author: str, content: str, **extra: object
) -> StoredMessage:
    fields: dict[str, object] = {
        "channel_id": channel,
        "parent_id": CHANNEL if channel != CHANNEL else None,
        "article_id": "zh",
        "section": section,
        "author_id": 7000 + len(author),
        "author_name": author,
        "created_at": f"2026-11-20T10:{mid % 60:02d}:00+00:00",
    }
    return reader_message(mid, content, **{**fields, **extra})


@pytest.fixture
async def stored(
    database: Database, sample_article: Article
) -> tuple[Database, Article, list[StoredMessage]]:
    db = database
    article = sample_article
    async with Store(db) as store:
        article = await store.articles.add(article, "zh")
        rows = [
            message(1001, CHANNEL, None, "Readalong", "**§1/6 · It is now**", author_bot=True),
            message(1002, THREAD_1, 1, "ana", "Sixteen dead is a lot <b>not</b> bold."),
            message(1003, THREAD_1, 1, "ben", "> Sixteen dead is a lot\nAnd the trials?", reply_to=1002),
            message(1004, THREAD_1, 1, "cy", "first draft"),
            message(
                1005, COMMENTS_THREAD, None, "Kuda", "I wrote a long mail", webhook_id=42, author_bot=True
            ),
            message(1006, COMMENTS_THREAD, None, "dee", "Kuda has a point."),
        ]
        for row in rows:
            assert await store.messages.record(row)
        assert not await store.messages.record(rows[1])  # idempotent
        assert await store.messages.record_edit(1004, "second draft", "2026-11-20T11:00:00+00:00")
        assert await store.messages.mark_deleted(1006, "2026-11-20T12:00:00+00:00")
        messages = await store.messages.in_article("zh", Viewer.operator())
    return db, article, messages


@both_backends
def test_markdown_reads_like_a_comment_section(stored: tuple[Database, Article, list[StoredMessage]]) -> None:
    _, article, messages = stored
    text = to_markdown(article, messages)
    assert text.startswith("# The Lessons of Zhanaozen\n\n*by Erlan Idrissov · 2012-12-18")
    s1 = text.index("## §1/6")
    s2 = text.index("## §2/6")
    assert s1 < text.index("- **ana**") < text.index("  - **ben**") < s2  # ben's reply nested under ana
    assert "**cy** · 2026-11-20 10:44 UTC (edited)\n  second draft" in text
    assert "first draft" not in text
    assert "**Readalong**" not in text  # the bot's own posts are the article, shown once
    comments = text.index("## Comments")
    assert (
        comments
        < text.index("- **Kuda** (original comment)")
        < text.index("  - **Nathan Hamm** (original comment)")
    )
    assert "    > I was embarassed by my comments" in text
    assert "**dee**" in text and "*(message deleted)*" in text and "Kuda has a point." not in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@both_backends
def test_html_is_one_escaped_self_contained_page(
    stored: tuple[Database, Article, list[StoredMessage]],
) -> None:
    _, article, messages = stored
    page = to_html(article, messages)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags  # nothing fetched from elsewhere
    assert parser.tags.count("section") == 8  # six sections, the bio, the comments
    assert "b" not in parser.tags  # a reader's markup is shown, not obeyed
    text = "".join(parser.text)
    assert "Sixteen dead is a lot <b>not</b> bold." in text
    assert "blockquote" in parser.tags
    assert "second draft" in text and "first draft" not in text and "Kuda has a point." not in text


@both_backends
def test_json_is_discordchatexporters_files(stored: tuple[Database, Article, list[StoredMessage]]) -> None:
    _, article, messages = stored
    files = to_dce(article, messages, ExportContext(1, "Readers", {THREAD_1: "§1/6"}), exported_at="now")
    documents = {
        json.loads(text)["channel"]["id"]: json.loads(text) for text in files.values() if "guild" in text
    }
    assert set(documents) == {str(CHANNEL), str(THREAD_1), str(COMMENTS_THREAD)}  # one file each
    first = documents[str(THREAD_1)]
    assert first["channel"]["name"] == "§1/6" and first["messageCount"] == 3
    assert first["channel"]["type"] == "GuildPublicThread" and first["channel"]["categoryId"] == str(CHANNEL)
    ben = first["messages"][1]
    assert ben["author"]["name"] == "ben" and ben["type"] == "Reply"
    assert ben["reference"] == {
        "type": "Default",
        "messageId": "1002",
        "channelId": str(THREAD_1),
        "guildId": "1",
    }
    cy = first["messages"][2]
    assert cy["content"] == "second draft" and cy["timestampEdited"] == "2026-11-20T11:00:00+00:00"


@both_backends
def test_cli_writes_each_format(
    stored: tuple[Database, Article, list[StoredMessage]], tmp_path: Path
) -> None:
    db, _, _ = stored
    for fmt, marker in (("markdown", "## §6/6"), ("html", "<!DOCTYPE html>")):
        out = tmp_path / f"export.{fmt}"
        assert main(["--db", db_argument(db), "export", "zh", "--format", fmt, "-o", str(out)]) == 0
        assert marker in out.read_text(encoding="utf-8")
    folder = tmp_path / "dce"
    assert main(["--db", db_argument(db), "export", "zh", "--format", "json", "-o", str(folder)]) == 0
    assert len(read_dce(folder).channels) == 3


@both_backends
def test_cli_refuses_an_unknown_article(
    stored: tuple[Database, Article, list[StoredMessage]], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _, _ = stored
    assert main(["--db", db_argument(db), "export", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no article with id 'nope'" in err


@both_backends
def test_cli_archive_search_finds_readers_words(database: Database, tmp_path: Path) -> None:
    db = database

    async def fill() -> None:
        async with Store(db) as store:
            await store.messages.record_many(
                [
                    reader_message(10, "The strike in Zhanaozen"),
                    reader_message(
                        11,
                        "strike (the bot's own words)",
                        author_id=6,
                        author_name="Readalong",
                        author_bot=True,
                    ),
                ]
            )

    asyncio.run(fill())
    done = readalong("--db", db_argument(db), "archive", "search", "strikes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "Ben" in done.stdout and "The strike in Zhanaozen" in done.stdout and "bot's own" not in done.stdout
    )
    missing = readalong("--db", db_argument(db), "archive", "search", "(((", cwd=tmp_path)
    assert missing.returncode == 2 and "no words" in missing.stderr
