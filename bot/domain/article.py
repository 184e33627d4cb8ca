"""The article as Readalong stores it.

Section texts are exact slices of ``Article.body`` (``body[start:end]``) so that any quote taken from
a section is, by construction, a verbatim substring of the stored source text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


def article_slug(key: str) -> str:
    """The id members see and type for the article stored under ``key``.

    Ids are per server: two servers that import the same title both get its plain slug. The
    store keys an article by that slug when no other article has it, else by ``SERVER/SLUG``
    (the server that imported it); the key never reaches a member (the ``SERVER/`` part would
    tell them another server holds the title), this does."""
    return key.rpartition("/")[2]


@dataclass(frozen=True, slots=True)
class Section:
    """A piece of the body posted as one Discord message; ``text`` is ``body[start:end]``."""

    index: int
    """Position in the article, from 1."""
    heading: str | None
    start: int
    """Offset of the section's first character in ``Article.body``."""
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class CommentQuote:
    """A paragraph of a comment that quotes an earlier comment (shown as a ``>`` block)."""

    comment: int
    """Index of the quoted (earlier) comment."""
    text: str
    """The quoting comment's paragraph, as the quoting commenter wrote it."""


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment from the article's original page, posted under the article as the blog showed it (numbered
    from 1)."""

    index: int
    author: str
    posted: dt.datetime | None
    text: str
    quotes: tuple[CommentQuote, ...] = ()
    page: str | None = None
    """The page of the blog's comment section it was read from: ``""`` the post's own address,
    else the comment page's (:func:`bot.articles.web.page_key`); None where not known (a file's
    comments, a web article imported before pages were kept). Where a comment was read, not where it
    is: comments move between pages as others are added and deleted, so one that a later fetch does
    not show is only taken for deleted if that fetch read every page
    (:func:`bot.services.comment_follow.comment_changes`)."""
    blog_id: str | None = None
    """The blog's own id for the comment (``comment-123``, a schema.org ``@id``), which a later fetch
    finds it by whatever became of its author's name or the time shown; None where the page gives
    none (the reader's own numbering moves as comments are deleted) or it is not known (a file's
    comments, a web article imported before ids were kept)."""

    @property
    def reply_to(self) -> int | None:
        """The comment this one answers, if it quotes one."""
        return self.quotes[0].comment if self.quotes else None


@dataclass(frozen=True, slots=True)
class Article:
    """An imported article as stored: its body and the sections cut from it, its bio and original comments.
    Immutable; a re-import with different content is a new article."""

    id: str
    title: str | None
    author: str | None
    published: dt.date | None
    declared_comments: int | None
    source: str
    format: str
    """``blog``, ``markdown`` or ``text``: which parser read it."""
    body: str
    sections: tuple[Section, ...]
    author_bio: str | None = None
    comments: tuple[Comment, ...] = field(default=())
    url: str | None = None
    """Where the article was published (a Markdown file's front matter ``url``), if known."""

    @property
    def slug(self) -> str:
        """The id shown and typed (``id`` is the store's key): see :func:`article_slug`."""
        return article_slug(self.id)

    @property
    def display_title(self) -> str:
        """A title to show even when the source had none."""
        if self.title:
            return self.title
        first = self.sections[0].text if self.sections else self.id
        words = first.split()
        return " ".join(words[:8]) + ("…" if len(words) > 8 else "")

    def to_json(self) -> dict[str, Any]:
        """The documented ``readalong show --json`` shape."""
        return {
            "id": self.slug,
            "title": self.title,
            "author": self.author,
            "published": self.published.isoformat() if self.published else None,
            "declared_comments": self.declared_comments,
            "source": self.source,
            "sections": [{"index": s.index, "heading": s.heading, "text": s.text} for s in self.sections],
            "author_bio": self.author_bio,
            "comments": [
                {
                    "index": c.index,
                    "author": c.author,
                    "posted": c.posted.isoformat(timespec="seconds") if c.posted else None,
                    "text": c.text,
                    "quotes": [{"comment": q.comment, "text": q.text} for q in c.quotes],
                }
                for c in self.comments
            ],
            "url": self.url,
        }
