"""Plain text: the first line is the title, the rest paragraphs separated by blank lines."""

from __future__ import annotations

from bot.articles.parsed import Parsed, RawBlock


def parse_plain(lines: list[str]) -> Parsed:
    """The first non-blank line as the title; paragraphs split at blank lines, kept as written."""
    title: str | None = None
    blocks: list[RawBlock] = []
    paragraph: list[str] = []
    for line in lines:
        if title is None:
            if line.strip():
                title = line.strip()
            continue
        if line.strip():
            paragraph.append(line)
        elif paragraph:
            blocks.append(RawBlock("\n".join(paragraph)))
            paragraph = []
    if paragraph:
        blocks.append(RawBlock("\n".join(paragraph)))
    return Parsed(title=title, blocks=blocks)
