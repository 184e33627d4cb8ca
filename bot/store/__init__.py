"""Storage: the one place that holds SQL.

:class:`Store` owns the connections (one for reads, one for writes) and the migrations, on
SQLite or PostgreSQL; each area of the product has a query object on it (``store.articles``,
...) defined in its own module here. Its errors are its own (:mod:`bot.store.errors`): no
driver's exception leaves this package.
"""

from bot.store.db import Store
from bot.store.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseFullError,
    DatabaseUnavailableError,
    ForeignDatabaseError,
    NewerDatabaseError,
    StoreError,
    WriteRefusedError,
    describe_database_error,
    describe_trouble,
    is_busy_error,
    is_postgres_error,
    is_read_only_error,
)
from bot.store.migration import Migration, MigrationError, load_migrations
from bot.store.sqlite_file import APPLICATION_ID, DatabaseLock, inspect_database

__all__ = [
    "APPLICATION_ID",
    "DatabaseBusyError",
    "DatabaseCorruptError",
    "DatabaseFullError",
    "DatabaseLock",
    "DatabaseUnavailableError",
    "ForeignDatabaseError",
    "Migration",
    "MigrationError",
    "NewerDatabaseError",
    "Store",
    "StoreError",
    "WriteRefusedError",
    "describe_database_error",
    "describe_trouble",
    "inspect_database",
    "is_busy_error",
    "is_postgres_error",
    "is_read_only_error",
    "load_migrations",
]
