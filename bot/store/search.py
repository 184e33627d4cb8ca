"""SQL for retrieval: the passage index, the FTS5 ranking, and full-text search over the archive
of readers' messages (the log of questions is :mod:`bot.store.asks`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.articles.passages import article_passages, comment_passages
from bot.domain.article import Article
from bot.domain.passage import ArchiveHit, Hit, MessageHit, Passage
from bot.domain.viewer import Viewer
from bot.store.articles import LISTED_IN
from bot.store.connection import Connection, Row
from bot.store.messages import visible_to

if TYPE_CHECKING:
    from bot.store.db import Store


_TERMS_PER_QUERY = 256
_PASSAGE_COLUMNS = 'p.id, p.article_id, p.source, p.section, p.comment, p.position, p.start, p."end", p.text'


def _passage(row: Row) -> Passage:
    return Passage(
        row["source"], row["section"], row["comment"], row["position"], row["start"], row["end"], row["text"]
    )


class SearchQueries:
    """The full-text index over articles' passages and readers' messages."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._discussed: dict[str, bool] = {}
        """Whether each article asked about has readers' messages. Only this store's message
        queries add messages, and archived messages go only with their article's archive in a
        server (:meth:`forget`), so it stays true until then."""

    def forget(self, article_id: str) -> None:
        """Called by the article queries when an article is removed from a server (its archive
        there perhaps, the article itself perhaps): whether it is discussed is looked up again. Its
        passages go with it; one imported later under the same id is indexed as it is stored."""
        self._discussed.pop(article_id, None)

    def note_discussed(self, article_ids: Iterable[str | None]) -> None:
        """Called by the message queries as readers' messages are stored."""
        self._discussed.update((a, True) for a in article_ids if a is not None)

    async def discussed(self, article_id: str) -> bool:
        """Whether readers have said anything about the article: looked up once, then kept up to
        date, so a question about an undiscussed article does not search the discussion."""
        known = self._discussed.get(article_id)
        if known is None:
            async with self._store.db.execute(
                "SELECT 1 FROM messages WHERE article_id = ? AND author_bot = 0 LIMIT 1", (article_id,)
            ) as cursor:
                found = await cursor.fetchone() is not None
            # setdefault: a message stored while we looked has already said True.
            known = self._discussed.setdefault(article_id, found)
        return known

    async def index(self, db: Connection, article_id: str, article: Article) -> None:
        """Index the article's passages under ``article_id``, inside the transaction (``db``) that
        stores it: an article is searchable from the moment it exists, and no question writes.
        Its sentences are cut in a thread: thousands of comments take a second or more of CPU,
        which would hold every other coroutine (the gateway's heartbeat too)."""
        passages = await asyncio.to_thread(article_passages, article)
        await self._insert(db, article_id, passages)

    async def index_comments(
        self, db: Connection, article_id: str, comments: Iterable[tuple[int, str]]
    ) -> None:
        """Index comments (number, words) added to a stored article or edited, inside the
        transaction (``db``) that stores them, as :meth:`index` does at the import; an edited
        comment's old passages must be deleted first."""
        passages = [p for index, text in comments for p in comment_passages(index, text)]
        await self._insert(db, article_id, passages)

    async def _insert(self, db: Connection, article_id: str, passages: Sequence[Passage]) -> None:
        await db.executemany(
            'INSERT INTO passages (article_id, source, section, comment, position, start, "end", text)'
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (article_id, p.source, p.section, p.comment, p.position, p.start, p.end, p.text)
                for p in passages
            ],
        )

    async def unindexed(self) -> list[str]:
        """The articles without passages: stored before articles were indexed at import (their
        first question indexed them then), or with no sentence at all."""
        rows = await self._store.db.execute_fetchall(
            "SELECT a.id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.article_id = a.id)"
            " ORDER BY a.id"
        )
        return [r["id"] for r in rows]

    async def index_missing(self) -> int:
        """Index the articles a database from before indexing at import lacks (when the store is
        opened for writing, after its migrations: a migration in SQL cannot cut sentences).
        Returns how many were indexed."""
        done = 0
        for article_id in await self.unindexed():
            article = await self._store.articles.get(article_id)
            async with self._store.transaction() as db:
                async with db.execute(
                    "SELECT 1 FROM passages WHERE article_id = ? LIMIT 1", (article_id,)
                ) as cursor:
                    if await cursor.fetchone() is not None:
                        continue  # another process indexed it meanwhile
                await self.index(db, article_id, article)
                done += 1
        return done

    async def search(self, article_ids: Sequence[str] | None, match: str, limit: int) -> list[Hit]:
        """The best passages for a MATCH expression, best first: of these articles, or of all.

        FTS5 scores every passage that matches before it can sort, so the cost grows with what
        it must look at. An article's passages are inserted together and so hold consecutive
        ids: one article is searched within its id range, which FTS5 narrows to before scoring,
        so its questions stay as fast in a library of 100k passages as in an empty store.
        """
        params: list[object] = [match]
        if article_ids is None:
            scope = ""
        elif len(article_ids) == 1:
            scope = (
                " AND rowid BETWEEN (SELECT min(id) FROM passages WHERE article_id = ?)"
                " AND (SELECT max(id) FROM passages WHERE article_id = ?)"
            )
            params += [article_ids[0], article_ids[0]]
        else:
            marks = ",".join("?" * len(article_ids))
            scope = f" AND rowid IN (SELECT id FROM passages WHERE article_id IN ({marks}))"
            params += article_ids
        # Each hit comes back with the rows just before and after it (ids one off), in one query.
        sql = (
            f"SELECT {_PASSAGE_COLUMNS}, f.rowid AS hit, f.score FROM ("
            "SELECT rowid, bm25(passages_fts) AS score FROM passages_fts"
            f" WHERE passages_fts MATCH ?{scope} ORDER BY score LIMIT ?"
            ") AS f JOIN passages p ON p.id BETWEEN f.rowid - 1 AND f.rowid + 1"
        )
        rows = await self._store.db.execute_fetchall(sql, (*params, limit))  # one trip to the thread
        by_id = {r["id"]: r for r in rows}
        hits = []
        for row in rows:
            if row["id"] != row["hit"]:
                continue
            around = [by_id.get(row["id"] + step) for step in (-1, 1)]
            before, after = (
                _passage(other)
                if other is not None
                and other["article_id"] == row["article_id"]
                and other["source"] == row["source"]
                and other["comment"] == row["comment"]
                else None
                for other in around
            )
            hits.append(Hit(row["id"], row["article_id"], _passage(row), -row["score"], before, after))
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    async def candidates(
        self, article_ids: Sequence[str] | None, terms: Sequence[str], match: str, limit: int
    ) -> tuple[int, list[int], list[Hit]]:
        """What a question needs from the index, together: :meth:`document_frequencies` of
        ``terms`` and :meth:`search` for ``match``. A backend across a network answers both in one
        statement (one round trip); here, in the process, they are two."""
        passages, frequencies = await self.document_frequencies(article_ids, terms)
        return passages, frequencies, await self.search(article_ids, match, limit)

    async def document_frequencies(
        self, article_ids: Sequence[str] | None, terms: Sequence[str]
    ) -> tuple[int, list[int]]:
        """How many passages these articles (or all) have, and how many of them hold each term,
        as the index matches it (stemmed by FTS5 itself): what weighs a question's words by how
        rare they are in the article. One query; each count is narrowed like :meth:`search`'s.

        ``terms`` are plain words (``bot.search.query.query_terms``), each matched as a phrase."""
        if not terms:
            return 0, []
        if article_ids is None:
            total, scope, params, counted = "SELECT count(*) FROM passages", "", [], []
        elif len(article_ids) == 1:
            total = "SELECT count(*) FROM passages WHERE article_id = ?"
            scope = (
                " AND rowid BETWEEN (SELECT min(id) FROM passages WHERE article_id = ?)"
                " AND (SELECT max(id) FROM passages WHERE article_id = ?)"
            )
            params, counted = [article_ids[0], article_ids[0]], [article_ids[0]]
        else:
            marks = ",".join("?" * len(article_ids))
            total = f"SELECT count(*) FROM passages WHERE article_id IN ({marks})"
            scope = f" AND rowid IN (SELECT id FROM passages WHERE article_id IN ({marks}))"
            params = counted = list(article_ids)
        each = f"SELECT ? AS term, count(*) AS n FROM passages_fts WHERE passages_fts MATCH ?{scope}"
        counts: dict[int, int] = {}
        # A compound SELECT holds at most 500 parts; a question has at most 32 terms, in one trip.
        for first in range(0, len(terms), _TERMS_PER_QUERY):
            chunk = terms[first : first + _TERMS_PER_QUERY]
            sql = f"SELECT -1 AS term, ({total}) AS n" + f" UNION ALL {each}" * len(chunk)
            values: list[object] = list(counted)
            for index, term in enumerate(chunk, start=first):
                values += [index, '"' + term.replace('"', '""') + '"', *params]
            rows = await self._store.db.execute_fetchall(sql, values)
            counts.update((int(r["term"]), int(r["n"])) for r in rows)
        return counts.pop(-1), [counts[i] for i in range(len(terms))]

    async def search_messages(
        self,
        match: str,
        *,
        viewer: Viewer,
        article_id: str | None = None,
        author_id: int | None = None,
        limit: int = 25,
        quotable: bool = False,
    ) -> list[MessageHit]:
        """Readers' messages (not the bot's, not deleted) that ``viewer`` may see, matching, best
        first. ``quotable``: only those fit to quote as an answer to the viewer, so not the
        viewer's own messages and not messages addressed to the bot (questions, not answers)."""
        visible, scope = visible_to(viewer, self._store.dialect, "m")
        sql = (
            "SELECT m.id, m.channel_id, m.guild_id, m.article_id, m.section, m.author_name, m.content,"
            " m.created_at, bm25(messages_fts) AS rank FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
            " WHERE messages_fts MATCH ? AND m.author_bot = 0 AND m.deleted_at IS NULL"
            f" AND {visible}"
            " AND (CAST(? AS TEXT) IS NULL OR m.article_id = ?) AND (CAST(? AS BIGINT) IS NULL OR m.author_id = ?)"
        )
        params: tuple[object, ...] = (match, *scope, article_id, article_id, author_id, author_id)
        if quotable:
            sql += " AND m.to_bot = 0 AND (CAST(? AS BIGINT) IS NULL OR m.author_id != ?)"
            params += (viewer.user_id, viewer.user_id)
        async with self._store.db.execute(sql + " ORDER BY rank LIMIT ?", (*params, limit)) as cursor:
            rows = await cursor.fetchall()
        return [
            MessageHit(
                r["id"],
                r["channel_id"],
                r["guild_id"],
                r["article_id"],
                r["section"],
                r["author_name"],
                r["content"],
                r["created_at"],
                -r["rank"],
            )
            for r in rows
        ]

    # -- The archive's search and exports (issue 15) --------------------------------------------

    async def search_comments(
        self, match: str, *, viewer: Viewer, article_id: str | None = None, limit: int = 25
    ) -> list[ArchiveHit]:
        """The articles' original comments matching, best first: part of the article, so seen by
        anyone in a server where the article is listed (the operator: every article's). Each comes
        with its posted message in a comments thread the viewer can see, when there is one."""
        dialect = self._store.dialect
        listed_params: tuple[object, ...] = ()
        posted_params: tuple[object, ...] = ()
        if viewer.everything:
            listed, posted = "TRUE", "TRUE"
        else:
            listed = f"EXISTS (SELECT 1 FROM articles a WHERE a.id = comments_fts.article_id AND {LISTED_IN})"
            listed_params = (viewer.guild_id, viewer.guild_id)
            posted = (
                f"p.guild_id = ? AND i.container_id IN (SELECT j.value FROM {dialect.ids_from_json('?')})"
            )
            posted_params = (viewer.guild_id, json.dumps(sorted(viewer.channel_ids)))
        # The best matches first (FTS5 scores, sorts and cuts to ``limit``), then only those are
        # joined to their comment and looked up among the postings.
        sql = (
            "SELECT f.article_id, f.idx, c.author, c.posted, c.text, f.rank,"
            f" (SELECT {dialect.json_array('p.guild_id', 'i.container_id', 'i.message_id')} FROM posting_items i"
            "  JOIN postings p ON p.id = i.posting_id"
            "  WHERE p.article_id = f.article_id AND i.kind = 'comment' AND i.comment = f.idx"
            f"  AND i.message_id IS NOT NULL AND i.container_id IS NOT NULL AND {posted}"
            "  ORDER BY p.id DESC LIMIT 1) AS posted_as"
            " FROM (SELECT article_id, idx, bm25(comments_fts) AS rank FROM comments_fts"
            "  WHERE comments_fts MATCH ? AND (CAST(? AS TEXT) IS NULL OR article_id = ?)"
            f"  AND {listed} ORDER BY rank LIMIT ?) AS f"
            " JOIN comments c ON c.article_id = f.article_id AND c.idx = f.idx ORDER BY f.rank"
        )
        params = (*posted_params, match, article_id, article_id, *listed_params, limit)
        async with self._store.db.execute(sql, params) as cursor:
            rows = await cursor.fetchall()
        hits = []
        for r in rows:
            guild_id, channel_id, message_id = json.loads(r["posted_as"]) if r["posted_as"] else (None,) * 3
            hits.append(
                ArchiveHit(
                    article_id=r["article_id"],
                    author_name=r["author"],
                    content=r["text"],
                    created_at=r["posted"],
                    place="Comments",
                    score=-r["rank"],
                    guild_id=guild_id,
                    channel_id=channel_id,
                    message_id=message_id,
                    comment=r["idx"],
                )
            )
        return hits

    async def comments_threads(self, channel_ids: Iterable[int]) -> set[int]:
        """Which of these channels are an article's comments thread (or forum post)."""
        wanted = json.dumps(sorted(set(channel_ids)))
        async with self._store.db.execute(
            "SELECT DISTINCT thread_id FROM posting_items WHERE kind = 'comments'"
            f" AND thread_id IN (SELECT j.value FROM {self._store.dialect.ids_from_json('?')})",
            (wanted,),
        ) as cursor:
            return {int(r[0]) for r in await cursor.fetchall()}
