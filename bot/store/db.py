"""The connection, transactions and numbered migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.errors import ReadalongError
from bot.store.articles import ArticleQueries
from bot.store.guilds import GuildQueries
from bot.store.messages import MessageQueries
from bot.store.postings import PostingQueries
from bot.store.search import SearchQueries

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class MigrationError(ReadalongError):
    """A migration failed; the database is left as it was before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


def load_migrations(folder: Path | None = None) -> list[Migration]:
    """The migrations in ``folder`` (the packaged ones by default), in order, numbered 1, 2, 3…"""
    root = resources.files("bot.store") / "migrations" if folder is None else folder
    found = []
    for entry in root.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["number"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise MigrationError(
                f"migration {expected:04d} is missing (found {migration.number:04d}_{migration.name})"
            )
    return found


class Store:
    """The bot's database. Open it once, share it, close it on the way out.

    Writes go through :meth:`transaction`, which serialises them: aiosqlite runs every call on one
    worker thread, but two coroutines interleaving statements inside one transaction would still
    commit each other's half-done work.
    """

    def __init__(self, path: Path, migrations: Sequence[Migration] | None = None) -> None:
        self.path = path
        self._migrations = migrations
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()
        self.articles = ArticleQueries(self)
        self.postings = PostingQueries(self)
        self.messages = MessageQueries(self)
        self.search = SearchQueries(self)
        self.guilds = GuildQueries(self)

    def __repr__(self) -> str:
        return f"<Store {str(self.path)!r} {'open' if self._db else 'closed'}>"

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("the store is not open")
        return self._db

    async def open(self) -> None:
        """Connect, switch on WAL and foreign keys, and apply pending migrations."""
        if self._db is not None:
            return
        if self.path.parent and not self.path.parent.exists():
            raise ReadalongError(f"database folder {self.path.parent} does not exist")
        try:
            db = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as error:
            raise ReadalongError(f"cannot open database {self.path}: {error}") from None
        db.row_factory = aiosqlite.Row
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA foreign_keys = ON")
            await db.execute("PRAGMA busy_timeout = 5000")
            await db.execute("PRAGMA synchronous = NORMAL")
            await self._migrate(db)
        except sqlite3.DatabaseError as error:
            await db.close()
            raise ReadalongError(f"{self.path} is not a Readalong database ({error})") from None
        except BaseException:
            await db.close()
            raise
        self._db = db

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            await db.close()

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``, or ``ROLLBACK`` if the block raises."""
        async with self._write_lock:
            db = self.db
            await db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                await db.execute("ROLLBACK")
                raise
            await db.execute("COMMIT")

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self, db: aiosqlite.Connection) -> None:
        migrations = self._migrations if self._migrations is not None else load_migrations()
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current > len(migrations):
            raise ReadalongError(
                f"{self.path} was written by a newer Readalong (schema {current}, this one knows {len(migrations)})"
            )
        for migration in migrations[current:]:
            log.info("applying migration %04d_%s", migration.number, migration.name)
            script = f"BEGIN IMMEDIATE;\n{migration.sql}\n;PRAGMA user_version = {migration.number};\nCOMMIT;"
            try:
                await db.executescript(script)
            except sqlite3.Error as error:
                if db.in_transaction:
                    await db.execute("ROLLBACK")
                raise MigrationError(
                    f"migration {migration.number:04d}_{migration.name} failed: {error}; the database is unchanged"
                ) from None
