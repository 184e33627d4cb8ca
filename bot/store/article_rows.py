"""Reading an article whole, and finding it by the id a command names: the statement that reads
an article with its sections, comments and quotes in one trip, the article of its row, and which
key an operator's or a member's id means. Used by :mod:`bot.store.articles`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from bot.domain.article import Article, Comment, CommentQuote, Section, article_slug
from bot.errors import NotFoundError, ReadalongError
from bot.store.article_ids import REFERENCE, server_key
from bot.store.connection import Row
from bot.store.dialect import Dialect

UNKNOWN = "unknown article {!r}: pick one from the list (see /articles)"
"""A member's id that names no article listed in their server (worded as for one that exists
nowhere)."""

NAMED = "(a.id = ? OR a.id LIKE ?)"
"""The articles an operator's ``ID`` may name (its slug, and the slug as a server's key), with the
slug and ``%/`` before it as parameters."""


def guild_keys(guild_id: int, article_id: str) -> tuple[str, str]:
    """The keys a member of this server may mean by ``article_id``, the first taken first: this
    server's key for the slug (another server's article had the slug), then the slug itself.
    :class:`NotFoundError` for a reference to another server."""
    match = REFERENCE.match(article_id)
    if match is None or (match["server"] is not None and int(match["server"]) != guild_id):
        raise NotFoundError(UNKNOWN.format(article_id))
    slug = match["slug"]
    return server_key(guild_id, slug), slug


def chosen_key(slug: str, rows: Iterable[Row]) -> str:
    """The key the operator's ``ID`` names among the articles found by :data:`NAMED` (``id``,
    ``owner_``: the server it was imported in), see :meth:`bot.store.articles.ArticleQueries.find`."""
    found = [(str(row["id"]), row["owner_"]) for row in rows]
    found = [(key, owner) for key, owner in found if article_slug(key) == slug]
    shared = [key for key, owner in found if owner is None]
    if len(found) == 1 or shared:
        return shared[0] if shared else found[0][0]
    if not found:
        raise NotFoundError(f"no article with id {slug!r} (see `readalong list` or /articles)")
    choices = ", ".join(server_key(int(owner), slug) for _, owner in found)
    raise ReadalongError(f"article id {slug!r} is in several servers: name one as SERVER/ID: {choices}")


def whole_sql(dialect: Dialect, where: str, *, owner: bool = False) -> str:
    """The statement reading the articles ``a`` that ``where`` picks, whole: each with its
    sections, comments and their quotes as JSON aggregates, in one statement (one trip to a
    server; each question reads its article). ``owner``: with the server it was imported in
    (``owner_``, NULL for the shared library)."""
    rows = dialect.json_rows
    parts = rows('idx, heading, start, "end"', "FROM sections s WHERE s.article_id = a.id", "idx")
    quoted = rows(
        "comment_idx, quoted_idx, text",
        "FROM comment_quotes q WHERE q.article_id = a.id",
        "comment_idx, position",
    )
    said = rows(
        "idx, author, posted, text, page, blog_id", "FROM comments c WHERE c.article_id = a.id", "idx"
    )
    owned = (
        ", (SELECT min(g.guild_id) FROM article_guilds g WHERE g.article_id = a.id) AS owner_"
        if owner
        else ""
    )
    return (
        f"SELECT a.*, {parts} AS sections_, {quoted} AS quotes_, {said} AS comments_{owned}"
        f" FROM articles a WHERE {where}"
    )


def article_of(row: Row) -> Article:
    """The article of a row of :func:`whole_sql`."""
    body: str = row["body"]
    sections = tuple(
        Section(idx, heading, start, end, body[start:end])
        for idx, heading, start, end in json.loads(row["sections_"] or "[]")
    )
    quotes: dict[int, list[CommentQuote]] = {}
    for comment_idx, quoted_idx, text in json.loads(row["quotes_"] or "[]"):
        quotes.setdefault(comment_idx, []).append(CommentQuote(quoted_idx, text))
    comments = tuple(
        Comment(
            idx,
            author,
            dt.datetime.fromisoformat(posted) if posted else None,
            text,
            tuple(quotes.get(idx, ())),
            page,
            blog_id,
        )
        for idx, author, posted, text, page, blog_id in json.loads(row["comments_"] or "[]")
    )
    return Article(
        id=row["id"],
        title=row["title"],
        author=row["author"],
        published=dt.date.fromisoformat(row["published"]) if row["published"] else None,
        declared_comments=row["declared_comments"],
        source=row["source"],
        format=row["format"],
        body=body,
        sections=sections,
        author_bio=row["author_bio"],
        comments=comments,
        url=row["url"],
    )
