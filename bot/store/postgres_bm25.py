"""FTS5's BM25 written in PostgreSQL's SQL: the WITH clause that finds and scores the rows of a
search, and the parameters it is built with.

Why it is built this way, and what still differs from FTS5, is told in
:mod:`bot.store.postgres_search`, whose queries use it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

K1 = 1.2
"""FTS5's BM25 k1 (``fts5_aux.c``)."""
B = 0.75
"""FTS5's BM25 b."""
MIN_IDF = 1e-6
"""FTS5 gives a term held by more than half the rows this idf instead of a negative one."""

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")


def match_terms(match: str) -> list[str]:
    """The terms of a MATCH expression made by :func:`bot.search.query.match_expression`
    (``"t1" OR "t2"``), in order, each once."""
    return list(dict.fromkeys(t.replace('""', '"') for t in _QUOTED.findall(match)))


class Params:
    """A statement's parameters, numbered as they are added (``?N``), so a value used twice is
    passed once and conditions written with plain ``?`` can be embedded.

    ``planned_once``: the statement is planned once per connection and its plan kept (PostgreSQL's
    generic plan), not planned again for each execution's values. Its typed parameters
    (:meth:`typed`) are then each read through a one-row subquery, which the planner sees as an
    unknown value whatever the values are: planning with the values (a custom plan) then
    estimates exactly what the generic plan does, so after its first five executions PostgreSQL
    keeps the generic plan (``plan_cache_mode = auto`` prefers it when it costs no more than a
    custom plan and its planning). Planning the question's statement took 1.5 ms of its 2 ms;
    its plan (the article's passages and the GIN index together, then the few rows found)
    depends on no value, so one plan serves every question."""

    def __init__(self, *, planned_once: bool = False) -> None:
        self.values: list[object] = []
        self.planned_once = planned_once

    def add(self, value: object) -> str:
        """Add a value; its placeholder (``?N``)."""
        self.values.append(value)
        return f"?{len(self.values)}"

    def typed(self, value: object, sql_type: str) -> str:
        """Add a value; an expression of type ``sql_type`` that reads it (see ``planned_once``)."""
        cast = f"CAST({self.add(value)} AS {sql_type})"
        return f"(SELECT {cast})" if self.planned_once else cast

    def embed(self, sql: str, values: Sequence[object]) -> str:
        """``sql`` with its plain ``?`` parameters numbered after those already added."""
        given = iter(values)

        def number(found: re.Match[str]) -> str:
            return self.add(next(given)) if found.group(0) == "?" else found.group(0)

        numbered = _PLACEHOLDER.sub(number, sql)
        if next(given, None) is not None:
            raise ValueError("more parameters than placeholders")
        return numbered


MAX_COUNT = 255
"""The most positions ``to_tsvector`` keeps of a lexeme in a row (a ``tsvector`` could hold 256):
how often a row can hold a term, as its ``tsv`` tells it."""
_PI2_6 = "CAST(1.6449340668482264 AS DOUBLE PRECISION)"
"""π²/6, the sum of 1/k² over every k."""
_RANK_SCALE = "CAST(16.4493406685 AS DOUBLE PRECISION)"
"""``ts_rank`` divides by 1.64493406685 and weighs a position of weight D 0.1."""


def count_from_rank(rank: str) -> str:
    """How many positions of a lexeme (of weight D, as every ``tsv`` column's are) a row holds,
    from the row's ``ts_rank`` for the lexeme alone (``rank``, a ``real``), in a few operations.

    ``ts_rank`` (``tsrank.c``, ``calc_rank_or``) of k such positions is 0.1 × (1 + 1/4 + … +
    1/k²) / 1.64493406685 (0 when the lexeme is not there) and depends on nothing else; π²/6 −
    (1 + 1/4 + … + 1/k²) is about 1 / (k + 1/2), so k is 1 / (π²/6 − rank × 16.4493406685) − 1/2,
    rounded. The rank is a ``real``: :data:`COUNTS_CHECKED_SQL` has the server confirm, once,
    that this finds every count from 0 to :data:`MAX_COUNT` from the rank its own ``ts_rank``
    gives it, before any search relies on it."""
    rest = f"NULLIF({_PI2_6} - CAST({rank} AS DOUBLE PRECISION) * {_RANK_SCALE}, 0)"
    return f"CAST(LEAST(GREATEST(round(1 / {rest} - 0.5), -1), {MAX_COUNT + 2}) AS INT)"


