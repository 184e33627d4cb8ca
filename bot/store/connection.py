"""What the query modules ask of a database connection, whichever the backend.

The query modules were written against :mod:`aiosqlite`; the PostgreSQL backend gives them the
same small surface (:class:`Connection`), so one module of queries serves both and the SQL that
differs is confined to :mod:`bot.store.dialect` and the per-backend full-text search.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Generator, Iterable, Iterator, Sequence
from typing import Any, Protocol


class Row(Protocol):
    """A result row: by column name or by position (``aiosqlite.Row``, ``asyncpg.Record``)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> Iterable[str]:
        """The column names."""
        ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Cursor(Protocol):
    """The result of one statement: its rows and how many rows it changed."""

    @property
    def rowcount(self) -> int:
        """How many rows the statement changed (-1 where the backend cannot say)."""
        ...

    async def fetchone(self) -> Row | None:
        """The first row, or None."""
        ...

    async def fetchall(self) -> Iterable[Row]:
        """Every row."""
        ...

    def __aiter__(self) -> AsyncIterator[Row]: ...


class CursorContext(Protocol):
    """What ``execute`` returns: awaited for the cursor, or used as ``async with … as cursor``."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, *exc: object) -> None: ...


class Connection(Protocol):
    """The statements the query modules run; ``?`` marks parameters (``?N`` numbers them)."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> CursorContext:
        """Run one statement."""
        ...

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Awaitable[Cursor]:
        """Run one statement once per row of parameters; the cursor's row count is their total."""
        ...

    def execute_fetchall(self, sql: str, parameters: Sequence[Any] = ..., /) -> Awaitable[Iterable[Row]]:
        """Run one statement and return its rows."""
        ...
