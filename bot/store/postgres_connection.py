"""The query modules' connection over :mod:`asyncpg`, and asyncpg's errors as the store's own.

The query modules speak the small :class:`~bot.store.connection.Connection` surface with ``?``
parameters; :class:`PgConnection` gives it to them over asyncpg, translating ``?`` (and ``?N``)
to PostgreSQL's ``$N``, and turning asyncpg's exceptions into the store's own
(:func:`~bot.store.errors.driver_errors`), naming the server without its password.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from bot.errors import ReadalongError
from bot.store.errors import DatabaseUnavailableError, Notice, driver_errors

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

ROWS_PER_INSERT = 10_000
"""Rows of one ``INSERT … SELECT … FROM unnest(…)``: a burst of the recorder's (its queue holds at
most 10,000 changes) is one statement."""
_INSERT_VALUES = re.compile(r"(?is)^(\s*INSERT\s+INTO\s+.+?\s+)VALUES\s*(\((?:\s*\?\s*,)*\s*\?\s*\))(.*)$")
_PARAMETER = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d*)")


SESSION = {"jit": "off"}
"""Every connection's settings. JIT compiling is for long analytical queries: the planner,
costing a search before the tables' statistics exist (right after an import), compiled it for
3.7 s to run it in 1 ms. Commits keep the server's default (``synchronous_commit = on``): a
message acknowledged is on the server's disk, so not even the server's own crash loses it."""

KEPT = 64 * 1024
"""The longest statement (in bytes) a read connection keeps prepared (asyncpg's default: 15 KB). A question
of 13 words or more is a statement of 16 KB or more, whose plan is kept only if it is kept
prepared (:class:`~bot.store.postgres_bm25.Params`)."""


async def keep_session(connection: asyncpg.Connection[Any]) -> None:
    """What the read pool does to a connection given back: nothing beyond asyncpg's own rollback
    of a transaction left open. Its default reset (unlocking advisory locks, closing cursors,
    ``RESET ALL``) is one more trip to the server per statement, and the pool's connections never
    take a session lock, a cursor or a setting (the locks are held on their own connection)."""


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


def _integer(value: Any) -> str:
    return str(int(value))


def _real(value: Any) -> str:
    return repr(float(value))


def _boolean(value: Any) -> str:
    return "t" if value else "f"


def _bytes(value: Any) -> str:
    return "\\x" + bytes(value).hex()


_AS_TEXT: dict[str, Callable[[Any], str]] = {
    "int2": _integer,
    "int4": _integer,
    "int8": _integer,
    "float4": _real,
    "float8": _real,
    "numeric": str,
    "bool": _boolean,
    "bytea": _bytes,
    "text": str,
    "varchar": str,
}
"""How a value of each built-in type is written as PostgreSQL reads it from text. asyncpg has
binary codecs for arrays of text and of oids only: a statement with an array of any other type
(``int8[]``, ``bytea[]``...) costs a look-up of the type, on each new connection, that the server
plans and runs as a recursive query (~7 ms of its CPU and 2 ms of ours). So ``unnest``'s arrays
go as ``text[]``, cast on the server."""


def _text_array(column: list[Any], as_text: Callable[[Any], str] | None) -> list[Any]:
    if as_text is None:
        return column
    return [None if value is None else as_text(value) for value in column]


def _writer(schema: str, name: str) -> Callable[[Any], str] | None:
    """How a value of the type is written as text (:data:`_AS_TEXT`); None: sent as it is."""
    return _AS_TEXT.get(name) if schema == "pg_catalog" else None


def _array_parameter(number: int, schema: str, name: str) -> str:
    """``$n`` as an array of the type: sent as text where :func:`_writer` writes the type."""
    if _writer(schema, name) is not None:
        return f"${number}::text[]::{name}[]"
    return f"${number}::{_type_name(schema, name)}[]"


def _type_name(schema: str, name: str) -> str:
    """A parameter's type as SQL names it: a built-in by its name, another qualified and quoted."""
    if schema == "pg_catalog":
        return name
    return '"{}"."{}"'.format(schema.replace('"', '""'), name.replace('"', '""'))


def _count(status: str) -> int:
    """The row count of a command status (``UPDATE 3``, ``INSERT 0 1``); -1 if it has none."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


def ignore(error: DatabaseUnavailableError) -> None:
    """No one to tell (a backend used on its own, as by ``readalong db copy``)."""


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


_Unnested = tuple[str, list[Callable[[Any], str] | None]]
"""An ``unnest`` insert, and how each of its columns' values is written as text (None: as they are)."""


class PgConnection:
    """The query modules' :class:`~bot.store.connection.Connection` over asyncpg: one connection,
    or a pool from which each statement borrows one."""

    def __init__(
        self,
        source: asyncpg.Connection[Any] | PoolConnectionProxy[Any] | asyncpg.Pool[Any],
        where: str,
        notice: Notice = ignore,
    ) -> None:
        self._source = source
        self._where = where
        self._notice = notice
        self._unnested: dict[str, _Unnested | None] = {}
        """``executemany``'s inserts as ``unnest`` statements, by their SQL."""

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> _Pending:
        """Run one statement; the cursor holds its rows (read in full) and its row count."""
        return _Pending(lambda: self._run(sql, parameters))

    async def execute_fetchall(self, sql: str, parameters: Sequence[Any] = (), /) -> list[Any]:
        """Run one statement and return its rows."""
        cursor = await self._run(sql, parameters)
        return await cursor.fetchall()

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> PgCursor:
        """Run one statement once per row of parameters; the row count is the total (-1 for an
        ``INSERT`` sent row by row, pipelined, which is not counted).

        An ``INSERT … VALUES (?, …)`` (without ``DO UPDATE``, which may not touch a row twice in
        one statement, and without parameters after its values) goes as one ``INSERT … SELECT *
        FROM unnest(…)`` of up to :data:`ROWS_PER_INSERT` rows, each column one array (unless a
        column is an array itself): one round
        trip for a burst of messages, and the same statement text (so one plan, prepared once) for
        any number of rows. Another ``INSERT`` goes row by row in one pipelined round trip
        (asyncpg's ``executemany``); an ``UPDATE`` or ``DELETE`` one statement at a time, counted."""
        rows = [[_storable(v) for v in row] for row in parameters]
        split = _INSERT_VALUES.match(sql)
        with driver_errors(self._where, self._notice, network=True):
            return await self._executemany(sql, rows, split)

    async def _executemany(self, sql: str, rows: list[list[Any]], split: re.Match[str] | None) -> PgCursor:
        total = 0
        if not rows:
            return PgCursor([], 0)
        async with self._connection() as connection:
            unnested = None
            if split is not None and "DO UPDATE" not in sql.upper() and "?" not in split.group(3):
                unnested = await self._unnest_statement(connection, sql, split)
            if unnested is not None:
                statement, writers = unnested
                for first in range(0, len(rows), ROWS_PER_INSERT):
                    columns = [
                        _text_array(list(column), write)
                        for column, write in zip(
                            zip(*rows[first : first + ROWS_PER_INSERT], strict=True), writers, strict=True
                        )
                    ]
                    status = await connection.execute(statement, *columns)
                    total += max(_count(status), 0)
                return PgCursor([], total)
            statement = _translate(sql)
            if split is not None or sql.lstrip()[:6].upper() == "INSERT":
                await connection.executemany(statement, rows)
                return PgCursor([], -1)
            for row in rows:
                status = await connection.execute(statement, *row)
                total += max(_count(status), 0)
        return PgCursor([], total)

    async def _unnest_statement(
        self, connection: asyncpg.Connection[Any] | PoolConnectionProxy[Any], sql: str, split: re.Match[str]
    ) -> _Unnested | None:
        """``INSERT INTO t (a, b) VALUES (?, ?) tail`` as ``INSERT INTO t (a, b) SELECT * FROM
        unnest($1::text[]::ta[], $2::text[]::tb[]) tail``, the arrays' types those PostgreSQL
        gives the single row's parameters (asked once per statement, by preparing it), each sent
        as text where :data:`_AS_TEXT` writes its type, with how to write each column's values;
        None when a parameter is an array itself (``unnest`` would flatten it), which goes row by
        row instead."""
        if sql in self._unnested:
            return self._unnested[sql]
        head, group, tail = split.groups()
        single = await connection.prepare(_translate(f"{head}VALUES {group}{tail}"))
        types = single.get_parameters()
        unnested = None
        if all(t.kind != "array" for t in types):
            arrays = ", ".join(_array_parameter(n, t.schema, t.name) for n, t in enumerate(types, 1))
            writers = [_writer(t.schema, t.name) for t in types]
            unnested = (f"{head}SELECT * FROM unnest({arrays}){tail}", writers)
        self._unnested[sql] = unnested
        return unnested

    async def _run(self, sql: str, parameters: Sequence[Any]) -> PgCursor:
        statement = _translate(sql)
        values = [_storable(v) for v in parameters]
        with driver_errors(self._where, self._notice, network=True):
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
