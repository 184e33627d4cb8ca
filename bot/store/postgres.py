"""The PostgreSQL backend: connections through :mod:`asyncpg`, migrations, the schema's mark.

The query modules speak to it through :class:`~bot.store.postgres_connection.PgConnection`.
Reads go through a small pool (several commands read at once); writes through one connection,
one transaction at a time, as on SQLite.

A Readalong schema is marked by its ``readalong_schema`` table (the application's name and the
number of the last migration applied); a schema holding other tables and no mark is refused
before anything is written to it, as a foreign SQLite file is. Migrations run under an advisory
lock, so two processes starting at once apply each migration once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.domain.database import PostgresUrl
from bot.errors import DatabaseError, ReadalongError
from bot.store.errors import (
    ForeignDatabaseError,
    NewerDatabaseError,
    Notice,
    describe_postgres_error,
    driver_errors,
)
from bot.store.postgres_catalog import RELATIONS_SQL, TABLES_SQL
from bot.store.postgres_connection import KEPT, SESSION, PgConnection, ignore, keep_session, require_asyncpg
from bot.store.schema import check_postgres

if TYPE_CHECKING:
    import asyncpg

    from bot.domain.shards import ShardSet
    from bot.store.migration import Migration

log = logging.getLogger(__name__)

APPLICATION = "readalong"
"""What ``readalong_schema.application`` holds in a Readalong schema."""
_LOCK_KEY = "hashtextextended(current_schema() || $1, 0)"
"""An advisory lock's key: advisory locks are the database's, so the key names the schema as well
as the thing locked (``:shard:8:3``, ``:posting:12``): two bots in two schemas never collide."""
CONNECT_TIMEOUT_SECONDS = 10.0
COMMAND_TIMEOUT_SECONDS = 60.0
"""A statement of the bot's that has not answered in a minute is abandoned (a dead network
otherwise holds the write connection, and every write behind it, until TCP gives up)."""
_KEEPALIVE = {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3"}
"""The server's keepalives on the connection holding the locks: a machine that vanishes (power,
network) has its shards and postings freed within about a minute, not the server's default two
hours, so its replacement is not refused meanwhile."""
READ_POOL_SIZE = 4


class PostgresBackend:
    """The connections to one PostgreSQL schema: a pool for reads, one connection for writes."""

    def __init__(self, url: PostgresUrl, migrations: Sequence[Migration], notice: Notice = ignore) -> None:
        self.url = url
        self._notice = notice
        self._migrations = migrations
        self._writer: asyncpg.Connection[Any] | None = None
        self._pool: asyncpg.Pool[Any] | None = None
        self._lock_holder: asyncpg.Connection[Any] | None = None
        self._holder_lock = asyncio.Lock()
        self._leased: set[int] = set()
        self._shards: ShardSet | None = None
        self.reader: PgConnection | None = None
        self.writer: PgConnection | None = None

    async def open(self) -> None:
        """Connect, check the schema is Readalong's (or empty), apply pending migrations."""
        asyncpg = require_asyncpg()
        dsn = self.url.reveal()
        try:
            self._writer = await asyncpg.connect(
                dsn,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
                server_settings=SESSION,
            )
            await self._migrate(self._writer)
            self._pool = await asyncpg.create_pool(
                dsn,
                # No floor: asyncpg restores one after an outage by logging a traceback per failed
                # attempt; the store's probe says the outage once instead.
                min_size=0,
                max_size=READ_POOL_SIZE,
                reset=keep_session,
                max_cacheable_statement_size=KEPT,
                server_settings=SESSION,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except BaseException as error:
            await self.close()
            if isinstance(error, ReadalongError):
                raise
            if isinstance(error, asyncpg.PostgresError | OSError | asyncio.TimeoutError):
                raise describe_postgres_error(error, self.url.shown) from None
            raise
        self.reader = PgConnection(self._pool, self.url.shown, self._notice)
        self.writer = PgConnection(self._writer, self.url.shown, self._notice)

    async def close(self) -> None:
        """Close every connection (releasing the shards' locks with them)."""
        writer, self._writer = self._writer, None
        pool, self._pool = self._pool, None
        holder, self._lock_holder = self._lock_holder, None
        self._leased.clear()
        self.reader = self.writer = None
        for connection in (holder, writer):
            if connection is not None:
                await connection.close()
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """``BEGIN`` … ``COMMIT`` on the write connection, ``ROLLBACK`` if the block raises.

        A write connection the server closed (a restart, a network cut) is opened again here, so
        the writes waiting in the recorder's queue go through once the server is back. A server
        that cannot be reached is :class:`DatabaseUnavailableError` (one line in the log, said by
        the store's availability, not one per attempt here)."""
        with driver_errors(self.url.shown, self._notice, network=True):
            await self._writable()
            assert self.writer is not None and self._writer is not None
            async with self._writer.transaction():
                yield self.writer

    async def write_one(self, sql: str, parameters: Sequence[Any]) -> list[Any]:
        """One statement, committed on its own: PostgreSQL runs a statement outside a transaction
        block atomically, so it needs one trip to the server, not three (``BEGIN``, it, ``COMMIT``);
        its rows (``RETURNING``)."""
        with driver_errors(self.url.shown, self._notice, network=True):
            await self._writable()
        assert self.writer is not None
        return await self.writer.execute_fetchall(sql, parameters)

    async def _writable(self) -> None:
        """Open the write connection again if the server closed it."""
        if self._writer is None or self._writer.is_closed():
            asyncpg = require_asyncpg()
            self._writer = await asyncpg.connect(
                self.url.reveal(),
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
                server_settings=SESSION,
            )
            log.info("reconnected to %s for writes", self.url.shown)
            self.writer = PgConnection(self._writer, self.url.shown, self._notice)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[PgConnection]:
        """A connection of the read pool in one ``REPEATABLE READ`` read-only transaction: every
        statement reads the schema as it was at the first (``readalong db copy``)."""
        assert self._pool is not None
        with driver_errors(self.url.shown, self._notice, network=True):
            async with (
                self._pool.acquire() as connection,
                connection.transaction(isolation="repeatable_read", readonly=True),
            ):
                yield PgConnection(connection, self.url.shown, self._notice)

    async def ping(self) -> None:
        """One cheap statement (``SELECT 1``) through the read pool: returns if the server answers,
        raises :class:`DatabaseUnavailableError` if it cannot be reached (the readiness probe)."""
        assert self._pool is not None
        with driver_errors(self.url.shown, network=True):
            await self._pool.fetchval("SELECT 1", timeout=CONNECT_TIMEOUT_SECONDS)

    async def schema_version(self) -> int:
        """The number of the last migration applied."""
        assert self._pool is not None
        version = await self._pool.fetchval("SELECT version FROM readalong_schema")
        return int(version)

    async def hold_shards(self, shards: ShardSet) -> None:
        """Take session advisory locks for the shards this process runs, on a connection kept for
        the purpose, so that a second process started for the same servers is refused; the locks
        go with the connection however this process ends (SIGKILL included).

        A process running every shard holds the lock on "every shard" alone; one running some
        shares that lock (so the two kinds exclude each other) and holds each of its shards alone.
        """
        async with self._holder_lock:
            await self._hold_shards(await self._holder(), shards)
            self._shards = shards

    async def lease_posting(self, posting_id: int) -> bool:
        """Take the posting's session advisory lock; False if another process holds it (it is
        sending that posting's items). Held until :meth:`release_posting` or the connection ends."""
        holder = self._lock_holder
        if posting_id in self._leased and holder is not None and not holder.is_closed():
            return True
        with driver_errors(self.url.shown, self._notice, network=True):
            async with self._holder_lock:
                holder = await self._holder()
                if posting_id in self._leased:  # taken meanwhile by another of this process's tasks
                    return True
                taken = bool(
                    await holder.fetchval(
                        f"SELECT pg_try_advisory_lock({_LOCK_KEY})", f":posting:{posting_id}"
                    )
                )
        if taken:
            self._leased.add(posting_id)
        return taken

    async def release_posting(self, posting_id: int) -> None:
        """Give the posting's lock back (nothing if it was not held, or the connection is gone)."""
        if posting_id not in self._leased:
            return
        self._leased.discard(posting_id)
        async with self._holder_lock:
            holder = self._lock_holder
            if holder is not None and not holder.is_closed():
                with driver_errors(self.url.shown, self._notice, network=True):
                    await holder.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", f":posting:{posting_id}")

    async def identify_wait(self, bucket: int, window: float) -> float:
        """Reserve the bucket's next IDENTIFY slot for this process and return how many seconds
        to wait for it: one statement, atomic across processes, on the server's clock (so the
        machines' clocks need not agree)."""
        assert self._pool is not None
        with driver_errors(self.url.shown, self._notice, network=True):
            row = await self._identify_row(bucket, window)
        return max(0.0, float(row["wait"])) if row is not None else 0.0

    async def _identify_row(self, bucket: int, window: float) -> Any:
        assert self._pool is not None
        return await self._pool.fetchrow(
            "INSERT INTO identify_buckets AS b (bucket, next_at)"
            " VALUES ($1, extract(epoch FROM clock_timestamp()) + $2)"
            " ON CONFLICT (bucket) DO UPDATE"
            " SET next_at = greatest(b.next_at, extract(epoch FROM clock_timestamp())) + $2"
            " RETURNING next_at - $2 - extract(epoch FROM clock_timestamp()) AS wait",
            bucket,
            window,
        )

    async def _holder(self) -> asyncpg.Connection[Any]:
        """The connection that holds this process's session locks (shards, postings).

        Its locks go with it: if the server closed it, the postings' leases are forgotten (a
        worker asks for its lease again before each item, and stops if another process took it)
        and the shards are taken again on a new connection, or this process is refused them."""
        holder = self._lock_holder
        if holder is not None and not holder.is_closed():
            return holder
        driver = require_asyncpg()
        lost = holder is not None
        self._leased.clear()
        fresh: asyncpg.Connection[Any] = await driver.connect(
            self.url.reveal(), timeout=CONNECT_TIMEOUT_SECONDS, server_settings=_KEEPALIVE
        )
        if lost:
            log.warning("the connection holding this process's locks was lost; taking them again")
            if self._shards is not None:
                try:
                    await self._hold_shards(fresh, self._shards)
                except BaseException:
                    # Not holding its shards, this process must not act as if it did: every
                    # later lease asks again, and is refused while another process holds them.
                    await fresh.close()
                    raise
        self._lock_holder = fresh
        return fresh

    async def _hold_shards(self, holder: asyncpg.Connection[Any], shards: ShardSet) -> None:
        if shards.ids is None:
            if not await holder.fetchval(f"SELECT pg_try_advisory_lock({_LOCK_KEY})", ":shards"):
                raise DatabaseError(
                    f"another Readalong process already runs on {self.url.shown}; stop it first, or run"
                    " each process with its own --shards and --shard-count"
                )
            return
        assert shards.count is not None
        await self._join_layout(holder, shards.count)
        for shard_id in sorted(shards.ids):
            if not await holder.fetchval(
                f"SELECT pg_try_advisory_lock({_LOCK_KEY})", f":shard:{shards.count}:{shard_id}"
            ):
                await holder.execute("SELECT pg_advisory_unlock_all()")
                raise DatabaseError(
                    f"shard {shard_id} of {shards.count} is already run by another Readalong process on"
                    f" {self.url.shown}; stop it first or give this one other --shards"
                )

    async def _join_layout(self, holder: asyncpg.Connection[Any], count: int) -> None:
        """Share the "every shard" lock with the other sharded processes, and agree with them on
        the shard count: processes with different counts would each own some of the same servers.
        The first process (the one that finds the lock free) writes its count; each process then
        reads the count back under the shared lock and is refused if it is not its own."""
        for _ in range(20):
            if await holder.fetchval(f"SELECT pg_try_advisory_lock({_LOCK_KEY})", ":shards"):
                await holder.execute(
                    "INSERT INTO shard_layout (only_row, shard_count) VALUES (TRUE, $1)"
                    " ON CONFLICT (only_row) DO UPDATE SET shard_count = excluded.shard_count",
                    count,
                )
                await holder.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", ":shards")
            if await holder.fetchval(f"SELECT pg_try_advisory_lock_shared({_LOCK_KEY})", ":shards"):
                break
            await asyncio.sleep(0.1)  # another process holds it alone for a moment, or for good
        else:
            raise DatabaseError(
                f"a Readalong process running every shard already runs on {self.url.shown}; stop it first"
            )
        agreed = await holder.fetchval("SELECT shard_count FROM shard_layout")
        if agreed is not None and agreed != count:
            await holder.execute(f"SELECT pg_advisory_unlock_shared({_LOCK_KEY})", ":shards")
            raise DatabaseError(
                f"the Readalong processes running on {self.url.shown} use --shard-count {agreed}; give this"
                f" one the same count (to change it, stop them all first)"
            )

    async def _migrate(self, connection: asyncpg.Connection[Any]) -> None:
        known = len(self._migrations)
        async with connection.transaction():
            # Per schema, like every other lock here: processes opening one schema take turns;
            # stores in other schemas (other bots, the tests' own schemas) never wait on each other.
            await connection.execute(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})", ":migrations")
            schema = await connection.fetchval("SELECT current_schema()")
            if schema is None:
                raise DatabaseError(
                    f"{self.url.shown}: the search_path names no schema that exists; create it first"
                )
            tables = {row[0] for row in await connection.fetch(RELATIONS_SQL)}
            current = 0
            if "readalong_schema" in tables:
                row = await connection.fetchrow("SELECT application, version FROM readalong_schema")
                if row is None or row["application"] != APPLICATION:
                    raise ForeignDatabaseError(
                        f"{self.url.shown} (schema {schema}) is not a Readalong database"
                    )
                current = int(row["version"])
                if current > known:
                    raise NewerDatabaseError(
                        f"{self.url.shown} (schema {schema}) was written by a newer Readalong"
                        f" (schema {current}, this one knows {known})"
                    )
            elif tables:
                shown = ", ".join(sorted(tables)[:3]) + ("…" if len(tables) > 3 else "")
                raise ForeignDatabaseError(
                    f"{self.url.shown} (schema {schema}) is not a Readalong database (it holds other"
                    f" tables: {shown}); give it a database or schema of its own"
                )
            # What the version claims is there before more is built on it (0001 was once edited
            # in place): repaired, or refused naming what is missing.
            await check_postgres(connection, f"{self.url.shown} (schema {schema})", self._migrations, current)
            for migration in self._migrations[current:]:
                try:
                    async with connection.transaction():  # a savepoint: one migration at a time
                        await connection.execute(migration.sql)
                        if migration.number == 1:
                            await connection.execute(
                                "CREATE TABLE readalong_schema (application TEXT NOT NULL, version INTEGER NOT NULL)"
                            )
                            await connection.execute(
                                "INSERT INTO readalong_schema VALUES ($1, $2)", APPLICATION, 1
                            )
                        else:
                            await connection.execute(
                                "UPDATE readalong_schema SET version = $1", migration.number
                            )
                except Exception as error:
                    asyncpg = require_asyncpg()
                    if isinstance(error, asyncpg.PostgresError):
                        from bot.store.migration import MigrationError

                        raise MigrationError(
                            f"migration {migration.number:04d}_{migration.name} failed: {error};"
                            " the database is unchanged"
                        ) from None
                    raise


