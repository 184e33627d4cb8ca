"""The PostgreSQL backend: connections through :mod:`asyncpg`, migrations, the schema's mark.

The query modules speak the small :class:`~bot.store.connection.Connection` surface with ``?``
parameters; :class:`PgConnection` gives it to them over asyncpg, translating ``?`` (and ``?N``)
to PostgreSQL's ``$N``. Reads go through a small pool (several commands read at once); writes
through one connection, one transaction at a time, as on SQLite.

A Readalong schema is marked by its ``readalong_schema`` table (the application's name and the
number of the last migration applied); a schema holding other tables and no mark is refused
before anything is written to it, as a foreign SQLite file is. Migrations run under an advisory
lock, so two processes starting at once apply each migration once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from bot.domain.database import PostgresUrl
from bot.errors import DatabaseError, ReadalongError
from bot.store.errors import DatabaseUnavailableError, unavailable_from
from bot.store.schema import check_postgres

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from bot.domain.shards import ShardSet
    from bot.store.db import Migration

log = logging.getLogger(__name__)

APPLICATION = "readalong"
"""What ``readalong_schema.application`` holds in a Readalong schema."""
MIGRATION_LOCK = 0x52414C47
"""The advisory lock key migrations hold ("RALG", as SQLite's ``application_id``)."""
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

ROWS_PER_INSERT = 500
_MAX_PARAMETERS = 32_767
"""PostgreSQL's limit on a statement's parameters."""
_INSERT_VALUES = re.compile(r"(?is)^(\s*INSERT\s+INTO\s+.+?\s+VALUES\s*)(\((?:\s*\?\s*,)*\s*\?\s*\))(.*)$")
_PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)")


def to_dollar_parameters(sql: str) -> str:
    """``sql`` with SQLite's ``?`` and ``?N`` parameters as PostgreSQL's ``$N`` (quoted strings
    and identifiers left alone)."""
    counter = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal counter
        if not match.group(0).startswith("?"):
            return match.group(0)
        if match.group(1):
            return f"${match.group(1)}"
        counter += 1
        return f"${counter}"

    return _PARAMETER.sub(replace, sql)


_translate = functools.lru_cache(maxsize=4096)(to_dollar_parameters)
"""Each statement translated once (the query modules' SQL is a few hundred strings)."""


def _storable(value: Any) -> Any:
    """PostgreSQL's text cannot hold NUL, which SQLite's can: a NUL is stored as U+FFFD."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


@functools.lru_cache(maxsize=4096)
def _returns_rows(sql: str) -> bool:
    """Whether the statement answers with rows (read with ``fetch``) or only a status."""
    head = sql.lstrip()[:7].upper()
    return head.startswith(("SELECT", "WITH", "VALUES")) or " RETURNING " in sql.upper()


def _count(status: str) -> int:
    """The row count of a command status (``UPDATE 3``, ``INSERT 0 1``); -1 if it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


Notice = Callable[[DatabaseUnavailableError], None]
"""Told each time the server cannot be reached (the store's :class:`~bot.store.availability.Availability`)."""


def _ignore(error: DatabaseUnavailableError) -> None:
    """No one to tell (a backend used on its own, as by ``readalong db copy``)."""


@contextmanager
def reachable(notice: Notice = _ignore) -> Iterator[None]:
    """Turn asyncpg's "cannot reach the server" failures (refused, reset, closed, shutting down)
    into the store's :class:`DatabaseUnavailableError`, and tell ``notice``: above the store no
    one looks at asyncpg's exceptions."""
    try:
        yield
    except DatabaseUnavailableError as error:
        notice(error)
        raise
    except Exception as error:
        unavailable = unavailable_from(error)
        if unavailable is None:
            raise
        notice(unavailable)
        raise unavailable from error


