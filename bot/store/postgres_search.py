"""Full-text search on PostgreSQL: ``tsvector`` columns under ``readalong_porter`` (FTS5's porter
stemmer, no stop words; PostgreSQL migration 0005) and their GIN indexes, where SQLite has FTS5
tables, ranked by FTS5's own BM25 so both backends answer alike.

PostgreSQL finds the rows (``tsv @@ query`` through the GIN index, or an article's passages through
``passages_by_article`` first); the score is then worked out in SQL exactly as FTS5's ``bm25()``
works it out (k1 = 1.2, b = 0.75; each quoted term a phrase; ``idf = ln((N - n + 0.5) / (n +
0.5))``, at least 1e-6; N and the average length over the whole table, n the rows holding the
term; a row's length its count of words, kept in a generated ``tokens`` column): a term's
frequency in a row is the number of positions its lexeme has in the row's ``tsvector``. Searches
read that number from ``ts_rank`` of the term's lexeme, which depends on nothing else
(:func:`bot.store.postgres_bm25.count_from_rank`, which the server confirms once for every
count), in C, instead of counting the row's entries as text (with the rest of issue 26's second pass,
an archive search's statements take a fifth of the time they took: docs/scale.md).
``ts_rank_cd`` was not used: it weighs proximity and ignores rarity.

A question (:meth:`PostgresSearchQueries.candidates`) is one statement: the question's word
counts within the article and the best passages, BM25's N, average length and n read from the
counts migration 0005's triggers keep as passages are written (a few rows, whatever the
library's size). Archive searches (messages, comments) count N, the average length and each
term's n over their table, kept for :data:`TOTALS_SECONDS`.

What still differs from FTS5 (``porter unicode61``), each small:

- Words: PostgreSQL's parser keeps ``example.com``, ``u.s`` or ``1.5`` as one word where FTS5's
  unicode61 sees two (a hyphenated word is indexed as its parts, as unicode61 does); unicode61
  also folds diacritics (``café`` is ``cafe``), PostgreSQL does not. The ``tokens`` column counts
  runs of letters and digits as unicode61 does, with the database's character classes (under a
  ``C`` locale, letters outside ASCII are not letters, so a row in another script counts short).
- A term of several lexemes (rare: the question's terms are runs of letters and digits) is held
  as often as its lexemes are on average, where FTS5 counts the phrase's occurrences.
- Archive totals: N, the average length and each term's n of messages and comments are kept for
  :data:`TOTALS_SECONDS` (this process's own writes count them afresh at once).
- Positions: ``to_tsvector`` keeps at most 255 positions per word, so a term said more than 255
  times in one row counts 255 times (a passage is a sentence; a message at most 4,000 characters).
- Ties: rows of equal score come lowest id first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.domain.article import Article
from bot.domain.passage import ArchiveHit, Hit, MessageHit, Passage
from bot.domain.viewer import Viewer
from bot.store.articles import LISTED_IN
from bot.store.connection import Connection, Row
from bot.store.messages import visible_to_array
from bot.store.postgres_bm25 import COUNTS_CHECKED_SQL, Params, match_terms, scored, terms_cte
from bot.store.search import SearchQueries

if TYPE_CHECKING:
    from bot.store.db import Store

TOTALS_SECONDS = 30.0
"""How long, for archive searches, a table's row count and average length (FTS5's N and avgdl)
and the number of rows holding each term searched (n) are kept: counting them reads every row
(or every row holding the term), yet they change little from one search to the next. This
process's own writes count them afresh at once: comments when an article is indexed, messages
when messages are stored. Another process's writes, an edit or a purge are seen within this
many seconds; until then scores differ from FTS5's by the few rows' share."""
COUNTED = "(SELECT CAST(json_object_agg(w.i, w.n) AS TEXT) FROM weights w)"
"""Each term's n as the search counted it (or was given it), for the next searches."""
_COLUMNS = ("id", "article_id", "source", "section", "comment", "position", "start", '"end"', "text")


def _passage(row: Row, prefix: str = "") -> Passage:
    return Passage(
        row[f"{prefix}source"],
        row[f"{prefix}section"],
        row[f"{prefix}comment"],
        row[f"{prefix}position"],
        row[f"{prefix}start"],
        row[f"{prefix}end"],
        row[f"{prefix}text"],
    )


def _in_articles(params: Params, article_ids: Sequence[str]) -> str:
    """The condition that row ``x`` is a passage of these articles (of one: an equality, which a
    plan made for any value estimates as one article's rows; of several, rarer, the array is a
    plain parameter, as ``= ANY`` of a subquery would compare each row with the whole array)."""
    if len(article_ids) == 1:
        return f"x.article_id = {params.typed(article_ids[0], 'TEXT')}"
    return f"x.article_id = ANY(CAST({params.add(list(article_ids))} AS TEXT[]))"


