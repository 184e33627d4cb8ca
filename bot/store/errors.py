"""Database errors, whichever backend raised them: which ones pass (a write to retry), and which
are PostgreSQL's (for the command line's one-line message).

asyncpg is looked up where it is already imported, never imported here: a bot on SQLite does not
need it installed, and an error cannot be asyncpg's if asyncpg was never loaded.
"""

from __future__ import annotations

import sqlite3
import sys

from bot.errors import DatabaseError


class IncompleteSchemaError(DatabaseError):
    """The database lacks tables, columns or indexes its schema version claims, and they cannot
    be added back (see :mod:`bot.store.schema`)."""


def is_postgres_error(error: BaseException) -> bool:
    """Whether ``error`` is asyncpg's: the server's refusal, or the connection's failure."""
    asyncpg = sys.modules.get("asyncpg")
    return asyncpg is not None and isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError)


def is_busy_error(error: BaseException) -> bool:
    """Whether a write failed for a reason that passes, so that it is retried rather than dropped:
    on SQLite any operational error (the file locked by another process), on PostgreSQL a lock
    not granted, a deadlock or serialization failure (the transaction rolled back, to run again),
    a server starting, shutting down or out of connections, the connection lost, or a statement
    that outlived its time (``COMMAND_TIMEOUT_SECONDS``: a network gone quiet)."""
    if isinstance(error, sqlite3.OperationalError | DatabaseUnavailableError):
        return True
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is None:
        return False
    return isinstance(
        error,
        asyncpg.TransactionRollbackError
        | asyncpg.LockNotAvailableError
        | asyncpg.OperatorInterventionError
        | asyncpg.InsufficientResourcesError
        | asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | ConnectionError
        | TimeoutError,
    )


def describe_trouble(error: BaseException) -> str:
    """What a write that failed for a reason that may pass (:func:`is_busy_error`) is waiting
    for, in words for the log and ``/article status``: a full disk and a file made read-only are
    named as such (SQLite's result code, not its wording, which says "database or disk is
    full" for both a full disk and a database at its size limit); anything else is busy."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(error, sqlite3.Error) and isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL:
        return "the database's disk is full"
    if primary == sqlite3.SQLITE_READONLY:
        return "the database is read-only"
    return f"the database is busy ({error})"


UNAVAILABLE_MESSAGE = "The database is unavailable; try again shortly."
"""What a command answers, in one line, while the database cannot be reached."""


class DatabaseUnavailableError(DatabaseError):
    """The database cannot be reached now (PostgreSQL refusing or dropping connections, an SQLite
    file whose disk fails its reads or writes): it may come back, so work waits for it rather than
    failing. ``str(error)`` is the line a member sees; :attr:`detail` is the driver's reason, for
    the operator's log."""

    def __init__(self, detail: str) -> None:
        super().__init__(UNAVAILABLE_MESSAGE)
        self.detail = detail


def unavailable_from(error: BaseException) -> DatabaseUnavailableError | None:
    """The store's own error for a driver's failure that means "the database cannot be reached
    now", or None for any other failure. On PostgreSQL: a connection refused, reset or closed
    (asyncpg's connection errors and ``InterfaceError``\\ s about a closed connection, an
    ``OSError`` or a timeout on connect), the server shutting down or starting; on SQLite: the
    file's disk failing (``SQLITE_IOERR``) or the file gone from under an open connection
    (``SQLITE_CANTOPEN``)."""
    if isinstance(error, DatabaseUnavailableError):
        return error
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", 0)
        if isinstance(code, int) and code & 0xFF in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN):
            return DatabaseUnavailableError(f"disk I/O error ({error})")
        return None
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
        if isinstance(
            error,
            asyncpg.PostgresConnectionError
            | asyncpg.CannotConnectNowError
            | asyncpg.AdminShutdownError
            | asyncpg.CrashShutdownError,
        ):
            return DatabaseUnavailableError(f"{type(error).__name__}: {error}")
        if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
            return DatabaseUnavailableError(f"connection closed ({error})")
    if isinstance(error, OSError | TimeoutError):
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return DatabaseUnavailableError(f"{type(error).__name__}: {reason or 'no answer'}")
    return None


def is_unavailable_error(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now (see :func:`unavailable_from`)."""
    return unavailable_from(error) is not None


def is_driver_error(error: BaseException) -> bool:
    """Whether ``error`` is a driver's (sqlite3's or asyncpg's), for the command line's last
    resort, so that nothing above the store names a driver."""
    return isinstance(error, sqlite3.Error) or is_postgres_error(error)
