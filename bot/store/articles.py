"""Queries on articles, their sections and their original comments."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.article import Article, article_slug
from bot.errors import ConflictError, NotFoundError
from bot.store.article_ids import (
    MAX_SLUG,
    REFERENCE,
    SameContentError,
    check_article_id,
    content_hash,
    server_key,
    slugify,
)
from bot.store.article_rows import NAMED, UNKNOWN, article_of, chosen_key, guild_keys, whole_sql

if TYPE_CHECKING:
    from collections.abc import Sequence

    from bot.domain.article import Comment
    from bot.store.connection import Connection
    from bot.store.db import Store


async def write_comments(db: Connection, article_id: str, comments: Sequence[Comment]) -> None:
    """Store an article's comments and the quotes between them, inside the caller's transaction:
    those of an import, and those a followed blog adds later."""
    if not comments:  # most files have none: no statement, no trip to a server
        return
    await db.executemany(
        "INSERT INTO comments (article_id, idx, author, posted, text, page, blog_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                c.index,
                c.author,
                c.posted.isoformat(timespec="seconds") if c.posted else None,
                c.text,
                c.page,
                c.blog_id,
            )
            for c in comments
        ],
    )
    await db.executemany(
        "INSERT INTO comment_quotes (article_id, comment_idx, position, quoted_idx, text) VALUES (?, ?, ?, ?, ?)",
        [
            (article_id, c.index, position, q.comment, q.text)
            for c in comments
            for position, q in enumerate(c.quotes)
        ],
    )


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """One line of an article list (``/articles``, ``readalong list``, the article autocomplete): enough to
    choose one without loading its text."""

    id: str
    title: str | None
    author: str | None
    sections: int
    comments: int
    imported_at: str

    @property
    def slug(self) -> str:
        """The id members see and type (``id`` is the store's key)."""
        return article_slug(self.id)


@dataclass(frozen=True, slots=True)
class Removed:
    """What ``/article delete`` removed in one server."""

    postings: int
    """This server's postings of the article (cancelled first if still going)."""
    messages: int
    """Archived messages of those postings' discussions (with ``archive``), readers' included."""
    questions: int
    """Logged ``/ask`` questions about it in this server (with ``archive``)."""
    article_deleted: bool
    """The article itself is gone: no other server lists, posts or archives it."""


LISTED_IN = (
    "(NOT EXISTS (SELECT 1 FROM article_guilds g WHERE g.article_id = a.id)"
    " OR EXISTS (SELECT 1 FROM article_guilds g WHERE g.article_id = a.id AND g.guild_id = ?)"
    " OR EXISTS (SELECT 1 FROM postings p WHERE p.article_id = a.id AND p.guild_id = ?))"
)
"""Whether article ``a`` is listed in a server (its id twice as parameters): the one definition,
used by the article queries and by search over the original comments."""


class ArticleQueries:
    """Articles, listed per server.

    An article imported with ``/article import`` in a server belongs to that server (a row in
    ``article_guilds``); an article posted in a server is listed there too. An article imported
    from the command line (``readalong import``, no server known) is the operator's shared
    library, listed in every server. Elsewhere an article is "unknown": the same answer as for an
    id that does not exist, so whether it exists does not leak from one server to another.

    Ids are per server for the same reason: members name an article by its id there
    (:meth:`resolve`), the operator by ``ID`` or ``SERVER/ID`` (:meth:`find`); the key the other
    tables refer to (``articles.id``) is the id itself unless another server's article has it,
    and is never shown (:func:`bot.domain.article.article_slug`).
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(
        self,
        article: Article,
        article_id: str | None = None,
        *,
        guild_id: int | None = None,
        unless_same_content: bool = False,
    ) -> Article:
        """Store ``article`` (its passages indexed with it) under ``article_id`` or a fresh slug of its
        title; return it with its key (:func:`article_slug`). ``guild_id``: its server (None: the library).

        Ids are per server, so that an id never tells one server what another imported: a slug
        is taken in a server only by the articles listed there (its own, the shared library's,
        those posted there), and the same title imported in two servers is the same plain id in
        each. The shared library's ids are taken in every server, so a command-line import
        avoids every server's ids (the operator sees them all anyway).
        ``unless_same_content``: raise :class:`SameContentError` if the importer can already see
        an article with this content, checked in the same transaction as the insert (two imports
        of one file at once store it once, not a second time under ``…-2``)."""
        async with self._store.transaction() as db:
            if (serialise := self._store.dialect.serialise_imports) is not None:
                await db.execute(serialise)
            if unless_same_content and article_id is None:
                existing = await self.same_content(content_hash(article), guild_id)
                if existing is not None:
                    raise SameContentError(existing)
            taken = await self.taken_ids(guild_id)
            if article_id is not None:
                check_article_id(article_id)
                if article_id in taken:
                    raise ConflictError(
                        f"article id {article_id!r} is already taken; choose another with --id"
                    )
                slug = article_id
            else:
                base = slugify(article.title or article.display_title)
                slug, n = base, 1
                while slug in taken:
                    n += 1
                    slug = f"{base[: MAX_SLUG - len(str(n)) - 1]}-{n}"
            row = (
                article.title,
                article.author,
                article.published.isoformat() if article.published else None,
                article.declared_comments,
                article.source,
                article.format,
                article.body,
                article.author_bio,
                dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                article.url,
                content_hash(article),
            )
            insert = (
                "INSERT INTO articles (id, title, author, published, declared_comments, source, format, body,"
                " author_bio, imported_at, url, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            )
            chosen = slug
            if guild_id is None:
                await db.execute(insert, (chosen, *row))
            elif not list(
                await db.execute_fetchall(
                    f"{insert} ON CONFLICT (id) DO NOTHING RETURNING id", (chosen, *row)
                )
            ):
                # Another server's article has this slug as its key: this one is keyed by server.
                chosen = server_key(guild_id, slug)
                await db.execute(insert, (chosen, *row))
            await db.executemany(
                'INSERT INTO sections (article_id, idx, heading, start, "end") VALUES (?, ?, ?, ?, ?)',
                [(chosen, s.index, s.heading, s.start, s.end) for s in article.sections],
            )
            await write_comments(db, chosen, article.comments)
            await self._store.search.index(db, chosen, article)
            if guild_id is not None:
                await db.execute(
                    "INSERT INTO article_guilds (article_id, guild_id) VALUES (?, ?)", (chosen, guild_id)
                )
        return dataclasses.replace(article, id=chosen)

    async def _keys(self, guild_id: int | None) -> list[str]:
        """The keys of the articles listed in a server (every article for ``None``), oldest first."""
        where, params = ("", ()) if guild_id is None else (f" WHERE {LISTED_IN}", (guild_id, guild_id))
        async with self._store.db.execute(
            f"SELECT a.id FROM articles a{where} ORDER BY a.rowid", params
        ) as cursor:
            return [str(row["id"]) for row in await cursor.fetchall()]

    async def taken_ids(self, guild_id: int | None) -> set[str]:
        """The ids a new article may not take: those listed in the server (the shared library's
        included); for ``None`` (the shared library, listed everywhere) every server's."""
        return {article_slug(key) for key in await self._keys(guild_id)}

    async def resolve(self, guild_id: int, article_id: str) -> str:
        """The key of the article a member of this server names ``article_id`` (its id there, or
        ``SERVER/ID`` for this server); :class:`NotFoundError` worded as for an id that exists
        nowhere when no article listed here has it (another server's are not looked at)."""
        found = [
            key for key in guild_keys(guild_id, article_id) if await self.listed_in_by_key(guild_id, key)
        ]
        if not found:
            raise NotFoundError(UNKNOWN.format(article_id))
        return found[0]

    async def find(self, reference: str) -> str:
        """The key of the article the operator names ``reference``: ``ID`` where one article has
        that id (or the shared library has it: its ids are taken in every server), else
        ``SERVER/ID``, the article with that id in that server; a one-line error listing the
        choices when ``ID`` is in several servers."""
        slug = self._operator_slug(reference)
        if slug is None:
            return await self._in_named_server(reference)
        async with self._store.db.execute(
            "SELECT a.id, (SELECT min(g.guild_id) FROM article_guilds g WHERE g.article_id = a.id) AS owner_"
            f" FROM articles a WHERE {NAMED} ORDER BY a.rowid",
            (slug, f"%/{slug}"),
        ) as cursor:
            return chosen_key(slug, await cursor.fetchall())

    async def named(self, reference: str) -> Article:
        """The article the operator names ``reference`` (as :meth:`find` chooses it), read whole in
        the statement that finds it: one trip, where finding then reading took two."""
        slug = self._operator_slug(reference)
        if slug is None:
            return await self.get(await self._in_named_server(reference))
        rows = await self._store.db.execute_fetchall(
            f"{whole_sql(self._store.dialect, NAMED, owner=True)} ORDER BY a.rowid", (slug, f"%/{slug}")
        )
        key = chosen_key(slug, rows)
        return article_of(next(row for row in rows if row["id"] == key))

    @staticmethod
    def _operator_slug(reference: str) -> str | None:
        """The id of an operator's ``ID``; None for ``SERVER/ID`` (looked up in that server)."""
        match = REFERENCE.match(reference)
        if match is None:
            raise NotFoundError(f"no article with id {reference!r} (see `readalong list` or /articles)")
        return None if match["server"] is not None else str(match["slug"])

    async def _in_named_server(self, reference: str) -> str:
        """The key of the operator's ``SERVER/ID``: the article with that id in that server."""
        match = REFERENCE.match(reference)
        assert match is not None and match["server"] is not None
        try:
            return await self.resolve(int(match["server"]), reference)
        except NotFoundError:
            raise NotFoundError(
                f"no article with id {match['slug']!r} in server {match['server']} (see `readalong list`)"
            ) from None

    async def references(self) -> dict[str, str]:
        """Each article's key → how the operator names it: its id where no other article has it,
        else ``SERVER/ID`` (see :meth:`find`)."""
        async with self._store.db.execute(
            "SELECT a.id, (SELECT min(g.guild_id) FROM article_guilds g WHERE g.article_id = a.id) AS owner"
            " FROM articles a"
        ) as cursor:
            rows = [(str(row["id"]), row["owner"]) for row in await cursor.fetchall()]
        counts: dict[str, int] = {}
        for key, _ in rows:
            counts[article_slug(key)] = counts.get(article_slug(key), 0) + 1
        named = {}
        for key, owner in rows:
            slug = article_slug(key)
            server = owner if owner is not None else key.partition("/")[0] if "/" in key else None
            named[key] = slug if server is None or counts[slug] == 1 else server_key(int(server), slug)
        return named

    async def get(self, article_id: str) -> Article:
        """The article, or :class:`NotFoundError` naming the id: with its sections, comments and
        their quotes, in one statement (one trip to a server; each question reads it)."""
        async with self._store.db.execute(
            whole_sql(self._store.dialect, "a.id = ?"), (article_id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            raise NotFoundError(f"no article with id {article_id!r} (see `readalong list` or /articles)")
        return article_of(row)

    async def listed_in_by_key(self, guild_id: int, key: str) -> bool:
        """Whether the article stored under ``key`` is listed in this server (imported or posted
        there, or shared)."""
        async with self._store.db.execute(
            f"SELECT 1 FROM articles a WHERE a.id = ? AND {LISTED_IN}", (key, guild_id, guild_id)
        ) as cursor:
            return await cursor.fetchone() is not None

    async def listed_in(self, guild_id: int, article_id: str) -> bool:
        """Whether an article with this id is listed in this server."""
        try:
            await self.resolve(guild_id, article_id)
        except NotFoundError:
            return False
        return True

    async def in_guild(self, guild_id: int, article_id: str) -> Article:
        """The article with this id in this server (see :meth:`resolve`); else
        :class:`NotFoundError`, worded as for an article that does not exist. Found and read whole
        in one statement (one trip, where resolving then reading took two or three)."""
        keys = guild_keys(guild_id, article_id)
        rows = await self._store.db.execute_fetchall(
            whole_sql(self._store.dialect, f"a.id IN (?, ?) AND {LISTED_IN}"), (*keys, guild_id, guild_id)
        )
        by_key = {row["id"]: row for row in rows}
        for key in keys:
            if key in by_key:
                return article_of(by_key[key])
        raise NotFoundError(UNKNOWN.format(article_id))

    async def list(self, guild_id: int | None = None) -> list[ArticleSummary]:
        """The articles listed in a server (every article for ``None``: the operator), newest
        import first."""
        where, params = ("", ()) if guild_id is None else (f" WHERE {LISTED_IN}", (guild_id, guild_id))
        async with self._store.db.execute(
            "SELECT a.id, a.title, a.author, a.imported_at,"
            " (SELECT count(*) FROM sections s WHERE s.article_id = a.id) AS n_sections,"
            " (SELECT count(*) FROM comments c WHERE c.article_id = a.id) AS n_comments"
            f" FROM articles a{where} ORDER BY a.imported_at DESC, a.rowid DESC",
            params,
        ) as cursor:
            return [
                ArticleSummary(
                    r["id"], r["title"], r["author"], r["n_sections"], r["n_comments"], r["imported_at"]
                )
                for r in await cursor.fetchall()
            ]

    async def count(self) -> int:
        """How many articles are stored."""
        async with self._store.db.execute("SELECT count(*) FROM articles") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def same_content(self, digest: str, guild_id: int | None) -> str | None:
        """The id of the oldest article with this content hash that the asker can see: listed in
        this server, or any for ``None`` (the operator). An identical article imported only in
        another server is not reported, so what another server imported does not leak."""
        where, params = ("", ()) if guild_id is None else (f" AND {LISTED_IN}", (guild_id, guild_id))
        async with self._store.db.execute(
            f"SELECT a.id FROM articles a WHERE a.content_hash = ?{where} ORDER BY a.rowid LIMIT 1",
            (digest, *params),
        ) as cursor:
            row = await cursor.fetchone()
        return str(row["id"]) if row else None

    async def unhashed(self) -> tuple[str, ...]:
        """Articles stored before content hashes were kept (migration 0010)."""
        async with self._store.db.execute("SELECT id FROM articles WHERE content_hash IS NULL") as cursor:
            return tuple(str(row["id"]) for row in await cursor.fetchall())

    async def set_hash(self, article_id: str, digest: str) -> None:
        """Record the content hash of an article imported before hashes were kept, so a re-import of the same
        content finds it."""
        async with self._store.transaction() as db:
            await db.execute("UPDATE articles SET content_hash = ? WHERE id = ?", (digest, article_id))

    async def owners(self, article_id: str) -> set[int]:
        """The servers the article was imported in; empty for the operator's shared library."""
        async with self._store.db.execute(
            "SELECT guild_id FROM article_guilds WHERE article_id = ?", (article_id,)
        ) as cursor:
            return {int(row["guild_id"]) for row in await cursor.fetchall()}

    async def remove_from_guild(self, article_id: str, guild_id: int, *, archive: bool) -> Removed:
        """Remove the article from one server, in one transaction: that server's postings of it
        (and, with ``archive``, the messages archived from their channels and threads and the
        questions asked about it there) and its import there. The article itself is deleted only
        when nothing else holds it: no other server imported, posted or archived it, and it is not
        the operator's shared library (an article no server imported). Other servers' postings,
        archives and library entries are never touched."""
        async with self._store.transaction() as db:
            async with db.execute(
                "SELECT id FROM postings WHERE article_id = ? AND guild_id = ?", (article_id, guild_id)
            ) as cursor:
                posting_ids = [int(row["id"]) for row in await cursor.fetchall()]
            async with db.execute(
                "SELECT 1 FROM article_guilds WHERE article_id = ? LIMIT 1", (article_id,)
            ) as cursor:
                owned = await cursor.fetchone() is not None
            marks = ",".join("?" * len(posting_ids))
            messages = questions = 0
            if archive:
                threads: list[int] = []
                if posting_ids:
                    async with db.execute(
                        f"SELECT DISTINCT thread_id FROM posting_items WHERE posting_id IN ({marks})"
                        " AND thread_id IS NOT NULL",
                        posting_ids,
                    ) as cursor:
                        threads = [int(row["thread_id"]) for row in await cursor.fetchall()]
                thread_marks = ",".join("?" * len(threads))
                in_threads = f" OR channel_id IN ({thread_marks})" if threads else ""
                cursor = await db.execute(
                    f"DELETE FROM messages WHERE guild_id = ? AND (article_id = ?{in_threads})",
                    (guild_id, article_id, *threads),
                )
                messages = cursor.rowcount
                if threads:
                    await db.execute(
                        f"DELETE FROM threads WHERE guild_id = ? AND id IN ({thread_marks})",
                        (guild_id, *threads),
                    )
                cursor = await db.execute(
                    "DELETE FROM asks WHERE guild_id = ? AND article_id = ?", (guild_id, article_id)
                )
                questions = cursor.rowcount
            if posting_ids:
                await db.execute(f"DELETE FROM postings WHERE id IN ({marks})", posting_ids)
            await db.execute(
                "DELETE FROM article_guilds WHERE article_id = ? AND guild_id = ?", (article_id, guild_id)
            )
            async with db.execute(
                "SELECT EXISTS (SELECT 1 FROM article_guilds WHERE article_id = ?)"
                " OR EXISTS (SELECT 1 FROM postings WHERE article_id = ?)"
                " OR EXISTS (SELECT 1 FROM messages WHERE article_id = ?) AS held",
                (article_id, article_id, article_id),
            ) as cursor:
                row = await cursor.fetchone()
            held = bool(row["held"]) if row else True
            deleted = owned and not held
            if deleted:
                await db.execute("DELETE FROM asks WHERE article_id = ?", (article_id,))
                await db.execute("DELETE FROM articles WHERE id = ?", (article_id,))
        self._store.search.forget(article_id)
        return Removed(len(posting_ids), messages, questions, deleted)
