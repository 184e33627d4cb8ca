"""Parsing each source format from real files, and sectioning properties."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles import Article, parse_article, read_article_file
from bot.articles.sections import MAX_SECTION_CHARS, Block, make_sections
from bot.errors import ArticleFormatError
from tests.conftest import examples

OTHER_POST = """Turkmen Gas Goes East

by Nathan Hamm on 3/4/2011 · 1 comment

Post image for Turkmen Gas Goes East

Turkmenistan's gas now flows to China. As one official put it, “the pipeline changes everything.”

The second paragraph says more about prices.

Subscribe to receive updates from Registan

This post was written by...

Nathan Hamm – author of 2,345 posts on Registan.

Nathan Hamm is the founder of Registan.

For information on reproducing this article, see our Terms of Use

{ 3 comments }

Sarah K. March 5, 2011 at 9:05 am

The pipeline "changes   everything" - really?

Joshua Foust March 5, 2011 at 12:40 pm

The pipeline “changes everything” - really?

I doubt it.

Anonymous March 6, 2011 at 1:15 am
This scrape stops in the mid"""


def test_the_sample_parses_with_every_field_right(sample_article: Article) -> None:
    article = sample_article
    assert article.title == "The Lessons of Zhanaozen"
    assert article.author == "Erlan Idrissov"
    assert article.published == dt.date(2012, 12, 18)
    assert article.declared_comments == 2
    assert article.author_bio is not None and article.author_bio.startswith(
        "Erlan Idrissov is the Foreign Minister"
    )
    assert [c.author for c in article.comments] == ["Kuda", "Nathan Hamm"]
    # The page gives local times without a zone, so they stay naive: no offset in the ISO form.
    assert [c.posted.isoformat() if c.posted else None for c in article.comments] == [
        "2013-01-02T20:36:00",
        "2013-01-03T10:20:00",
    ]
    nathan = article.comments[1]
    assert nathan.reply_to == 1 and nathan.quotes[0].text.startswith("I was embarassed by my comments")
    assert "Subscribe" not in article.body and "Terms of Use" not in article.body
    assert article.body.startswith("It is now exactly a year") and article.body.endswith(
        "improving our country."
    )
    for section in article.sections:
        assert article.body[section.start : section.end] == section.text


def test_another_post_of_the_blog() -> None:
    article = parse_article(OTHER_POST, source="turkmen.txt")
    assert article.format == "blog"
    assert article.title == "Turkmen Gas Goes East"
    assert article.author == "Nathan Hamm" and article.published == dt.date(2011, 3, 4)
    assert article.declared_comments == 1
    assert article.body == (
        "Turkmenistan's gas now flows to China. As one official put it, “the pipeline changes everything.”\n\n"
        "The second paragraph says more about prices."
    )
    assert article.author_bio == "Nathan Hamm is the founder of Registan."
    assert [c.author for c in article.comments] == ["Sarah K.", "Joshua Foust", "Anonymous"]
    assert article.comments[1].quotes[0].comment == 1  # quote marks and spaces differ, still a quote
    assert article.comments[2].text == "This scrape stops in the mid"


def test_a_post_without_title_or_comment_count() -> None:
    text = "by Sean R. on 12/1/2010\n\nOnly a body here.\n\nPrevious post:\n\nNext post:"
    article = parse_article(text, source="x.txt")
    assert article.title is None and article.declared_comments is None and article.comments == ()
    assert article.body == "Only a body here."


def test_markdown_headings_start_sections() -> None:
    text = "# My Title\n\nIntro para.\n\n## First\n\nOne.\n\n### Deeper\n\nTwo.\n"
    article = parse_article(text, source="a.md")
    assert article.title == "My Title"
    assert [(s.heading, s.text) for s in article.sections] == [
        (None, "Intro para."),
        ("First", "One."),
        ("Deeper", "Two."),
    ]


def test_plain_text_first_line_is_the_title() -> None:
    article = parse_article("A Title\n\nPara one\nstill one.\n\nPara two.", source="a.txt")
    assert article.format == "text" and article.title == "A Title"
    assert article.body == "Para one\nstill one.\n\nPara two."


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\x00\x01abc", "binary"),
        (b"caf\xe9 au lait", "not UTF-8"),
        (b"Title only\n", "no article text"),
    ],
)
def test_bad_files_are_refused_with_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ArticleFormatError, match=message) as caught:
        parse_article(read_article_file(path), source=str(path))
    assert "\n" not in str(caught.value)


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(ArticleFormatError, match="no such file"):
        read_article_file(tmp_path / "nope.txt")
    with pytest.raises(ArticleFormatError, match="is a directory"):
        read_article_file(tmp_path)


paragraph = (
    st.text(alphabet=st.sampled_from("abc def. Ghi! Jk? "), min_size=1, max_size=4000)
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(paragraph, min_size=1, max_size=12), st.integers(200, 1800))
def test_sections_are_exact_bounded_and_deterministic(paragraphs: list[str], target: int) -> None:
    body = "\n\n".join(paragraphs)
    blocks, offset = [], 0
    for p in paragraphs:
        blocks.append(Block(offset, offset + len(p)))
        offset += len(p) + 2
    sections = make_sections(body, blocks, target)
    assert sections == make_sections(body, blocks, target)
    assert [s.index for s in sections] == list(range(1, len(sections) + 1))
    for section in sections:
        assert body[section.start : section.end] == section.text
        assert 0 < len(section.text) <= MAX_SECTION_CHARS
    covered = "".join(s.text for s in sections).replace(" ", "").replace("\n", "")
    assert covered == body.replace(" ", "").replace("\n", "")
