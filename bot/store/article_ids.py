"""Articles' names and fingerprints: the ids members type, the keys the store files them under,
and the content hash that recognises the same text imported twice.

Pure functions, no SQL: the article queries (:mod:`bot.store.articles`) and the import service
both use them, and a test can check them without a database.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from bot.domain.article import Article
from bot.errors import ConflictError, ReadalongError

ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_SLUG = 60


def content_hash(article: Article) -> str:
    """SHA-256 of what the article says: its title, author, date, address, body, author's bio and
    original comments, not its id, file name or sectioning. The same file imported twice (or the
    same text in another encoding) has the same hash; one changed word gives another."""
    said = [
        article.title,
        article.author,
        article.published.isoformat() if article.published else None,
        article.url,
        article.body,
        article.author_bio,
        [
            [c.author, c.posted.isoformat(timespec="seconds") if c.posted else None, c.text]
            for c in article.comments
        ],
    ]
    return hashlib.sha256(json.dumps(said, ensure_ascii=False).encode("utf-8")).hexdigest()


def slugify(text: str) -> str:
    """A lowercase ASCII id made of the words of ``text``, at most 60 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0]
    return slug or "article"


def check_article_id(article_id: str) -> str:
    """``article_id`` if it is a valid id (1-64 lowercase letters, digits and dashes), else a ReadalongError
    that says what is allowed."""
    if not ARTICLE_ID.match(article_id):
        raise ReadalongError(
            f"invalid article id {article_id!r}: use 1-64 lowercase letters, digits and dashes, starting with a letter or digit"
        )
    return article_id


def server_key(guild_id: int, slug: str) -> str:
    """The key of a server's article whose slug another article already has as its key; the
    command line's ``SERVER/ID``."""
    return f"{guild_id}/{slug}"


REFERENCE = re.compile(r"^(?:(?P<server>[0-9]{1,20})/)?(?P<slug>[^/]+)$")
"""An article as a command names it: ``ID``, or ``SERVER/ID`` (a server's id, then the article's
id there)."""


class SameContentError(ConflictError):
    """The article is already stored, under ``article_id``."""

    def __init__(self, article_id: str) -> None:
        super().__init__(f"the same article is already stored as {article_id}")
        self.article_id = article_id