def _best(
    params: Params, article_ids: Sequence[str] | None, terms: Sequence[str], limit: int, *, ranked: bool
) -> str:
    """The WITH clause whose ``hit`` holds the best ``limit`` passages matching ``terms`` (of
    these articles, or of all), each row a hit (``p_``) beside one of its neighbours (``n_``) in
    the same text, if any. The page is cut before any text is joined; ``limit`` is written in
    the statement (a plan made for any limit would expect a tenth of the table and hash-join
    all of ``passages`` to the page). ``ranked``: frequencies from ``ts_rank`` (see
    :func:`~bot.store.postgres_bm25.scored`)."""
    scope = "TRUE" if article_ids is None else _in_articles(params, article_ids)
    rows = None
    if article_ids is not None and len(article_ids) == 1:
        rows = f"(SELECT x.passages FROM article_passage_counts x WHERE {scope})"
    with_clause = scored(
        "passages", ["id"], scope, params=params, terms=terms, totals=None, ranked=ranked, scope_rows=rows
    )
    columns = ", ".join(f"{a}.{c} AS {a}_{c.strip(chr(34))}" for a in ("p", "n") for c in _COLUMNS)
    return (
        f"{with_clause}, best AS (SELECT id, score FROM scored ORDER BY score DESC, id"
        f" LIMIT {int(limit)}), hit AS ("
        f" SELECT {columns}, best.score FROM best JOIN passages p ON p.id = best.id"
        " LEFT JOIN passages n ON n.article_id = p.article_id AND n.source = p.source"
        " AND n.comment IS NOT DISTINCT FROM p.comment"
        " AND n.position IN (p.position - 1, p.position + 1))"
    )


def _hits(rows: Iterable[Row]) -> list[Hit]:
    """The hits of ``_best``'s rows (in order; rows without a hit skipped), each with the
    passages before and after it."""
    hits: dict[int, Hit] = {}
    for row in rows:
        if row["p_id"] is None:
            continue
        hit = hits.get(row["p_id"])
        if hit is None:
            hit = hits[row["p_id"]] = Hit(
                row["p_id"], row["p_article_id"], _passage(row, "p_"), float(row["score"])
            )
        if row["n_id"] is None:
            continue
        side = "before" if row["n_position"] < row["p_position"] else "after"
        hits[row["p_id"]] = Hit(
            hit.id,
            hit.article_id,
            hit.passage,
            hit.score,
            _passage(row, "n_") if side == "before" else hit.before,
            _passage(row, "n_") if side == "after" else hit.after,
        )
    return list(hits.values())


def _frequencies(params: Params, article_ids: Sequence[str] | None, terms: Sequence[str]) -> tuple[str, str]:
    """How many passages these articles (or all) have (a scalar subquery), and the CTEs ``dq``
    and ``df`` (``i``, ``n``: how many of those passages hold each term), from the counts the
    triggers keep; a term of several lexemes (rare) is counted among the passages."""
    if article_ids is None:
        total = "SELECT COALESCE(sum(passages), 0) FROM passage_counts"
        held = "SELECT s.passages FROM passage_lexemes s WHERE s.lexeme = dq.lexemes[1]"
        scope = "TRUE"
    else:
        scope = _in_articles(params, article_ids)
        total = f"SELECT COALESCE(sum(x.passages), 0) FROM article_passage_counts x WHERE {scope}"
        held = f"SELECT sum(x.passages) FROM article_lexemes x WHERE {scope} AND x.lexeme = dq.lexemes[1]"
    counted = (
        f"dq AS ({terms_cte(params.typed(list(terms), 'TEXT[]'))}), df AS (SELECT dq.i,"
        " CASE WHEN cardinality(dq.lexemes) = 0 THEN 0"
        f" WHEN cardinality(dq.lexemes) = 1 THEN COALESCE(({held}), 0)"
        f" ELSE (SELECT count(*) FROM passages x WHERE {scope} AND x.tsv @@ dq.query) END AS n FROM dq)"
    )
    return total, counted


