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


def or_query(terms: Sequence[str]) -> str:
    """The text of ``to_tsquery`` ORing these terms (each quoted; the terms are runs of letters and
    digits, so they hold no quote)."""
    return " | ".join("'" + term.replace("'", "''") + "'" for term in terms)


def scored(
    table: str,
    key: Sequence[str],
    text: str,
    scope: str,
    *,
    params: Params,
    indexed: Sequence[str],
    plain: Sequence[str],
    totals: tuple[int, float],
) -> str:
    """The WITH clause of a search: ``scored`` holds each row of ``table`` within ``scope`` (a
    condition on ``x``) that matches a term, by its ``key`` columns, with FTS5's BM25 ``score``
    (positive: higher is better). ``indexed`` terms are matched through the GIN index of ``tsv``;
    ``plain`` ones (stop words of 'english') against the text's 'readalong_english_all' tsvector."""
    indexed_p = params.add(list(indexed))
    plain_p = params.add(list(plain))
    keys = ", ".join(f"x.{k}" for k in key)
    found_keys = ", ".join(f"f.{k}" for k in key)
    held_keys = ", ".join(f"h.{k}" for k in key)
    keys_only = ", ".join(key)
    # An empty query would match nothing anyway, with a NOTICE from the server.
    matches = f"x.tsv @@ to_tsquery('english', {params.add(or_query(indexed))})" if indexed else "FALSE"
    plain_tsv = "NULL::tsvector"
    plain_n = "0"
    if plain:
        plain_tsv = f"to_tsvector('readalong_english_all', x.{text})"
        matches = f"({matches} OR {plain_tsv} @@ to_tsquery('readalong_english_all', {params.add(or_query(plain))}))"
        # Rows holding the term within the scope, scaled to the whole table.
        plain_n = (
            "CAST((SELECT count(*) FROM found f WHERE f.plain_tsv @@ q.query) AS DOUBLE PRECISION)"
            f" * totals.docs / GREATEST((SELECT count(*) FROM {table} x WHERE {scope}), 1)"
        )
    counted = (
        f"SELECT CAST({params.add(totals[0])} AS BIGINT) AS docs,"
        f" CAST({params.add(totals[1])} AS DOUBLE PRECISION) AS avgdl"
    )
    return (
        "WITH q AS ("
        " SELECT FALSE AS plain, plainto_tsquery('english', t.term) AS query,"
        " tsvector_to_array(to_tsvector('english', t.term)) AS lexemes"
        f" FROM unnest(CAST({indexed_p} AS TEXT[])) AS t(term)"
        " UNION ALL"
        " SELECT TRUE, plainto_tsquery('readalong_english_all', t.term),"
        " tsvector_to_array(to_tsvector('readalong_english_all', t.term))"
        f" FROM unnest(CAST({plain_p} AS TEXT[])) AS t(term)"
        f"), totals AS ({counted}"
        "), wanted AS ("  # every lexeme asked for, by configuration
        " SELECT array_agg(DISTINCT l.lexeme) FILTER (WHERE NOT q.plain) AS indexed,"
        " array_agg(DISTINCT l.lexeme) FILTER (WHERE q.plain) AS plain"
        " FROM q CROSS JOIN unnest(q.lexemes) AS l(lexeme)"
        f"), found AS (SELECT {keys}, x.tokens, x.tsv, {plain_tsv} AS plain_tsv FROM {table} x"
        f" WHERE ({scope}) AND {matches}"
        "), weights AS MATERIALIZED ("  # once per term, not once per row found
        " SELECT row_number() OVER () AS i, q.plain, q.lexemes,"
        f" GREATEST(ln(CAST((totals.docs - c.n + 0.5) / (c.n + 0.5) AS DOUBLE PRECISION)), {MIN_IDF}) AS idf"
        " FROM q CROSS JOIN totals CROSS JOIN LATERAL (SELECT CASE WHEN q.plain"
        f" THEN {plain_n} ELSE (SELECT count(*) FROM {table} x WHERE x.tsv @@ q.query) END AS n"
        " OFFSET 0) AS c"  # OFFSET 0: counted once, not once for each use of n
        # Each row's positions of the lexemes asked for: setweight marks them, ts_filter keeps
        # them (both in C), so only those few are unnested, not every word of the row.
        "), held AS ("
        f" SELECT {found_keys}, f.tokens, FALSE AS plain, e.lexeme, cardinality(e.positions) AS n"
        " FROM found f CROSS JOIN wanted"
        " CROSS JOIN LATERAL unnest(ts_filter(setweight(f.tsv, 'A', wanted.indexed), '{a}')) AS e"
        " UNION ALL"
        f" SELECT {found_keys}, f.tokens, TRUE, e.lexeme, cardinality(e.positions)"
        " FROM found f CROSS JOIN wanted"
        " CROSS JOIN LATERAL unnest(ts_filter(setweight(f.plain_tsv, 'A', wanted.plain), '{a}')) AS e"
        # A term of several lexemes (a phrase to FTS5; all of them to plainto_tsquery) is held as
        # often as its rarest lexeme.
        "), per_term AS ("
        f" SELECT {held_keys}, h.tokens, w.idf, min(h.n) AS n FROM held h"
        " JOIN weights w ON w.plain = h.plain AND h.lexeme = ANY(w.lexemes)"
        f" GROUP BY {held_keys}, h.tokens, w.i, w.idf, cardinality(w.lexemes)"
        " HAVING count(*) = cardinality(w.lexemes)"
        "), scored AS ("
        f" SELECT {keys_only}, sum(t.idf * t.n * {K1 + 1} / (t.n + {K1}"
        f" * ({1 - B} + {B} * t.tokens / GREATEST(totals.avgdl, 1e-9)))) AS score"
        f" FROM per_term t CROSS JOIN totals GROUP BY {keys_only})"
    )
