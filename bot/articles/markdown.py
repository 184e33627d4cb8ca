"""Markdown articles: front matter, ``#`` headings, fenced code kept whole."""

from __future__ import annotations

import re

from bot.articles.frontmatter import split_front_matter
from bot.articles.parsed import Parsed, RawBlock

MARKDOWN_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<text>.+?)\s*#*\s*$")


def parse_markdown(lines: list[str], name: str) -> Parsed:
    """Markdown: the front matter's fields (never part of the text), then the first ``#``
    heading as the title unless the front matter gave one (a first heading repeating it is
    dropped), ``##``… headings starting sections, and a "By …" first line as the author."""
    front, lines = split_front_matter(lines, name)
    title: str | None = front.title
    blocks: list[RawBlock] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(RawBlock("\n".join(paragraph).strip("\n")))
            paragraph.clear()

    in_fence = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            paragraph.append(line)
            continue
        heading = None if in_fence else MARKDOWN_HEADING.match(line)
        if heading:
            end_paragraph()
            if heading["hashes"] == "#" and not blocks and (title is None or heading["text"] == title):
                title = heading["text"]
            else:
                blocks.append(RawBlock(line.strip(), heading=heading["text"]))
        elif not line.strip() and not in_fence:
            end_paragraph()
        else:
            paragraph.append(line)
    end_paragraph()
    author = front.author
    if (
        author is None
        and blocks
        and blocks[0].heading is None
        and (byline := re.match(r"^by\s+(.{1,80})$", blocks[0].text, re.I))
    ):
        author = byline.group(1).strip()
        blocks.pop(0)
    return Parsed(title=title, blocks=blocks, author=author, published=front.date, url=front.url)