class PgCursor:
    """A statement's result, read in full: its rows and the number of rows it changed."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        """The first row, or None."""
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Any]:
        """Every row."""
        return self._rows

    async def __aiter__(self) -> AsyncIterator[Any]:
        for row in self._rows:
            yield row


class _Pending:
    """``execute``'s result: awaited, or used in ``async with``, as aiosqlite's is."""

    def __init__(self, run: Any) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run().__await__()  # type: ignore[no-any-return]

    async def __aenter__(self) -> PgCursor:
        cursor: PgCursor = await self._run()
        return cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


class PgConnection:
    """The query modules' :class:`~bot.store.connection.Connection` over asyncpg: one connection,
    or a pool from which each statement borrows one."""

    def __init__(self, source: asyncpg.Connection[Any] | asyncpg.Pool[Any], notice: Notice = _ignore) -> None:
        self._source = source
        self._notice = notice

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Pending:
        """Run one statement; the cursor holds its rows (read in full) and its row count."""
        return _Pending(lambda: self._run(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = (), /) -> list[Any]:
        """Run one statement and return its rows."""
        cursor = await self._run(sql, parameters)
        return await cursor.fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> PgCursor:
        """Run one statement once per row of parameters; the row count is the total.

        An ``INSERT … VALUES (?, …)`` (without ``DO UPDATE``, which may not touch a row twice in
        one statement) goes as multi-row inserts of up to :data:`ROWS_PER_INSERT` rows: one round
        trip for a burst of messages rather than one per message."""
        rows = [[_storable(v) for v in row] for row in parameters]
        split = _INSERT_VALUES.match(sql)
        with reachable(self._notice):
            return await self._executemany(sql, rows, split)

    async def _executemany(self, sql: str, rows: list[list[Any]], split: re.Match[str] | None) -> PgCursor:
        total = 0
        async with self._connection() as connection:
            if split is not None and "DO UPDATE" not in sql.upper() and rows:
                head, group, tail = split.groups()
                width = group.count("?")
                per_statement = max(1, min(ROWS_PER_INSERT, _MAX_PARAMETERS // max(width, 1)))
                for first in range(0, len(rows), per_statement):
                    chunk = rows[first : first + per_statement]
                    statement = _translate(head + ", ".join([group] * len(chunk)) + tail)
                    status = await connection.execute(statement, *[v for row in chunk for v in row])
                    total += max(_count(status), 0)
                return PgCursor([], total)
            statement = _translate(sql)
            for row in rows:
                status = await connection.execute(statement, *row)
                total += max(_count(status), 0)
        return PgCursor([], total)

    async def _run(self, sql: str, parameters: Sequence[Any]) -> PgCursor:
        statement = _translate(sql)
        values = [_storable(v) for v in parameters]
        with reachable(self._notice):
            return await self._fetch(sql, statement, values)

    async def _fetch(self, sql: str, statement: str, values: list[Any]) -> PgCursor:
        async with self._connection() as connection:
            if _returns_rows(sql):
                rows = await connection.fetch(statement, *values)
                return PgCursor(list(rows), len(rows))
            status = await connection.execute(statement, *values)
            return PgCursor([], _count(status))

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection[Any] | PoolConnectionProxy[Any]]:
        import asyncpg

        if isinstance(self._source, asyncpg.Pool):
            async with self._source.acquire() as connection:
                yield connection
        else:
            yield self._source


def require_asyncpg() -> Any:
    """The :mod:`asyncpg` module, or a one-line error saying how to install it."""
    try:
        import asyncpg
    except ImportError:
        raise ReadalongError(
            "PostgreSQL needs the asyncpg driver: pip install 'readalong[postgres]'"
        ) from None
    return asyncpg


def describe_postgres_error(error: BaseException, url: PostgresUrl) -> DatabaseError:
    """One line for a PostgreSQL failure, naming the server without its password."""
    asyncpg = require_asyncpg()
    where = url.shown
    if isinstance(error, asyncpg.InvalidCatalogNameError):
        return DatabaseError(f"{where}: that database does not exist (createdb it first)")
    if isinstance(error, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError):
        return DatabaseError(f"{where}: the server refused the user or password")
    if isinstance(error, asyncpg.InsufficientPrivilegeError):
        return DatabaseError(f"{where}: permission denied ({error.args[0] if error.args else error})")
    if isinstance(error, asyncpg.PostgresError):
        message = error.args[0] if error.args else type(error).__name__
        return DatabaseError(f"{where}: {message}")
    if isinstance(error, OSError | asyncio.TimeoutError):
        reason = (
            error.strerror if isinstance(error, OSError) and error.strerror else str(error) or "no answer"
        )
        return DatabaseError(f"cannot connect to PostgreSQL at {where}: {reason}")
    return DatabaseError(f"{where}: {error}")


class PostgresBackend:
    """The connections to one PostgreSQL schema: a pool for reads, one connection for writes."""

    def __init__(self, url: PostgresUrl, migrations: Sequence[Migration], notice: Notice = _ignore) -> None:
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
                dsn, timeout=CONNECT_TIMEOUT_SECONDS, command_timeout=COMMAND_TIMEOUT_SECONDS
            )
            await self._migrate(self._writer)
            self._pool = await asyncpg.create_pool(
                dsn,
                # No floor: asyncpg restores one after an outage by logging a traceback per failed
                # attempt; the store's probe says the outage once instead.
                min_size=0,
                max_size=READ_POOL_SIZE,
                timeout=CONNECT_TIMEOUT_SECONDS,
                command_timeout=COMMAND_TIMEOUT_SECONDS,
            )
        except BaseException as error:
            await self.close()
            if isinstance(error, ReadalongError):
                raise
            if isinstance(error, asyncpg.PostgresError | OSError | asyncio.TimeoutError):
                raise describe_postgres_error(error, self.url) from None
            raise
        self.reader = PgConnection(self._pool, self._notice)
        self.writer = PgConnection(self._writer, self._notice)

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
        with reachable(self._notice):
            if self._writer is None or self._writer.is_closed():
                asyncpg = require_asyncpg()
                self._writer = await asyncpg.connect(
                    self.url.reveal(),
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    command_timeout=COMMAND_TIMEOUT_SECONDS,
                )
                log.info("reconnected to %s for writes", self.url.shown)
                self.writer = PgConnection(self._writer, self._notice)
            assert self.writer is not None
            async with self._writer.transaction():
                yield self.writer

    async def ping(self) -> None:
        """One cheap statement (``SELECT 1``) through the read pool: returns if the server answers,
        raises :class:`DatabaseUnavailableError` if it cannot be reached (the readiness probe)."""
        assert self._pool is not None
        with reachable():
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
        with reachable(self._notice):
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
                with reachable(self._notice):
                    await holder.execute(f"SELECT pg_advisory_unlock({_LOCK_KEY})", f":posting:{posting_id}")

    async def identify_wait(self, bucket: int, window: float) -> float:
        """Reserve the bucket's next IDENTIFY slot for this process and return how many seconds
        to wait for it: one statement, atomic across processes, on the server's clock (so the
        machines' clocks need not agree)."""
        assert self._pool is not None
        with reachable(self._notice):
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
            await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            schema = await connection.fetchval("SELECT current_schema()")
            if schema is None:
                raise DatabaseError(
                    f"{self.url.shown}: the search_path names no schema that exists; create it first"
                )
            tables = {
                row[0]
                for row in await connection.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
                )
            }
            current = 0
            if "readalong_schema" in tables:
                row = await connection.fetchrow("SELECT application, version FROM readalong_schema")
                if row is None or row["application"] != APPLICATION:
                    raise DatabaseError(f"{self.url.shown} (schema {schema}) is not a Readalong database")
                current = int(row["version"])
                if current > known:
                    raise DatabaseError(
                        f"{self.url.shown} (schema {schema}) was written by a newer Readalong"
                        f" (schema {current}, this one knows {known})"
                    )
            elif tables:
                shown = ", ".join(sorted(tables)[:3]) + ("…" if len(tables) > 3 else "")
                raise DatabaseError(
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
                        from bot.store.db import MigrationError

                        raise MigrationError(
                            f"migration {migration.number:04d}_{migration.name} failed: {error};"
                            " the database is unchanged"
                        ) from None
                    raise
