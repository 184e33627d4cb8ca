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
    if isinstance(error, sqlite3.OperationalError):
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
