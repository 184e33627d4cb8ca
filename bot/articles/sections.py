"""Splitting an article body into sections that each post as one Discord message.

Sections are made of whole paragraphs, grouped up to a target size; a heading always starts a
new section, and a paragraph too long for one message is cut at sentence boundaries (at word
boundaries only for a single sentence that is itself too long). The result depends on nothing but
the input, so the same article always gets the same section numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.articles.sentences import sentence_spans
from bot.domain.article import Section

DEFAULT_TARGET_CHARS = 1200
MAX_SECTION_CHARS = 1800
"""Room for a ``§N/M · heading`` line and a link under Discord's 2,000-character limit."""


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph of the body (``heading`` is None) or a heading line (span is the line)."""

    start: int
    end: int
    heading: str | None = None


def make_sections(body: str, blocks: list[Block], target: int = DEFAULT_TARGET_CHARS) -> tuple[Section, ...]:
    """Group ``blocks`` of ``body`` into sections of about ``target`` characters (200 to
    ``MAX_SECTION_CHARS``, else ValueError), numbered from 1; the same input always gives the same
    sections."""
    if target < 200 or target > MAX_SECTION_CHARS:
        raise ValueError(f"section target must be between 200 and {MAX_SECTION_CHARS} characters")
    groups: list[tuple[str | None, list[tuple[int, int]]]] = []
    heading: str | None = None
    current: list[tuple[int, int]] = []
    size = 0

    def flush() -> None:
        nonlocal current, size, heading
        if current:
            groups.append((heading, current))
            heading = None
        current, size = [], 0

    for block in blocks:
        if block.heading is not None:
            flush()
            heading = block.heading  # of two headings in a row, the later (more specific) one wins
            continue
        for a, b in _pieces(body, block.start, block.end, target):
            length = b - a
            if current and size + 2 + length > target:
                flush()
            current.append((a, b))
            size += length + (2 if size else 0)
    flush()

    sections = []
    for number, (head, spans) in enumerate(groups, start=1):
        start, end = spans[0][0], spans[-1][1]
        sections.append(Section(index=number, heading=head, start=start, end=end, text=body[start:end]))
    return tuple(sections)


def _pieces(body: str, start: int, end: int, target: int) -> list[tuple[int, int]]:
    """The paragraph itself, or runs of its sentences when it is longer than a section may be."""
    if end - start <= MAX_SECTION_CHARS:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = start
    for a, b in _bounded_sentences(body, start, end):
        if run_start is not None and b - run_start > target:
            pieces.append((run_start, run_end))
            run_start = None
        if run_start is None:
            run_start = a
        run_end = b
    if run_start is not None:
        pieces.append((run_start, run_end))
    return pieces


def _bounded_sentences(body: str, start: int, end: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for sentence_start, b in sentence_spans(body, start, end):
        a = sentence_start
        while b - a > MAX_SECTION_CHARS:
            cut = body.rfind(" ", a, a + MAX_SECTION_CHARS)
            if cut <= a:
                cut = a + MAX_SECTION_CHARS
            spans.append((a, cut))
            a = cut
            while a < b and body[a].isspace():
                a += 1
        if a < b:
            spans.append((a, b))
    return spans
