"""The store: one interface over SQLite (the default) or PostgreSQL, its transactions and migrations.

Reads go through a connection that sees only committed data; writes go through
:meth:`Store.transaction`, one at a time. Inside a transaction, ``store.db`` is that
transaction's connection, so a query module's read in the middle of its own write sees the rows
it has just written. The backends differ only in how they connect (:mod:`bot.store.sqlite`,
:mod:`bot.store.postgres`), their migrations (``migrations/sqlite``, ``migrations/postgresql``) and
the SQL they spell differently (:mod:`bot.store.dialect`, the full-text search).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from bot.domain.database import Database, PostgresUrl
from bot.domain.shards import ShardSet
from bot.errors import ReadalongError, ReadOnlyDatabaseError
from bot.store.articles import ArticleQueries
from bot.store.asks import AskQueries
from bot.store.availability import Availability
from bot.store.connection import Connection
from bot.store.dialect import POSTGRESQL, SQLITE
from bot.store.errors import DatabaseUnavailableError, driver_errors
from bot.store.feeds import FeedQueries
from bot.store.files import FileQueries
from bot.store.followed_comments import FollowedCommentQueries
from bot.store.guilds import GuildQueries
from bot.store.messages import MessageQueries
from bot.store.migration import Migration, load_migrations
from bot.store.postgres import PostgresBackend
from bot.store.postings import PostingQueries
from bot.store.search import SearchQueries
from bot.store.sqlite import BUSY_TIMEOUT_SECONDS, SqliteBackend

_transaction_of: ContextVar[object | None] = ContextVar("readalong_store_transaction", default=None)
"""The write transaction the current task is inside, if any (a task created inside one inherits
the value, so it is compared with the store's transaction still open, not trusted alone)."""


class Store:
    """The bot's database. Open it once, share it, close it on the way out.

    ``Store(path)`` is an SQLite file, ``Store(PostgresUrl(...))`` a PostgreSQL schema; the query
    objects (``store.articles``, ``store.postings``…) are the same on both. Writes go through
    :meth:`transaction`, which serialises them within the process: two coroutines interleaving
    statements inside one transaction would commit each other's half-done work. An SQLite file
    that cannot be written opens for reading only: :meth:`transaction` then raises
    :class:`ReadOnlyDatabaseError`.
    """

    def __init__(
        self,
        target: Database,
        migrations: Sequence[Migration] | None = None,
        *,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self.target = target
        self.dialect = POSTGRESQL if isinstance(target, PostgresUrl) else SQLITE
        chosen = migrations if migrations is not None else None
        self._migrations = chosen
        self._busy_timeout = busy_timeout
        self._backend: SqliteBackend | PostgresBackend | None = None
        self._write_lock = asyncio.Lock()
        self._open_transaction: object | None = None
        self._transaction_db: Connection | None = None
        self.articles = ArticleQueries(self)
        self.postings = PostingQueries(self)
        self.feeds = FeedQueries(self)
        self.followed_comments = FollowedCommentQueries(self)
        """Blog comments that came after a web article was posted (issue 27)."""
        self.messages = MessageQueries(self)
        self.search = _search_queries(self)
        self.asks = AskQueries(self)
        self.guilds = GuildQueries(self)
        self.files = FileQueries(self)
        """Readers' attachments kept in the archive."""
        self.availability = Availability(self.ping)
        """Whether the database can be reached now; the event work waits on during an outage."""

    @property
    def path(self) -> Path:
        """The SQLite file (a PostgreSQL store has none: :class:`ReadalongError`)."""
        if isinstance(self.target, PostgresUrl):
            raise ReadalongError(f"{self.target.shown} is a PostgreSQL database, not a file")
        return self.target

    @property
    def shown(self) -> str:
        """Where the store is, as it may be shown (a URL without its password)."""
        return str(self.target)

    def __repr__(self) -> str:
        backend = self._backend
        state = (
            "closed"
            if backend is None or backend.reader is None
            else "open"
            if backend.writer
            else "open read-only"
        )
        return f"<Store {self.shown!r} {state}>"

    @property
    def db(self) -> Connection:
        """The read connection (committed data only); inside :meth:`transaction`, its connection."""
        backend = self._backend
        if backend is None or backend.reader is None:
            raise RuntimeError("the store is not open")
        current, inside = self._open_transaction, self._transaction_db
        if current is not None and _transaction_of.get() is current and inside is not None:
            return inside
        return cast(Connection, backend.reader)

    @property
    def closed(self) -> bool:
        """Whether the store is not open (not yet, or no longer)."""
        backend = self._backend
        return backend is None or backend.reader is None

    @property
    def read_only(self) -> bool:
        """Whether the file could only be opened for reading (read-only to us): reads work, writes fail."""
        backend = self._backend
        return backend is not None and backend.reader is not None and backend.writer is None

    async def open(self, *, exclusive: bool = False) -> None:
        """Connect and apply pending migrations.

        ``exclusive`` (the bot): on SQLite, hold the file's lock for as long as the store is
        open, so a second bot on the same file is refused. PostgreSQL takes any number of bots:
        each holds its shards instead (:meth:`hold_shards`).
        """
        if isinstance(self.target, PostgresUrl):
            if self._backend is None:
                migrations = self._migrations or load_migrations(dialect=POSTGRESQL)
                backend = PostgresBackend(self.target, migrations, self.availability.lost)
                await backend.open()
                self._backend = backend
                await self._index_missing()
            return
        if self._backend is None:
            migrations = self._migrations if self._migrations is not None else load_migrations()
            self._backend = SqliteBackend(
                self.target, migrations, busy_timeout=self._busy_timeout, notice=self.availability.lost
            )
        assert isinstance(self._backend, SqliteBackend)
        try:
            await self._backend.open(exclusive=exclusive)
        except BaseException:
            if self._backend.reader is None:
                self._backend = None
            raise
        await self._index_missing()

    async def _index_missing(self) -> None:
        """After the migrations, the passages of articles stored before they were indexed at
        import (:meth:`SearchQueries.index_missing`); a read-only store answers without them, and a
        store opened with migrations of its own (a test of an older schema) is left as it is."""
        if not self.read_only and self._migrations is None:
            await self.search.index_missing()

    async def hold_shards(self, shards: ShardSet) -> None:
        """Refuse to run shards another process runs. On PostgreSQL, session advisory locks,
        released with the connection however the process ends; on SQLite the file's lock (one bot
        per file) already says it."""
        await self._opened().hold_shards(shards)

    async def identify_wait(self, bucket: int, window: float) -> float:
        """Seconds until this process may send an IDENTIFY in ``bucket``, the slot now reserved
        for it: on PostgreSQL shared by every process of the bot, as Discord counts them together;
        on SQLite (one process) 0, the bot's own pacing being enough."""
        return await self._opened().identify_wait(bucket, window)

    async def lease_posting(self, posting_id: int) -> bool:
        """Whether this process may send the posting's items now: on PostgreSQL, a session advisory
        lock that one process at a time holds (released by :meth:`release_posting`, or when the
        process ends, however it ends); on SQLite always, as one bot holds the file."""
        with self._reachable():
            return await self._opened().lease_posting(posting_id)

    async def release_posting(self, posting_id: int) -> None:
        """Let another process send the posting (after :meth:`lease_posting`)."""
        with self._reachable():
            await self._opened().release_posting(posting_id)

    async def ping(self) -> None:
        """The readiness probe: one cheap statement (``SELECT 1`` on PostgreSQL, a read of the
        schema on SQLite). Raises :class:`DatabaseUnavailableError` if the database cannot be
        reached."""
        backend = self._opened()
        with driver_errors(self.shown):
            await backend.ping()

    async def reachable(self, within: float) -> bool:
        """Whether the database answers :meth:`ping` within ``within`` seconds (the health check).
        If it cannot be reached, the store's :attr:`availability` is told, so work waits for it too."""
        try:
            async with asyncio.timeout(within):
                await self.ping()
        except DatabaseUnavailableError as error:
            self.availability.lost(error)
            return False
        except TimeoutError:
            # PostgreSQL silent (a network dropping packets): unavailable. An SQLite file that is
            # slow to answer is busy (a lock, a checkpoint), which passes: not ready, but no outage.
            if self.dialect is POSTGRESQL:
                self.availability.lost(DatabaseUnavailableError(f"no answer within {within:g} s"))
            return False
        return True

    @contextmanager
    def _reachable(self) -> Iterator[None]:
        """A driver's exception as the store's own (:mod:`bot.store.errors`), naming the database;
        "cannot reach the database" is also told to :attr:`availability`."""
        with driver_errors(self.shown, self.availability.lost):
            yield

    def _opened(self) -> SqliteBackend | PostgresBackend:
        if self._backend is None:
            raise RuntimeError("the store is not open")
        return self._backend

    async def close(self) -> None:
        """Close the connections (and release any lock), even when a close fails."""
        backend, self._backend = self._backend, None
        await self.availability.close()
        if backend is not None:
            await backend.close()

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One write transaction (SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's ``BEGIN``): committed
        when the block ends, rolled back if it raises."""
        backend = self._backend
        if backend is None or backend.reader is None:
            raise RuntimeError("the store is not open")
        if backend.writer is None:
            raise ReadOnlyDatabaseError(f"{self.shown} is read-only: this needs to write to it")
        with self._reachable():
            async with self._write_lock, backend.transaction() as db:
                self._open_transaction = marker = object()
                self._transaction_db = cast(Connection, db)
                token = _transaction_of.set(marker)
                try:
                    yield cast(Connection, db)
                finally:
                    self._open_transaction = None
                    self._transaction_db = None
                    _transaction_of.reset(token)

    async def write_one(self, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
        """One statement committed on its own, as :meth:`transaction` would: a single write
        (logging a question) costs PostgreSQL one trip instead of three. Its rows (``RETURNING``)."""
        backend = self._opened()
        if backend.writer is None:
            raise ReadOnlyDatabaseError(f"{self.shown} is read-only: this needs to write to it")
        with self._reachable():
            async with self._write_lock:
                return await backend.write_one(sql, parameters)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Connection]:
        """A read connection of its own in one read transaction: every statement reads the
        database as it was at the first, whatever is written meanwhile (``readalong db copy``)."""
        backend = self._opened()
        with self._reachable():
            async with backend.snapshot() as db:
                yield cast(Connection, db)

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        if self._backend is None:
            raise RuntimeError("the store is not open")
        with self._reachable():
            return await self._backend.schema_version()


def _search_queries(store: Store) -> SearchQueries:
    if store.dialect is POSTGRESQL:
        from bot.store.postgres_search import PostgresSearchQueries

        return PostgresSearchQueries(store)
    return SearchQueries(store)
