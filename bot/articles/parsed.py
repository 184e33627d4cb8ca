"""What each format's parser (:mod:`~bot.articles.scrape`, :mod:`~bot.articles.markdown`,
:mod:`~bot.articles.plain`) gives back to :func:`bot.articles.parse.parse_article`: the title, the
paragraphs as written, and whatever else the format tells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.domain.article import Comment


@dataclass
class RawBlock:
    """A paragraph as written, or a heading (``heading``: its text) that starts a section."""

    text: str
    heading: str | None = None


@dataclass
class Parsed:
    """An article as its format reads it, before the body is joined and sectioned."""

    title: str | None
    blocks: list[RawBlock]
    author: str | None = None
    published: dt.date | None = None
    declared_comments: int | None = None
    bio: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = ()
    url: str | None = None
