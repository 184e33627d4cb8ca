"""FTS5's BM25 written in PostgreSQL's SQL: the WITH clause that finds and scores the rows of a
search, and the parameters it is built with.

Why it is built this way, and what still differs from FTS5, is told in
:mod:`bot.store.postgres_search`, whose queries use it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

K1 = 1.2
"""FTS5's BM25 k1 (``fts5_aux.c``)."""
B = 0.75
"""FTS5's BM25 b."""
MIN_IDF = 1e-6
"""FTS5 gives a term held by more than half the rows this idf instead of a negative one."""
MAX_POSITIONS = 256
"""A ``tsvector`` holds at most this many positions of a lexeme (``to_tsvector`` keeps 255)."""

_QUOTED = re.compile(r'"((?:[^"]|"")*)"')
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?")


def match_terms(match: str) -> list[str]:
    """The terms of a MATCH expression made by :func:`bot.search.query.match_expression`
    (``"t1" OR "t2"``), in order, each once."""
    return list(dict.fromkeys(t.replace('""', '"') for t in _QUOTED.findall(match)))


class Params:
    """A statement's parameters, numbered as they are added (``?N``), so a value used twice is
    passed once and conditions written with plain ``?`` can be embedded."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def add(self, value: object) -> str:
        """Add a value; its placeholder (``?N``)."""
        self.values.append(value)
        return f"?{len(self.values)}"

    def embed(self, sql: str, values: Sequence[object]) -> str:
        """``sql`` with its plain ``?`` parameters numbered after those already added."""
        given = iter(values)

        def number(found: re.Match[str]) -> str:
            return self.add(next(given)) if found.group(0) == "?" else found.group(0)

        numbered = _PLACEHOLDER.sub(number, sql)
        if next(given, None) is not None:
            raise ValueError("more parameters than placeholders")
        return numbered


RANKS_SQL = (
    "SELECT array_agg(ts_rank(CAST('a:' || array_to_string(ARRAY(SELECT generate_series(1, k)), ',')"
    f" AS tsvector), CAST('a' AS tsquery)) ORDER BY k) AS ranks FROM generate_series(1, {MAX_POSITIONS}) AS k"
)
"""``ts_rank`` of a lexeme held 1, 2, … 256 times (a ``tsvector`` holds at most 256 positions of a
lexeme), read from the server once: :func:`scored` finds a row's frequency of a term there."""
_PI2_6 = "CAST(1.6449340668482264 AS DOUBLE PRECISION)"
"""π²/6, the sum of 1/k² over every k."""
_RANK_SCALE = "CAST(16.4493406685 AS DOUBLE PRECISION)"
"""``ts_rank`` divides by 1.64493406685 and weighs a position of weight D 0.1."""
_SHARED_RANK = 255
"""The first count whose ``ts_rank`` is not told apart from the next in a ``real`` (255 and 256):
from it on, the count is made from the entries' text."""


def ranks_usable(ranks: Sequence[float]) -> bool:
    """Whether :data:`RANKS_SQL`'s answer tells each count below :data:`_SHARED_RANK` from every
    other (none 0, each rank higher than the last, the last two perhaps equal): else frequencies
    are counted as text."""
    ranks = list(ranks)
    pairs = list(itertools.pairwise(ranks))
    return (
        len(ranks) == MAX_POSITIONS
        and ranks[0] > 0
        and all(a < b for a, b in pairs[: _SHARED_RANK - 1])
        and all(a <= b for a, b in pairs)
    )


CONFIG = "readalong_porter"
"""The text search configuration of every ``tsv`` column: FTS5's porter without stop words
(PostgreSQL migration 0005)."""


def or_query(terms: Sequence[str]) -> str:
    """The text of ``to_tsquery`` ORing these terms (each quoted; the terms are runs of letters and
    digits, so they hold no quote)."""
    return " | ".join("'" + term.replace("'", "''") + "'" for term in terms)