@dataclass(frozen=True, slots=True)
class PostgresInspection:
    """What a PostgreSQL schema holds, looked at without changing it (as
    :func:`~bot.store.sqlite_file.inspect_database` looks at a file)."""

    schema: str
    version: int | None
    """The Readalong schema's version; None where there is no ``readalong_schema`` mark."""
    foreign: bool
    """A ``readalong_schema`` table that is not Readalong's."""
    tables: frozenset[str]
    """Its base tables, the running bots' bookkeeping (:data:`BOOKKEEPING`) left out."""
    rows: dict[str, int]
    """The rows of each table asked about that it holds (and has rows)."""
    identity: tuple[Any, ...]
    """What tells two schemas apart: the server, its start, the database and the schema."""


BOOKKEEPING = frozenset({"readalong_schema", "identify_buckets", "shard_layout"})
"""The tables of the running bots rather than of the library: the schema's mark, the shards'
IDENTIFY slots and their shard count."""
DERIVED = frozenset({"passage_counts", "passage_lexemes", "article_passage_counts", "article_lexemes"})
"""Tables kept by triggers from ``passages`` (migration 0005), as SQLite's full-text tables are
kept from theirs: neither copied nor looked at as the library's."""


async def inspect_postgres(url: PostgresUrl, count: Sequence[str] = ()) -> PostgresInspection:
    """Look at the schema ``url`` names, in one read-only connection: its mark, tables, the rows
    of the tables named in ``count``, and who it is; nothing is created or migrated."""
    driver = require_asyncpg()
    try:
        connection = await driver.connect(url.reveal(), timeout=CONNECT_TIMEOUT_SECONDS)
    except (driver.PostgresError, OSError, TimeoutError) as error:
        raise describe_postgres_error(error, url.shown) from None
    try:
        with driver_errors(url.shown, network=True):
            schema = await connection.fetchval("SELECT current_schema()")
            if schema is None:
                raise DatabaseError(f"{url.shown}: the search_path names no schema that exists")
            names = await connection.fetch(TABLES_SQL)
            every = {str(row[0]) for row in names}
            version: int | None = None
            foreign = False
            if "readalong_schema" in every:
                row = await connection.fetchrow("SELECT application, version FROM readalong_schema")
                foreign = row is None or row["application"] != APPLICATION
                version = None if foreign or row is None else int(row["version"])
            tables = frozenset(every - BOOKKEEPING - DERIVED)
            rows = {}
            for name in count:
                if name in tables and (n := await connection.fetchval(f'SELECT count(*) FROM "{name}"')):
                    rows[name] = int(n)
            identity = await connection.fetchrow(
                "SELECT inet_server_addr()::text, inet_server_port(), pg_postmaster_start_time()::text,"
                " current_database(), current_schema()"
            )
    finally:
        await connection.close()
    return PostgresInspection(str(schema), version, foreign, tables, rows, tuple(identity or ()))