class PostgresSearchQueries(SearchQueries):
    """The search queries, with full-text search over ``tsvector`` instead of FTS5, scored by
    FTS5's BM25 (see the module's notes for what still differs)."""

    def __init__(self, store: Store) -> None:
        super().__init__(store)
        self._totals_of: dict[str, tuple[float, int, float]] = {}
        """Per table (messages, comments): when counted (monotonic seconds), how many rows, their
        average length in words."""
        self._ranked: bool | None = None
        """Whether a row's frequency of a term is worked out from its ``ts_rank``: the server
        confirmed :func:`~bot.store.postgres_bm25.count_from_rank` (asked once)."""
        self._held_of: dict[str, dict[str, int]] = {}
        """Per table: how many rows hold each term searched since the totals were counted (FTS5's
        n; counting it reads every row that holds the term), forgotten with the totals."""

    async def index(self, db: Connection, article_id: str, article: Article) -> None:
        """Index the article's passages (as on SQLite; the triggers count their words); the
        totals of comments (stored with the article) are counted afresh after."""
        await super().index(db, article_id, article)
        self._totals_of.pop("comments", None)
        self._held_of.pop("comments", None)

    async def index_comments(
        self, db: Connection, article_id: str, comments: Iterable[tuple[int, str]]
    ) -> None:
        """Index comments added or edited after the import (as on SQLite); the comments' totals
        are counted afresh after, as after an import."""
        await super().index_comments(db, article_id, comments)
        self._totals_of.pop("comments", None)
        self._held_of.pop("comments", None)

    def note_discussed(self, article_ids: Iterable[str | None]) -> None:
        """Called by the message queries as readers' messages are stored: the messages' totals
        are counted afresh."""
        super().note_discussed(article_ids)
        self._totals_of.pop("messages", None)
        self._held_of.pop("messages", None)

    async def _totals(self, table: str) -> tuple[int, float]:
        """A table's row count and average length (FTS5's N and avgdl), counted at most every
        :data:`TOTALS_SECONDS`."""
        known = self._totals_of.get(table)
        if known is None or time.monotonic() - known[0] > TOTALS_SECONDS:
            async with self._store.db.execute(
                f"SELECT count(*) AS n, COALESCE(avg(tokens), 0) AS avgdl FROM {table}"
            ) as cursor:
                row = await cursor.fetchone()
            assert row is not None
            known = self._totals_of[table] = (time.monotonic(), int(row["n"]), float(row["avgdl"]))
            self._held_of[table] = {}
        return known[1], known[2]

    async def _counts_from_ranks(self) -> bool:
        """Whether the server's ``ts_rank`` gives each count back through
        :func:`~bot.store.postgres_bm25.count_from_rank` (asked once; if not, frequencies are
        counted from the entries' text)."""
        if self._ranked is None:
            async with self._store.db.execute(COUNTS_CHECKED_SQL, ("a",)) as cursor:
                row = await cursor.fetchone()
            self._ranked = row is not None and row["exact"] is True
        return self._ranked

    def _held(self, table: str, terms: Sequence[str]) -> list[int | None]:
        """How many rows of ``table`` hold each term, where known (None: counted by the search)."""
        held = self._held_of.setdefault(table, {})
        return [held.get(term) for term in terms]

    def _note_held(self, table: str, terms: Sequence[str], counted: str | None) -> None:
        """Keep the counts a search made (``{"i": n}``, 1-based, as JSON) for the next ones."""
        if counted:
            held = self._held_of.setdefault(table, {})
            held.update((terms[int(i) - 1], int(n)) for i, n in json.loads(counted).items())

    async def search(self, article_ids: Sequence[str] | None, match: str, limit: int) -> list[Hit]:
        """The best passages for a MATCH expression, best first: of these articles, or of all.
        An article's passages are read through its index (``passages_by_article``) before any
        is matched, so a question about one article costs the same in a library of any size; the
        statistics BM25 needs are the few rows the triggers keep (one statement, one trip)."""
        terms = match_terms(match)
        if not terms:
            return []
        params = Params(planned_once=True)
        ranked = await self._counts_from_ranks()
        sql = f"{_best(params, article_ids, terms, limit, ranked=ranked)} SELECT * FROM hit ORDER BY score DESC, p_id"
        return _hits(await self._store.db.execute_fetchall(sql, params.values))

    async def document_frequencies(
        self, article_ids: Sequence[str] | None, terms: Sequence[str]
    ) -> tuple[int, list[int]]:
        """How many passages these articles (or all) have, and how many of them hold each term as
        the index matches it, in one query that reads the counts the triggers keep (a term of
        several lexemes, rare, is counted among the articles' passages)."""
        if not terms:
            return 0, []
        params = Params(planned_once=True)
        total, counted = _frequencies(params, article_ids, terms)
        sql = f"WITH {counted} SELECT ({total}) AS total, df.n FROM df ORDER BY df.i"
        rows = list(await self._store.db.execute_fetchall(sql, params.values))
        return int(rows[0]["total"]), [int(r["n"]) for r in rows]

    async def candidates(
        self, article_ids: Sequence[str] | None, terms: Sequence[str], match: str, limit: int
    ) -> tuple[int, list[int], list[Hit]]:
        """:meth:`document_frequencies` and :meth:`search` in one statement: one round trip to
        the server per question instead of two."""
        searched = match_terms(match)
        if not terms or not searched:
            passages, frequencies = await self.document_frequencies(article_ids, terms)
            return passages, frequencies, await self.search(article_ids, match, limit)
        params = Params(planned_once=True)
        best = _best(params, article_ids, searched, limit, ranked=await self._counts_from_ranks())
        total, counted = _frequencies(params, article_ids, terms)
        sql = (
            f"{best}, {counted} SELECT ({total}) AS df_total,"
            # As text[]: asyncpg would look up numeric[] on each new connection.
            " (SELECT CAST(array_agg(df.n ORDER BY df.i) AS TEXT[]) FROM df) AS df_n, hit.*"
            " FROM (SELECT 1) AS one LEFT JOIN hit ON TRUE ORDER BY hit.score DESC, hit.p_id"
        )
        rows = list(await self._store.db.execute_fetchall(sql, params.values))
        return int(rows[0]["df_total"]), [int(n) for n in rows[0]["df_n"]], _hits(rows)

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
        terms = match_terms(match)
        if not terms:
            return []
        params = Params()
        visible, visible_params = visible_to_array(viewer, "x")
        scope = f"x.author_bot = 0 AND x.deleted_at IS NULL AND {params.embed(visible, visible_params)}"
        if article_id is not None:
            scope += f" AND x.article_id = {params.add(article_id)}"
        if author_id is not None:
            scope += f" AND x.author_id = {params.add(author_id)}"
        if quotable:
            scope += " AND x.to_bot = 0"
            if viewer.user_id is not None:
                scope += f" AND x.author_id <> {params.add(viewer.user_id)}"
        with_clause = scored(
            "messages",
            ["id"],
            scope,
            params=params,
            terms=terms,
            totals=await self._totals("messages"),
            held=self._held("messages", terms),
            ranked=await self._counts_from_ranks(),
        )
        sql = (
            f"{with_clause}, best AS (SELECT id, score FROM scored ORDER BY score DESC, id"
            f" LIMIT {params.add(limit)}) SELECT m.id, m.channel_id, m.guild_id, m.article_id, m.section,"
            f" m.author_name, m.content, m.created_at, s.score, {COUNTED} AS counted"
            " FROM best s JOIN messages m ON m.id = s.id ORDER BY s.score DESC, s.id"
        )
        rows = list(await self._store.db.execute_fetchall(sql, params.values))
        if rows:
            self._note_held("messages", terms, rows[0]["counted"])
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
                float(r["score"]),
            )
            for r in rows
        ]

    async def search_comments(
        self, match: str, *, viewer: Viewer, article_id: str | None = None, limit: int = 25
    ) -> list[ArchiveHit]:
        """The articles' original comments matching, best first: part of the article, so seen by
        anyone in a server where the article is listed (the operator: every article's). Each comes
        with its posted message in a comments thread the viewer can see, when there is one."""
        terms = match_terms(match)
        if not terms:
            return []
        dialect = self._store.dialect
        params = Params()
        scope = "TRUE"
        if article_id is not None:
            scope = f"x.article_id = {params.add(article_id)}"
        if viewer.everything:
            posted = "TRUE"
        else:
            guild = params.add(viewer.guild_id)
            listed = LISTED_IN.replace("?", guild)
            scope += f" AND EXISTS (SELECT 1 FROM articles a WHERE a.id = x.article_id AND {listed})"
            channels = params.add(json.dumps(sorted(viewer.channel_ids)))
            posted = f"p.guild_id = {guild} AND i.container_id IN (SELECT j.value FROM {dialect.ids_from_json(channels)})"
        with_clause = scored(
            "comments",
            ["article_id", "idx"],
            scope,
            params=params,
            terms=terms,
            totals=await self._totals("comments"),
            held=self._held("comments", terms),
            ranked=await self._counts_from_ranks(),
        )
        sql = (
            f"{with_clause}, best AS (SELECT article_id, idx, score FROM scored"
            f" ORDER BY score DESC, article_id, idx LIMIT {params.add(limit)})"
            f" SELECT f.article_id, f.idx, c.author, c.posted, c.text, f.score, {COUNTED} AS counted,"
            f" (SELECT {dialect.json_array('p.guild_id', 'i.container_id', 'i.message_id')} FROM posting_items i"
            "  JOIN postings p ON p.id = i.posting_id"
            "  WHERE p.article_id = f.article_id AND i.kind = 'comment' AND i.comment = f.idx"
            f"  AND i.message_id IS NOT NULL AND i.container_id IS NOT NULL AND {posted}"
            "  ORDER BY p.id DESC LIMIT 1) AS posted_as"
            " FROM best f JOIN comments c ON c.article_id = f.article_id AND c.idx = f.idx"
            " ORDER BY f.score DESC, f.article_id, f.idx"
        )
        rows = list(await self._store.db.execute_fetchall(sql, params.values))
        if rows:
            self._note_held("comments", terms, rows[0]["counted"])
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
                    score=float(r["score"]),
                    guild_id=guild_id,
                    channel_id=channel_id,
                    message_id=message_id,
                    comment=r["idx"],
                )
            )
        return hits