def terms_cte(terms_param: str) -> str:
    """The body of a ``q`` CTE: each term (in order, ``i`` from 1), its query (all its lexemes,
    as FTS5 matches a term of several tokens as a phrase) and its lexemes."""
    return (
        f"SELECT t.i, t.term, plainto_tsquery('{CONFIG}', t.term) AS query,"
        f" tsvector_to_array(to_tsvector('{CONFIG}', t.term)) AS lexemes"
        f" FROM unnest(CAST({terms_param} AS TEXT[])) WITH ORDINALITY AS t(term, i)"
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
    ranks: Sequence[float] | None = None,
) -> str:
    """The WITH clause of a search: ``scored`` holds each row of ``table`` within ``scope`` (a
    condition on ``x``) that matches a term, by its ``key`` columns, with FTS5's BM25 ``score``
    (positive: higher is better). Rows are found through the GIN index of ``tsv``.

    ``totals`` (N and the average length) given: each term's n is counted over the table (its GIN
    index). None: the table is ``passages``, whose statistics the triggers of migration 0005 keep
    (``passage_counts``, ``passage_lexemes``): a few rows read, whatever the table's size.

    ``ranks`` given (:data:`RANKS_SQL`, read from the server once): how often a row holds a term
    of one lexeme is read from ``ts_rank`` (:func:`_frequency`), in C, rather than counted in
    the row's entries as text; terms of several lexemes, and a count of 255 or more, are still
    counted as text."""
    keys = ", ".join(f"x.{k}" for k in key)
    found_keys = ", ".join(f"f.{k}" for k in key)
    matches = f"x.tsv @@ to_tsquery('{CONFIG}', {params.add(or_query(terms))})"
    # Counts from 0 (not held: rank 0) up: a count's rank at index count + 1.
    ranks_param = None if ranks is None else params.add([0.0, *ranks])
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
            f"SELECT CAST({params.add(totals[0])} AS BIGINT) AS docs,"
            f" CAST({params.add(totals[1])} AS DOUBLE PRECISION) AS avgdl"
        )
        # A count already known (``held``, by term) is not made again.
        n = f"COALESCE((CAST({params.add(list(held) or [None] * len(terms))} AS BIGINT[]))[q.i], {counted_n})"
    return (
        f"WITH q AS ({terms_cte(params.add(list(terms)))}"
        f"), totals AS ({counted}"
        f"), found AS (SELECT {keys}, x.tokens, x.tsv FROM {table} x WHERE ({scope}) AND {matches}"
        "), weights AS MATERIALIZED ("  # once per term, not once per row found
        " SELECT q.i, q.lexemes, q.query, c.n,"
        f" GREATEST(ln(CAST((totals.docs - c.n + 0.5) / (c.n + 0.5) AS DOUBLE PRECISION)), {MIN_IDF}) AS idf"
        f" FROM q CROSS JOIN totals CROSS JOIN LATERAL (SELECT {n} AS n OFFSET 0) AS c"
        " WHERE cardinality(q.lexemes) > 0"
        f"), per_term AS ({_per_term(len(terms))}"
        f"), scored AS (SELECT {found_keys}, {_score(len(terms))} AS score"
        " FROM found f CROSS JOIN totals CROSS JOIN per_term w"
        f"{_entries(len(terms), ranks_param)}"
        f" CROSS JOIN LATERAL (SELECT {_frequencies(len(terms), ranks_param)} OFFSET 0) AS h)"
    )


def _per_term(count: int) -> str:
    """One row: each term's lexemes (``l1``…), query (``q1``…) and idf (``w1``…), as columns."""
    return "SELECT " + ", ".join(
        f"(SELECT lexemes FROM weights WHERE i = {i}) AS l{i}, (SELECT query FROM weights WHERE i = {i}) AS q{i},"
        f" (SELECT idf FROM weights WHERE i = {i}) AS w{i}"
        for i in range(1, count + 1)
    )


