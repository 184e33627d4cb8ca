"""The PostgreSQL catalog's answers to what the store asks of a schema: its tables, a table's
columns, its identity columns.

Read from ``pg_catalog`` itself, not through ``information_schema``: the information schema's
views (joins of a dozen catalogs, with privilege checks) cost the server a few milliseconds to
plan on each new connection, and every store's open asks.
"""

from __future__ import annotations

_IN_SCHEMA = "relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
TABLES_SQL = f"SELECT relname FROM pg_class WHERE {_IN_SCHEMA} AND relkind IN ('r', 'p')"
"""The current schema's tables (``information_schema.tables``' base tables)."""
RELATIONS_SQL = f"SELECT relname FROM pg_class WHERE {_IN_SCHEMA} AND relkind IN ('r', 'p', 'v', 'm', 'f')"
"""Its tables, views and foreign tables: what makes a schema someone else's."""
COLUMNS_SQL = (
    "SELECT attname FROM pg_attribute WHERE attrelid ="
    f" (SELECT oid FROM pg_class WHERE {_IN_SCHEMA} AND relname = $1 AND relkind IN ('r', 'p'))"
    " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum"
)
"""A table's columns that are written (not generated), in their order."""
IDENTITY_COLUMNS_SQL = (
    "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
    f" WHERE c.{_IN_SCHEMA} AND c.relkind IN ('r', 'p') AND a.attidentity <> '' AND NOT a.attisdropped"
    " ORDER BY c.relname, a.attnum"
)
"""Each identity column (``GENERATED … AS IDENTITY``) with its table."""
