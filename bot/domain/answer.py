"""An answer to a question: its quotes, each an exact slice of stored text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.article import article_slug
from bot.domain.passage import Source


@dataclass(frozen=True, slots=True)
class Reader:
    """A reader's message in the article's discussion, as archived."""

    message_id: int
    channel_id: int
    guild_id: int | None
    author: str
    content: str


@dataclass(frozen=True, slots=True)
class Quote:
    """One verbatim excerpt an answer shows, with where it comes from so it can be checked and linked."""

    text: str
    """Verbatim: ``quoted_text(article, quote)[start:end]``."""
    source: Source
    section: int | None
    comment: int | None
    """The original comment's index; None for the article, the bio and readers' messages."""
    start: int
    end: int
    score: float
    coverage: float
    article_id: str = ""
    reader: Reader | None = None
    """Set when the quote is from a reader's message in the discussion, not the original page."""

    def to_json(self) -> dict[str, object]:
        """The fields ``readalong ask --json`` prints and the log of questions keeps; offsets and the reader
        are left out."""
        return {
            "text": self.text,
            "source": self.source,
            "section": self.section,
            "comment": self.comment,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """A question's answer: the quotes it stands on and the text shown; ``answered`` False means nothing in
    the article answers it, and the text says so."""

    question: str
    article_id: str
    answered: bool
    quotes: tuple[Quote, ...]
    text: str
    latency_ms: float
    written_by: str | None = None
    """The model that wrote the prose, or None for a purely extractive answer."""
    unposted_section: int | None = None
    """During a posting: the section, not posted yet in the asker's server, that answers better
    than what has been posted. It is named, never quoted (no spoilers)."""

    def to_json(self) -> dict[str, object]:
        """The machine-readable answer, one line of ``readalong ask --json``."""
        return {
            "question": self.question,
            "article": article_slug(self.article_id),
            "answered": self.answered,
            "answer": self.text,
            "quotes": [q.to_json() for q in self.quotes],
        }


QUOTED_DELETED = "(The answer quoted a reader's message that has since been deleted.)"
"""Shown in place of a logged answer that quoted a reader's message since deleted (members'
exports; the log itself, where the server purges deleted messages' words)."""


@dataclass(frozen=True, slots=True)
class AskedQuestion:
    """A question put with ``/ask`` (or a mention, or ``readalong ask``) as the log keeps it, for
    the exports: who asked, when, where, and the answer shown."""

    asked_at: str
    """ISO 8601, UTC."""
    asker: str | None
    """The asker's name when they asked; None for questions logged before names were kept."""
    user_id: int | None
    """The member; None for the operator's ``readalong ask``."""
    guild_id: int | None
    channel_id: int | None
    """The channel or thread it was asked in; None from the command line, and before it was kept."""
    question: str
    answer: str
    answered: bool
