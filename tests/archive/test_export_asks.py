"""The export formats with the questions asked and their times: every time in UTC, saying so;
questions and answers escaped in HTML; Discord's small print made page text; quotes verbatim."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import pytest

from bot.archive.export.common import ExportContext, iso_utc, utc_time
from bot.archive.export.dce import DCE_EXTRAS, to_dce
from bot.archive.export.html import to_html
from bot.archive.export.markdown import to_markdown
from bot.articles import Article
from bot.domain.answer import AskedQuestion
from bot.domain.message import StoredMessage
from tests.messages import reader_message

QUOTE = "The result was that 16 people died and many more were injured."
ASKS = (
    AskedQuestion(
        asked_at="2026-11-25T18:00:00+00:00",
        asker="Ben",
        user_id=7,
        guild_id=1,
        channel_id=501,
        question="How many <script>alert(1)</script> died?",
        answer=f"> {QUOTE}\n-# — §1 · [jump to it](https://discord.com/channels/1/500/900)",
        answered=True,
    ),
    AskedQuestion(
        asked_at="2026-11-25T19:00:00",
        asker=None,
        user_id=None,
        guild_id=None,
        channel_id=None,
        question="Who wrote it?",
        answer="(not found in the article)",
        answered=False,
    ),
)


@pytest.fixture(scope="module")
def article(sample_article: Article) -> Article:
    return sample_article


def reader(created_at: str) -> StoredMessage:
    return reader_message(
        1002, "Sixteen is a lot.", channel_id=501, parent_id=500, article_id="zh", section=1, author_id=7,
        created_at=created_at,
    )  # fmt: skip


def test_times_are_converted_to_utc_and_say_so() -> None:
    assert utc_time("2026-11-20T15:44:00+05:00") == "2026-11-20 10:44 UTC"
    assert utc_time("2026-11-20T10:44:00") == "2026-11-20 10:44 UTC"  # stored naive: Readalong's UTC
    assert iso_utc("2026-11-20T15:44:00+05:00") == "2026-11-20T10:44:00+00:00"
    assert iso_utc("2026-11-20T10:44:00") == "2026-11-20T10:44:00+00:00"
    assert iso_utc(None) is None and utc_time("not a time") == "not a time"


def test_markdown_has_the_questions_with_who_when_and_where(article: Article) -> None:
    text = to_markdown(article, [reader("2026-11-20T15:44:00+05:00")], ASKS)
    assert "- **Ben** · 2026-11-20 10:44 UTC" in text
    assert "*Times are UTC. Original comments keep the time their page showed" in text
    asks = text[text.index("## Questions asked") :]
    assert asks.index("**Ben** asked · 2026-11-25 18:00 UTC · [in #channel 501](https://discord.com/channels/1/501)") < asks.index(
        "**the operator (command line)** asked · 2026-11-25 19:00 UTC"
    )  # fmt: skip
    assert f"  > {QUOTE}\n\n  *— §1 · [jump to it](https://discord.com/channels/1/500/900)*" in asks
    assert QUOTE in article.body  # the quote shown is the article's own words


def test_no_questions_no_section(article: Article) -> None:
    assert "Questions asked" not in to_markdown(article, [], ())
    assert 'id="asks"' not in to_html(article, [], ())


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_shows_questions_escaped(article: Article) -> None:
    page = _Page()
    page.feed(to_html(article, [reader("2026-11-20T10:44:00+00:00")], ASKS))
    text = "".join(page.text)
    assert "script" not in page.tags
    assert "How many <script>alert(1)</script> died?" in text
    assert QUOTE in text and "2026-11-25 18:00 UTC" in text and "2026-11-20 10:44 UTC" in text
    assert "Times are UTC." in text


def test_json_keeps_the_questions_with_readalongs_extras(article: Article) -> None:
    files = to_dce(
        article,
        [reader("2026-11-20T15:44:00+05:00")],
        ExportContext(1, "Readers"),
        exported_at="2026-11-25T20:00:00+00:00",
        asks=ASKS,
    )
    documents = [json.loads(text) for name, text in files.items() if name != DCE_EXTRAS]
    assert [d["exportedAt"] for d in documents] == ["2026-11-25T20:00:00+00:00"]
    everything = [m for d in documents for m in d["messages"]]
    assert [m["timestamp"] for m in everything] == ["2026-11-20T10:44:00+00:00"]
    extras = json.loads(files[DCE_EXTRAS])["readalong"]
    assert extras["timeZone"] == "UTC"
    assert [(a["asker"]["name"], a["askedAt"], a["channelId"]) for a in extras["asks"]] == [
        ("Ben", "2026-11-25T18:00:00+00:00", "501"),
        ("the operator (command line)", "2026-11-25T19:00:00+00:00", None),
    ]
    assert extras["asks"][0]["answer"] == ASKS[0].answer and extras["asks"][1]["answered"] is False
