"""The example of each input format in docs/articles.md is read as that page says."""

from __future__ import annotations

import re
from pathlib import Path

from bot.articles import parse_article

ARTICLES = Path(__file__).parents[2] / "docs" / "articles.md"


def test_each_documented_format_example_parses_as_documented() -> None:
    section = ARTICLES.read_text(encoding="utf-8")
    examples = re.findall(r"```(markdown|text)\n(.*?)```", section, re.S)
    parsed = [
        parse_article(text, source="a.md" if kind == "markdown" else "a.txt") for kind, text in examples
    ]
    assert [a.format for a in parsed] == ["blog", "markdown", "text"]
    blog, markdown, plain = parsed
    assert (blog.author, [c.author for c in blog.comments]) == ("Erlan Idrissov", ["Kuda"])
    assert markdown.url == "https://registan.net/2012/12/18/the-lessons-of-zhanaozen/"
    assert "---" not in markdown.body and "title:" not in markdown.body
    assert plain.title == "A Year After Zhanaozen"
