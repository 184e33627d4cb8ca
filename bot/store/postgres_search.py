"""Full-text search on PostgreSQL: ``tsvector`` columns (the 'english' configuration) and their
GIN indexes, where SQLite has FTS5 tables.

Being written: the lead's placeholder.
"""

from __future__ import annotations

from bot.store.search import SearchQueries


class PostgresSearchQueries(SearchQueries):
    """The search queries, with full-text search over ``tsvector`` instead of FTS5."""
