"""Taking back what Readalong's migrations made in a PostgreSQL schema that held nothing before:
a ``readalong db copy`` into an empty schema makes the tables first (migrations commit on their
own), so a copy that then fails would leave a schema of empty tables, which the next copy takes
for a library already there. It is emptied again instead."""

from __future__ import annotations

from bot.domain.database import PostgresUrl
from bot.store.postgres_connection import SESSION, require_asyncpg
from bot.store.schema import postgres_catalog

_DROPPED = {
    "table": "TABLE",
    "view": "VIEW",
    "function": "FUNCTION",
    "text search configuration": "TEXT SEARCH CONFIGURATION",
    "text search dictionary": "TEXT SEARCH DICTIONARY",
}
"""The kinds of the schema's catalog (:func:`postgres_catalog`) dropped, in this order: a table
takes its columns, indexes, triggers and identity sequences with it."""


async def is_empty(url: PostgresUrl) -> bool:
    """Whether the schema ``url`` names holds nothing of what a migration makes (or anything
    else of those kinds); one read-only look."""
    connection = await require_asyncpg().connect(url.reveal(), server_settings=SESSION)
    try:
        return not await postgres_catalog(connection)
    finally:
        await connection.close()


async def drop_everything(url: PostgresUrl) -> None:
    """Drop, in one transaction, every table, view, function and text search object of the schema
    ``url`` names (called only for a schema :func:`is_empty` found empty before Readalong's
    migrations filled it)."""
    connection = await require_asyncpg().connect(url.reveal(), server_settings=SESSION)
    try:
        async with connection.transaction():
            catalog = await postgres_catalog(connection)
            for kind, statement in _DROPPED.items():
                for key in sorted(catalog):
                    if key.startswith(f"{kind} "):
                        name = key[len(kind) + 1 :].replace('"', '""')
                        await connection.execute(f'DROP {statement} IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()
