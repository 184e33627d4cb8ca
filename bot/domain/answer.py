"""An answer to a question: its quotes, each an exact slice of stored text."""

from __future__ import annotations

from dataclasses import dataclass

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
        return {
            "text": self.text,
            "source": self.source,
            "section": self.section,
            "comment": self.comment,
            "score": round(self.score, 4),
        }


@dataclass(frozen=True, slots=True)
class Answer:
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
        return {
            "question": self.question,
            "article": self.article_id,
            "answered": self.answered,
            "answer": self.text,
            "quotes": [q.to_json() for q in self.quotes],
        }
