"""Storage: the one place that holds SQL.

:class:`Store` owns the connections (one for reads, one for writes) and the migrations, on
SQLite or PostgreSQL; each area of the product has a query object on it (``store.articles``,
...) defined in its own module here.
"""

from bot.store.db import Migration, MigrationError, Store, describe_driver_error, load_migrations
from bot.store.errors import DatabaseUnavailableError, describe_trouble, is_busy_error, is_postgres_error
from bot.store.sqlite import (
    APPLICATION_ID,
    DatabaseLock,
    describe_database_error,
    inspect_database,
    is_read_only_error,
)

__all__ = [
    "APPLICATION_ID",
    "DatabaseLock",
    "DatabaseUnavailableError",
    "Migration",
    "MigrationError",
    "Store",
    "describe_database_error",
    "describe_driver_error",
    "describe_trouble",
    "inspect_database",
    "is_busy_error",
    "is_postgres_error",
    "is_read_only_error",
    "load_migrations",
]
