"""Storage: the one place that holds SQL.

:class:`Store` owns the single aiosqlite connection and the migrations; each area of the product
has a query object on it (``store.articles``, ...) defined in its own module here.
"""

from bot.store.db import Migration, MigrationError, Store, load_migrations

__all__ = ["Migration", "MigrationError", "Store", "load_migrations"]
