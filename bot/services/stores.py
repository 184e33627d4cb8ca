"""Opening the database for a command that only reads what is there."""

from __future__ import annotations

from bot.errors import ReadalongError
from bot.settings import Settings
from bot.store import Store


async def open_existing_store(settings: Settings) -> Store:
    """The store, refusing to create a database just to report that it holds nothing."""
    path = settings.db_path
    if settings.db_url is None and (not path.exists() or (path.is_file() and path.stat().st_size == 0)):
        raise ReadalongError(
            f"no database at {settings.db_path}: import an article first (readalong import PATH)"
        )
    store = Store(settings.database)
    await store.open()
    return store
