"""Markdown in the HTML export, rendered by markdown-it-py: links as links, raw HTML as text,
and no link that is not to the web, mail or the page itself."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.archive.export.html import markdown_html, safe_link


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name in {"href", "src"}]


def parsed(markdown: str) -> Links:
    links = Links()
    links.feed(markdown_html(markdown))
    return links


def test_links_bold_quotes_and_line_breaks_as_discord_shows_them() -> None:
    rendered = markdown_html(
        "**bold** [the trial](https://example.org/t)\n> quoted\nnext https://example.org/b"
    )
    assert "<strong>bold</strong>" in rendered
    assert '<a href="https://example.org/t" rel="nofollow noopener noreferrer">the trial</a>' in rendered
    assert '<a href="https://example.org/b" rel="nofollow noopener noreferrer">' in rendered
    assert "<blockquote>" in rendered


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](javascript&#58;alert(1))",
        "[x](  javascript:alert(1))",
        "<javascript:alert(1)>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](vbscript:msgbox)",
        "[x](file:///etc/passwd)",
        "<a href='javascript:alert(1)'>x</a>",
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        "# not a heading\n\ntext\n---",
    ],
)
def test_what_is_not_a_safe_link_or_plain_text_stays_text(text: str) -> None:
    links = parsed(text)
    assert links.hrefs == [] and not set(links.tags) - {"p", "br", "hr"}, markdown_html(text)


@given(st.text(alphabet=st.sampled_from(list("[]()<>:!&#;'\"=/ jJavscriptlhx1")), max_size=60))
def test_no_text_makes_a_script_tag_or_an_unsafe_link(text: str) -> None:
    links = parsed(text)
    assert "script" not in links.tags and "img" not in links.tags
    assert all(safe_link(href) for href in links.hrefs), markdown_html(text)


def test_an_image_is_a_link_never_fetched() -> None:
    links = parsed("![x](https://example.org/pixel.png)")
    assert "img" not in links.tags and links.hrefs == ["https://example.org/pixel.png"]


def test_safe_links() -> None:
    assert safe_link("https://example.org") and safe_link("mailto:a@b.c") and safe_link("#s1")
    assert not safe_link("javascript:alert(1)") and not safe_link("data:text/html,x")
