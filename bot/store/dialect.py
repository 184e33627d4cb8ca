"""The SQL that SQLite and PostgreSQL write differently, in one place for each.

Everything else the query modules say is written once, in the subset both understand
(``ON CONFLICT``, ``RETURNING``, ``IS DISTINCT FROM``, ``CAST``); what is left is here, plus each
backend's migrations and full-text search (``bot/store/search.py`` over FTS5,
``bot/store/postgres_search.py`` over ``tsvector``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Dialect:
    """One backend's spelling of what the two write differently."""

    name: str

    def ids_from_json(self, expression: str, alias: str = "j") -> str:
        """A FROM item: the integers of a JSON array (``expression``, a column or ``?``) as rows
        of one column, ``alias.value``."""
        if self.name == "postgresql":
            return (
                f"(SELECT CAST(e.value AS BIGINT) AS value"
                f" FROM json_array_elements_text(CAST({expression} AS json)) AS e(value)) AS {alias}"
            )
        return f"json_each({expression}) AS {alias}"

    def json_array(self, *expressions: str) -> str:
        """A JSON array of these values, as text."""
        joined = ", ".join(expressions)
        if self.name == "postgresql":
            return f"CAST(json_build_array({joined}) AS TEXT)"
        return f"json_array({joined})"

    def json_rows(self, columns: str, rest: str, order: str) -> str:
        """A scalar subquery: the rows of ``SELECT columns rest`` (a FROM and WHERE), ordered by
        ``order``, as a JSON array (text) of arrays, or NULL when there are none. A statement
        reads a parent's children with it in the same trip as the parent."""
        if self.name == "postgresql":
            return f"(SELECT CAST(json_agg(json_build_array({columns}) ORDER BY {order}) AS TEXT) {rest})"
        return f"(SELECT json_group_array(json_array({columns})) FROM (SELECT {columns} {rest} ORDER BY {order}))"

    @property
    def serialise_imports(self) -> str | None:
        """A statement that makes an import's transaction wait for any other process's import in
        the same database to end, so that the ids each sees taken are still free when it writes
        (ids are per server, checked in the transaction); None on SQLite, whose ``BEGIN
        IMMEDIATE`` already lets one writer at a time."""
        if self.name == "postgresql":
            return "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':articles', 0))"
        return None


SQLITE = Dialect("sqlite")
POSTGRESQL = Dialect("postgresql")
