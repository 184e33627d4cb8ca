"""The README and ``docs/`` as the docs' tests read them: their files, fenced blocks, inline code
and links, and the anchors GitHub gives their headings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = (
    ROOT / "README.md",
    ROOT / "CHANGELOG.md",
    *sorted((ROOT / "docs").glob("*.md")),
)
"""The README first (its tour is what the other pages' examples follow), then the rest."""

_FENCE = re.compile(r"^(`{3,})([^\n`]*)\n(.*?)^\1[ \t]*$", re.DOTALL | re.MULTILINE)
_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Block:
    """A fenced block: its page, the line it opens on, its info string's first word, its text."""

    page: Path
    line: int
    tag: str
    text: str

    @property
    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, in order."""
    text = page.read_text(encoding="utf-8")
    return [
        Block(page, text.count("\n", 0, m.start()) + 1, (m[2].split() or [""])[0], m[3])
        for m in _FENCE.finditer(text)
    ]


def prose(page: Path) -> str:
    """``page`` without its fenced blocks (their lines kept blank, so line counts hold)."""
    text = page.read_text(encoding="utf-8")
    return _FENCE.sub(lambda m: "\n" * m[0].count("\n"), text)


def spans(page: Path) -> list[str]:
    """The inline code of ``page``'s prose, its whitespace (a span may run over lines) made single."""
    return [" ".join(m[2].split()) for m in _SPAN.finditer(prose(page))]


def links(page: Path) -> list[str]:
    """The targets of ``page``'s links and images, outside code."""
    text = _SPAN.sub("", prose(page))
    return [m[1] for m in _LINK.finditer(text)]


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of ``page``'s headings: lower case, markup and punctuation dropped
    (letters of any script, digits, ``-`` and ``_`` kept), spaces made ``-``, a repeated one
    numbered ``-1``, ``-2``…"""
    made: set[str] = set()
    for match in _HEADING.finditer(prose(page)):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match[2])  # a link: its words
        slug = "".join(
            c for c in text.strip().lower() if c in " -_" or unicodedata.category(c)[0] in "LN"
        ).replace(" ", "-")
        candidate, number = slug, 0
        while candidate in made:
            number += 1
            candidate = f"{slug}-{number}"
        made.add(candidate)
    return made
