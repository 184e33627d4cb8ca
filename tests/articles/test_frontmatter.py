"""Markdown with YAML front matter: its fields are read (never posted as text), a bad block is
refused in one line and imports nothing, and the article's ``url`` is kept in the store."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles import Article, parse_article
from bot.articles.frontmatter import read_front_matter
from bot.cli import main
from bot.errors import ArticleFormatError
from bot.store import Store
from tests.conftest import examples

ARTICLE = """---
title: "Kazakhstan: the lessons of Zhanaozen"
author: Erlan Idrissov
date: 2012-12-18
url: https://registan.net/2012/12/18/the-lessons-of-zhanaozen/
tags: [kazakhstan, oil]
---

# Kazakhstan: the lessons of Zhanaozen

It is now a year since the riots in the oil town of Zhanaozen.

## What went wrong

Sixteen people died.
"""


def test_front_matter_fields_are_read_and_never_part_of_the_text() -> None:
    article = parse_article(ARTICLE, source="zh.md")
    assert article.format == "markdown"
    assert article.title == "Kazakhstan: the lessons of Zhanaozen"
    assert article.author == "Erlan Idrissov"
    assert article.published == dt.date(2012, 12, 18)
    assert article.url == "https://registan.net/2012/12/18/the-lessons-of-zhanaozen/"
    # Neither the block nor a first heading repeating the title is article text.
    assert article.body == (
        "It is now a year since the riots in the oil town of Zhanaozen.\n\n## What went wrong\n\nSixteen people died."
    )
    assert [s.heading for s in article.sections] == [None, "What went wrong"]
    for forbidden in ("---", "title:", "tags:", "registan.net"):
        assert forbidden not in article.body


def test_front_matter_is_recognised_without_a_markdown_file_name() -> None:
    article = parse_article(ARTICLE, source="upload.txt")
    assert article.format == "markdown" and article.author == "Erlan Idrissov"


def test_without_front_matter_the_first_heading_and_byline_still_count() -> None:
    article = parse_article("# Title\n\nBy Jane Roe\n\nBody text.\n", source="a.md")
    assert (article.title, article.author, article.url, article.body) == (
        "Title",
        "Jane Roe",
        None,
        "Body text.",
    )


def test_a_different_first_heading_is_a_section_heading() -> None:
    article = parse_article("---\ntitle: Outer\n---\n# Inner\n\nBody.\n", source="a.md")
    assert article.title == "Outer"
    assert article.sections[0].heading == "Inner"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("---\ntitle: A\n\nBody.\n", "never closed"),
        ("---\ntitle: [unclosed\n---\nBody.\n", "not valid YAML on line 2"),
        ("---\n- a\n- b\n---\nBody.\n", "must be `key: value` lines"),
        ("---\ntitle: {a: 1}\n---\nBody.\n", "`title` must be text, not a mapping"),
        ("---\ndate: next tuesday\n---\nBody.\n", "`date` 'next tuesday' is not a date"),
        ("---\ndate: 2012-13-45\n---\nBody.\n", "impossible value (month must be in 1..12)"),
        ("---\nurl: javascript:alert(1)\n---\nBody.\n", "`url` 'javascript:alert(1)' is not a web address"),
        ("---\nurl: [1]\n---\nBody.\n", "`url` must be a web address, not a list"),
        ("---\nauthor: !!python/object/apply:os.system [echo hi]\n---\nBody.\n", "not valid YAML"),
    ],
)
def test_bad_front_matter_is_one_specific_line(text: str, needle: str) -> None:
    with pytest.raises(ArticleFormatError) as caught:
        parse_article(text, source="bad.md")
    message = str(caught.value)
    assert message.startswith("bad.md: front matter") and needle in message
    assert "\n" not in message


def test_bad_front_matter_imports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"
    good = tmp_path / "good.md"
    good.write_text(ARTICLE, encoding="utf-8")
    assert main(["--db", str(db), "import", str(good)]) == 0
    before = db.read_bytes()
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: Broken\ndate: someday\n---\n\nBody.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--db", str(db), "import", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.md: front matter `date` 'someday' is not a date" in err
    assert main(["--db", str(db), "list"]) == 0
    listed = capsys.readouterr().out
    assert "kazakhstan-the-lessons-of-zhanaozen" in listed and "Broken" not in listed
    assert db.read_bytes() == before


def test_the_url_is_stored_and_shown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "r.db"

    async def add() -> Article:
        async with Store(db) as store:
            added = await store.articles.add(parse_article(ARTICLE, source="zh.md"))
            return await store.articles.get(added.id)

    again = asyncio.run(add())
    added = again
    assert again.url == "https://registan.net/2012/12/18/the-lessons-of-zhanaozen/"
    assert again.published == dt.date(2012, 12, 18) and again.author == "Erlan Idrissov"
    assert main(["--db", str(db), "show", added.id, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["url"] == again.url and shown["title"] == again.title


_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40).filter(
    lambda t: t.split() != []
)


@settings(max_examples=examples(150), deadline=None)
@given(
    title=_TEXT,
    author=_TEXT,
    date=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)),
    path=st.from_regex(r"/[a-z0-9/_-]{0,30}", fullmatch=True),
    body=st.from_regex(r"[A-Za-z][A-Za-z ,.]{0,60}", fullmatch=True).filter(lambda b: b.strip() != ""),
)
def test_any_front_matter_written_by_yaml_is_read_back(
    title: str, author: str, date: dt.date, path: str, body: str
) -> None:
    url = f"https://example.org{path}"
    block = yaml.safe_dump({"title": title, "author": author, "date": date, "url": url}, allow_unicode=True)
    article = parse_article(f"---\n{block}---\n\n{body}\n", source="a.md")
    assert article.title == " ".join(title.split())
    assert article.author == " ".join(author.split())
    assert (article.published, article.url) == (date, url)
    assert article.body == body.strip()


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=200))
def test_any_block_is_read_or_refused_in_one_line(block: str) -> None:
    try:
        front = read_front_matter(block, "x.md")
    except ArticleFormatError as error:
        assert str(error).startswith("x.md: front matter") and "\n" not in str(error)
    else:
        assert front.url is None or front.url.startswith(("http://", "https://"))
        assert front.title is None or front.title == " ".join(front.title.split())