def _entries(count: int, ranks: str | None) -> str:
    """The join that gives, per term, what the row's frequency of it is read from (``e.s1``…).
    Without ``ranks``: the row's own entries for the term's lexemes, as text (``'oil':3A,7A
    'wage':5A``): the row's ``tsv`` with those lexemes marked (setweight) and the rest dropped
    (ts_filter), in C. With ``ranks``: the row's ``ts_rank`` for the term (:func:`_frequency`)."""
    if ranks is None:
        entries = ", ".join(f"{_entries_text(i)} AS s{i}" for i in range(1, count + 1))
    else:
        entries = ", ".join(f"ts_rank(f.tsv, w.q{i}) AS s{i}" for i in range(1, count + 1))
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


def _frequencies(count: int, ranks: str | None) -> str:
    """Per term, how often the row holds it (``h.t1``…, a double)."""
    return ", ".join(f"{_frequency(i, ranks)} AS t{i}" for i in range(1, count + 1))


def _frequency(i: int, ranks: str | None) -> str:
    """How often the row holds term ``i``.

    With ``ranks`` (:data:`RANKS_SQL`: ``ts_rank`` of a lexeme held 1 to 256 times, each rank
    higher than the last up to 255, after 0 for none), a term of one lexeme is looked up there by
    the row's ``ts_rank`` for it: ``ts_rank`` (no normalization, every position of weight D as in
    every ``tsv`` column) depends on nothing but how many positions the lexeme has in the row, so
    the rank found at index k + 1 means k positions, exactly. A rank not in the table (never
    seen: a ``tsv`` with other weights), 255 (the ranks of 255 and 256 positions are the same
    ``real``), and terms of several lexemes are counted from the entries' text."""
    if ranks is None:
        return _counted(i, f"e.s{i}")
    counted = _counted(i, _entries_text(i))
    table = f"CAST({ranks} AS REAL[])"
    guess = count_guess(f"e.s{i}")
    found = f"array_position({table}, e.s{i}) - 1"
    return (
        f"CASE WHEN w.l{i} IS NULL THEN 0 WHEN cardinality(w.l{i}) <> 1 THEN {counted}"
        f" WHEN {guess} < {_SHARED_RANK} AND ({table})[{guess} + 1] = e.s{i} THEN CAST({guess} AS DOUBLE PRECISION)"
        f" ELSE COALESCE(CAST(NULLIF(LEAST({found}, {_SHARED_RANK}), {_SHARED_RANK}) AS DOUBLE PRECISION),"
        f" {counted}) END"
    )


def count_guess(rank: str) -> str:
    """The count of positions whose ``ts_rank`` ``rank`` (a ``real``) probably is, in a few
    operations: ``ts_rank`` of k positions of weight D is 0.1 × (1 + 1/4 + … + 1/k²) / 1.64493406685,
    and π²/6 − (1 + 1/4 + … + 1/k²) is about 1 / (k + 1/2). Only a guess (the rank is a ``real``):
    :func:`_frequency` takes it only where the table holds this very rank at that count."""
    rest = f"NULLIF({_PI2_6} - CAST({rank} AS DOUBLE PRECISION) * {_RANK_SCALE}, 0)"
    return f"CAST(LEAST(GREATEST(round(1 / {rest} - 0.5), -1), {MAX_POSITIONS + 1}) AS INT)"


def _score(count: int) -> str:
    """FTS5's BM25 of a row, one expression (no subquery, sort or hash per row found) of each
    term's idf (``w.w1``…) and frequency in the row (``h.t1``…)."""
    # The length as a double: the same value as the numeric 0.75 × tokens, without numeric's cost.
    norm = f"{K1} * ({1 - B} + {B} * CAST(f.tokens AS DOUBLE PRECISION) / GREATEST(totals.avgdl, 1e-9))"
    return (
        "("
        + " + ".join(
            f"COALESCE(w.w{i} * h.t{i} * {K1 + 1} / (h.t{i} + {norm}), 0)" for i in range(1, count + 1)
        )
        + ")"
    )