_HELD_K_TIMES = (
    "CAST(CASE WHEN k = 0 THEN 'b:1' ELSE 'a:' || array_to_string(ARRAY(SELECT generate_series(1, k)), ',')"
    " END AS tsvector)"
)
COUNTS_CHECKED_SQL = (
    f"SELECT bool_and({count_from_rank(f'ts_rank({_HELD_K_TIMES}, CAST(? AS tsquery))')} = k) AS exact"
    f" FROM generate_series(0, {MAX_COUNT}) AS k"
)
"""Whether :func:`count_from_rank` finds each count from 0 to :data:`MAX_COUNT` from this
server's ``ts_rank`` of a lexeme held that many times (parameter: the lexeme, ``'a'``). Asked
once by the search queries; if not, they count the entries as text."""


TERM_SLOTS = 4
"""A statement planned once (:class:`Params`) scores terms in slots of this many: each count of
slots is one statement (and one kept plan per connection, after five made for the values)."""
CONFIG = "readalong_porter"
"""The text search configuration of every ``tsv`` column: FTS5's porter without stop words
(PostgreSQL migration 0005)."""


def or_query(terms: Sequence[str]) -> str:
    """The text of ``to_tsquery`` ORing these terms (each quoted; the terms are runs of letters and
    digits, so they hold no quote)."""
    return " | ".join("'" + term.replace("'", "''") + "'" for term in terms)


def terms_cte(terms: str) -> str:
    """The body of a ``q`` CTE: each term (in order, ``i`` from 1), its query (all its lexemes,
    as FTS5 matches a term of several tokens as a phrase) and its lexemes. ``terms``: a ``TEXT[]``
    expression (:meth:`Params.typed`)."""
    return (
        f"SELECT t.i, t.term, plainto_tsquery('{CONFIG}', t.term) AS query,"
        f" tsvector_to_array(to_tsvector('{CONFIG}', t.term)) AS lexemes"
        f" FROM unnest({terms}) WITH ORDINALITY AS t(term, i)"
    )


