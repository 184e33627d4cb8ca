"""Passages of an article's text and what retrieval finds: plain values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["body", "bio", "comment", "byline"]
"""Where a passage or quote comes from; a reader's quote is a ``comment`` with its ``reader`` set.
``byline`` (the author's name, ``Article.author``) is quoted only by answers about the article
itself (:mod:`bot.answers.about`), never indexed."""


@dataclass(frozen=True, slots=True)
class Passage:
    """A sentence of an article that search ranks and an answer may quote; ``text`` is the slice
    ``[start:end]`` of its source text."""

    source: Source
    """``body``, ``bio`` or ``comment``."""
    section: int | None
    comment: int | None
    position: int
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage the full-text index found for a question, with its neighbours for widening."""

    id: int
    article_id: str
    passage: Passage
    score: float
    """BM25, higher is better."""
    before: Passage | None = None
    """The passage just before it in the same text (same article, source and comment)."""
    after: Passage | None = None


@dataclass(frozen=True, slots=True)
class MessageHit:
    """A reader's archived message that matched a search, with where it was said."""

    id: int
    channel_id: int
    guild_id: int | None
    article_id: str | None
    section: int | None
    author_name: str
    content: str
    created_at: str
    score: float


@dataclass(frozen=True, slots=True)
class ArchiveHit:
    """A result of archive search: a reader's message, or one of the article's original comments
    (imported with it, posted under the commenter's name in its comments thread)."""

    article_id: str | None
    author_name: str
    """The reader's name, or the commenter's as the article's page gave it."""
    content: str
    created_at: str | None
    """When the message was sent (UTC); an original comment's time as its page showed it."""
    place: str
    """Where it was said: ``§3``, ``Comments`` (the comments thread) or ``discussion``."""
    score: float
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    """The Discord message, when there is one the viewer can see (a comment not yet posted has none)."""
    comment: int | None = None
    """The original comment's index; None for a reader's message."""
