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
import re
from collections.abc import AsyncIterator, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.domain.database import PostgresUrl
from bot.errors import DatabaseError, ReadalongError

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from bot.domain.shards import ShardSet
    from bot.store.db import Migration

APPLICATION = "readalong"
"""What ``readalong_schema.application`` holds in a Readalong schema."""
MIGRATION_LOCK = 0x52414C47
"""The advisory lock key migrations hold ("RALG", as SQLite's ``application_id``)."""
SHARD_LOCK_NAME = "readalong shards of schema "
"""The advisory locks on shards are keyed by this and the schema's name (hashed: the first key)
and the shard's number (the second): advisory locks are per database, and two Readalongs in two
schemas of one database are two bots, not one bot started twice."""
_SHARD_LOCK = "hashtext($1 || current_schema())"
CONNECT_TIMEOUT_SECONDS = 10.0
READ_POOL_SIZE = 4

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


_translated: dict[str, str] = {}


def _translate(sql: str) -> str:
    found = _translated.get(sql)
    if found is None:
        found = to_dollar_parameters(sql)
        if len(_translated) < 4096:
            _translated[sql] = found
    return found


def _storable(value: Any) -> Any:
    """PostgreSQL's text cannot hold NUL, which SQLite's can: a NUL is stored as U+FFFD."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", "\ufffd")
    return value


def _returns_rows(sql: str) -> bool:
    head = sql.lstrip()[:7].upper()
    return head.startswith(("SELECT", "WITH", "VALUES")) or " RETURNING " in sql.upper()


def _count(status: str) -> int:
    """The row count of a command status (``UPDATE 3``, ``INSERT 0 1``); -1 if it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


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

    def __init__(self, source: asyncpg.Connection[Any] | asyncpg.Pool[Any]) -> None:
        self._source = source

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Pending:
        """Run one statement; the cursor holds its rows (read in full) and its row count."""
        return _Pending(lambda: self._run(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = (), /) -> list[Any]:
        """Run one statement and return its rows."""
        cursor = await self._run(sql, parameters)
        return await cursor.fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> PgCursor:
        """Run one statement once per row of parameters; the row count is the total."""
        total = 0
        statement = _translate(sql)
        async with self._connection() as connection:
            for row in parameters:
                status = await connection.execute(statement, *map(_storable, row))
                total += max(_count(status), 0)
        return PgCursor([], total)

    async def _run(self, sql: str, parameters: Sequence[Any]) -> PgCursor:
        statement = _translate(sql)
        values = [_storable(v) for v in parameters]
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
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "no answer"
        return DatabaseError(f"cannot connect to PostgreSQL at {where}: {reason}")
    return DatabaseError(f"{where}: {error}")


class PostgresBackend:
    """The connections to one PostgreSQL schema: a pool for reads, one connection for writes."""

    def __init__(self, url: PostgresUrl, migrations: Sequence[Migration]) -> None:
        self.url = url
        self._migrations = migrations
        self._writer: asyncpg.Connection[Any] | None = None
        self._pool: asyncpg.Pool[Any] | None = None
        self._shard_holder: asyncpg.Connection[Any] | None = None
        self.reader: PgConnection | None = None
        self.writer: PgConnection | None = None

    async def open(self) -> None:
        """Connect, check the schema is Readalong's (or empty), apply pending migrations."""
        asyncpg = require_asyncpg()
        dsn = self.url.reveal()
        try:
            self._writer = await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT_SECONDS)
            await self._migrate(self._writer)
            self._pool = await asyncpg.create_pool(
                dsn, min_size=1, max_size=READ_POOL_SIZE, timeout=CONNECT_TIMEOUT_SECONDS
            )
        except BaseException as error:
            await self.close()
            if isinstance(error, ReadalongError):
                raise
            if isinstance(error, asyncpg.PostgresError | OSError | asyncio.TimeoutError):
                raise describe_postgres_error(error, self.url) from None
            raise
        self.reader = PgConnection(self._pool)
        self.writer = PgConnection(self._writer)

    async def close(self) -> None:
        """Close every connection (releasing the shards' locks with them)."""
        writer, self._writer = self._writer, None
        pool, self._pool = self._pool, None
        holder, self._shard_holder = self._shard_holder, None
        self.reader = self.writer = None
        for connection in (holder, writer):
            if connection is not None:
                await connection.close()
        if pool is not None:
            await pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PgConnection]:
        """``BEGIN`` … ``COMMIT`` on the write connection, ``ROLLBACK`` if the block raises."""
        assert self._writer is not None and self.writer is not None
        async with self._writer.transaction():
            yield self.writer

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
        asyncpg = require_asyncpg()
        if self._shard_holder is None:
            self._shard_holder = await asyncpg.connect(self.url.reveal(), timeout=CONNECT_TIMEOUT_SECONDS)
        holder = self._shard_holder
        if shards.ids is None:
            if not await holder.fetchval(f"SELECT pg_try_advisory_lock({_SHARD_LOCK}, -1)", SHARD_LOCK_NAME):
                raise DatabaseError(
                    f"another Readalong process already runs on {self.url.shown}; stop it first, or run"
                    " each process with its own --shards and --shard-count"
                )
            return
        if not await holder.fetchval(
            f"SELECT pg_try_advisory_lock_shared({_SHARD_LOCK}, -1)", SHARD_LOCK_NAME
        ):
            raise DatabaseError(
                f"a Readalong process running every shard already runs on {self.url.shown}; stop it first"
            )
        assert shards.count is not None
        for shard_id in sorted(shards.ids):
            if not await holder.fetchval(
                f"SELECT pg_try_advisory_lock({_SHARD_LOCK}, $2)",
                SHARD_LOCK_NAME,
                shards.count * 1024 + shard_id,
            ):
                await holder.execute("SELECT pg_advisory_unlock_all()")
                raise DatabaseError(
                    f"shard {shard_id} of {shards.count} is already run by another Readalong process on"
                    f" {self.url.shown}; stop it first or give this one other --shards"
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