def scored(
    table: str,
    key: Sequence[str],
    scope: str,
    *,
    params: Params,
    terms: Sequence[str],
    totals: tuple[int, float] | None,
    held: Sequence[int | None] = (),
    ranked: bool = False,
    scope_rows: str | None = None,
) -> str:
    """The WITH clause of a search: ``scored`` holds each row of ``table`` within ``scope`` (a
    condition on ``x``) that matches a term, by its ``key`` columns, with FTS5's BM25 ``score``
    (positive: higher is better). Rows are found through the GIN index of ``tsv``.

    ``totals`` (N and the average length) given: each term's n is counted over the table (its GIN
    index). None: the table is ``passages``, whose statistics the triggers of migration 0005 keep
    (``passage_counts``, ``passage_lexemes``): a few rows read, whatever the table's size.

    ``ranked``: how often a row holds a term of one lexeme is worked out from the row's ``ts_rank``
    for it (:func:`count_from_rank`, which the server has confirmed), in C, rather than counted
    in the row's entries as text.

    ``scope_rows``: how many rows ``scope`` holds (a scalar subquery). The rows are then found
    by whichever reads less: the GIN index, whose cost is the rows of the whole table holding a
    term (each term's n, known before), or the scope's rows (through its own index) each tested,
    whose cost is their number. A plan kept for every question (:class:`Params`) cannot choose
    for the values; the statement holds both ways, and the one not taken is skipped at its start
    (a one-time filter). An article of 64 passages in a library of 64,000: its 64 rows tested
    (0.65 ms of server CPU for the statement) rather than the thousands of rows the GIN index
    holds for common words (1.1 ms)."""
    keys = ", ".join(f"x.{k}" for k in key)
    found_keys = ", ".join(f"f.{k}" for k in key)
    matches = f"x.tsv @@ to_tsquery('{CONFIG}', {params.typed(or_query(terms), 'TEXT')})"
    counted_n = f"(SELECT count(*) FROM {table} x WHERE x.tsv @@ q.query)"
    if totals is None:
        counted = (
            "SELECT passages AS docs, CAST(tokens AS DOUBLE PRECISION) / GREATEST(passages, 1) AS avgdl"
            " FROM passage_counts"
        )
        n = (
            "CASE WHEN cardinality(q.lexemes) = 1 THEN COALESCE((SELECT s.passages FROM passage_lexemes s"
            f" WHERE s.lexeme = q.lexemes[1]), 0) ELSE {counted_n} END"
        )
    else:
        counted = (
            f"SELECT {params.typed(totals[0], 'BIGINT')} AS docs,"
            f" {params.typed(totals[1], 'DOUBLE PRECISION')} AS avgdl"
        )
        # A count already known (``held``, by term) is not made again.
        # As text, cast here: asyncpg would look up bigint[] on each new connection.
        known = [None if count is None else str(count) for count in held] or [None] * len(terms)
        n = f"COALESCE((CAST({params.typed(known, 'TEXT[]')} AS BIGINT[]))[q.i], {counted_n})"
    # A statement planned once serves every question with as many term slots: padded with NULL
    # terms (no lexeme: no weight, no score), a question of 2 to 8 terms is one of two statements.
    slots = -(-len(terms) // TERM_SLOTS) * TERM_SLOTS if params.planned_once else len(terms)
    listed = [*terms, *[None] * (slots - len(terms))]
    return (
        f"WITH q AS ({terms_cte(params.typed(listed, 'TEXT[]'))}"
        f"), totals AS ({counted}"
        "), weights AS MATERIALIZED ("  # once per term, not once per row found
        " SELECT q.i, q.lexemes, q.query, c.n,"
        f" GREATEST(ln(CAST((totals.docs - c.n + 0.5) / (c.n + 0.5) AS DOUBLE PRECISION)), {MIN_IDF}) AS idf"
        f" FROM q CROSS JOIN totals CROSS JOIN LATERAL (SELECT {n} AS n OFFSET 0) AS c"
        " WHERE cardinality(q.lexemes) > 0"
        f"), found AS ({_found(table, keys, scope, matches, scope_rows)}"
        f"), per_term AS ({_per_term(slots)}"
        f"), scored AS (SELECT {found_keys}, {_score(slots)} AS score"
        " FROM found f CROSS JOIN per_term w"
        f"{_entries(slots, ranked)}"
        f" CROSS JOIN LATERAL (SELECT {_frequencies(slots, ranked)} OFFSET 0) AS h)"
    )


INDEX_READS_PER_ROW = 10
"""How many of the GIN index's entries cost about what testing one row of the scope does (its
entries are read at about 0.2 µs each, a row tested at 2 to 3 µs)."""


def _found(table: str, keys: str, scope: str, matches: str, scope_rows: str | None) -> str:
    """The rows of ``scope`` matching: through the GIN index, or (``scope_rows`` given, and the
    terms' entries in the index many more than the scope's rows) the scope's rows tested."""
    through_index = f"SELECT {keys}, x.tokens, x.tsv FROM {table} x WHERE ({scope}) AND {matches}"
    if scope_rows is None:
        return through_index
    # ``IS TRUE`` (the same rows) is not a condition the GIN index answers: the scope's index is used.
    small = (
        f"(SELECT COALESCE(sum(w.n), 0) FROM weights w) > {INDEX_READS_PER_ROW} * COALESCE({scope_rows}, 0)"
    )
    return (
        f"{through_index} AND NOT {small}"
        f" UNION ALL SELECT {keys}, x.tokens, x.tsv FROM {table} x WHERE ({scope}) AND ({matches}) IS TRUE"
        f" AND {small}"
    )


def _per_term(count: int) -> str:
    """One row: the average length (``avgdl``, at least 1e-9) and each term's lexemes (``l1``…),
    query (``q1``…), idf (``w1``…) and whether it is one lexeme (``o1``…), as columns."""
    return "SELECT (SELECT GREATEST(avgdl, 1e-9) FROM totals) AS avgdl, " + ", ".join(
        f"(SELECT lexemes FROM weights WHERE i = {i}) AS l{i}, (SELECT query FROM weights WHERE i = {i}) AS q{i},"
        f" (SELECT idf FROM weights WHERE i = {i}) AS w{i},"
        f" COALESCE((SELECT cardinality(lexemes) = 1 FROM weights WHERE i = {i}), FALSE) AS o{i}"
        for i in range(1, count + 1)
    )


def _entries(count: int, ranked: bool) -> str:
    """Unless ``ranked`` (the frequency read from ``ts_rank``, :func:`count_from_rank`), the join
    that gives, per term, the row's own entries for the term's lexemes, as text (``e.s1``…:
    ``'oil':3A,7A 'wage':5A``): the row's ``tsv`` with those lexemes marked (setweight) and the
    rest dropped (ts_filter), in C."""
    if ranked:
        return ""  # read in the frequency's own expression, once
    entries = ", ".join(f"{_entries_text(i)} AS s{i}" for i in range(1, count + 1))
    return f" CROSS JOIN LATERAL (SELECT {entries} OFFSET 0) AS e"


def _entries_text(i: int) -> str:
    return f"CAST(ts_filter(setweight(f.tsv, 'A', w.l{i}), '{{a}}') AS TEXT)"


def _counted(i: int, entries: str) -> str:
    """How often the row holds term ``i``, counted from its entries' text (a lexeme is a run of
    letters and digits, so each ``:`` starts a lexeme's positions and each ``,`` adds one),
    counted only if the row holds every lexeme of the term, as often as it holds them on average
    (a term of several lexemes is a phrase to FTS5)."""
    lexemes = f"(length({entries}) - length(replace({entries}, ':', '')))"
    positions = f"(length({entries}) - length(translate({entries}, ':,', '')))"
    return (
        f"CASE WHEN {lexemes} = cardinality(w.l{i}) AND {lexemes} > 0"
        f" THEN CAST({positions} AS DOUBLE PRECISION) / {lexemes} ELSE 0 END"
    )


def _frequencies(count: int, ranked: bool) -> str:
    """Per term, how often the row holds it (``h.t1``…, a double); and BM25's normalization of the
    row's length (``h.norm``), once per row. (The length as a double: the same value as the
    numeric 0.75 × tokens, without numeric's cost.)."""
    norm = f"{K1} * ({1 - B} + {B} * CAST(f.tokens AS DOUBLE PRECISION) / w.avgdl) AS norm"
    return ", ".join([*(f"{_frequency(i, ranked)} AS t{i}" for i in range(1, count + 1)), norm])


def _frequency(i: int, ranked: bool) -> str:
    """How often the row holds term ``i``: ``ranked``, for a term of one lexeme, from the row's
    ``ts_rank`` for it (:func:`count_from_rank`); else, and for a term of several lexemes (rare),
    counted from the entries' text."""
    if not ranked:
        return _counted(i, f"e.s{i}")
    return (
        f"CASE WHEN w.o{i} THEN CAST({count_from_rank(f'ts_rank(f.tsv, w.q{i})')} AS DOUBLE PRECISION)"
        f" WHEN w.l{i} IS NULL THEN 0 ELSE {_counted(i, _entries_text(i))} END"
    )


def _score(count: int) -> str:
    """FTS5's BM25 of a row, one expression (no subquery, sort or hash per row found) of each
    term's idf (``w.w1``…) and frequency in the row (``h.t1``…)."""
    return (
        "("
        + " + ".join(
            f"COALESCE(w.w{i} * h.t{i} * {K1 + 1} / (h.t{i} + h.norm), 0)" for i in range(1, count + 1)
        )
        + ")"
    )
