"""The README's example of each input format is read as the README says."""

from __future__ import annotations

import re
from pathlib import Path

from bot.articles import parse_article

README = Path(__file__).parents[2] / "README.md"


def test_each_documented_format_example_parses_as_documented() -> None:
    section = (
        README.read_text(encoding="utf-8").split("\n## Article files\n", 1)[1].split("\n## Exports\n", 1)[0]
    )
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
