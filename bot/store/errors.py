"""The store's own errors, whichever backend raised them: the drivers' exceptions (``sqlite3``,
``asyncpg``) are turned into these where the store runs a statement (:func:`driver_errors`), so
that nothing above the store names a driver.

- :class:`DatabaseUnavailableError`: the database cannot be reached now (waited for);
- :class:`DatabaseBusyError`: a write refused for a reason that passes (locked, a deadlock; its
  subclasses a full disk, :class:`DatabaseFullError`, and a file made read-only under the bot,
  :class:`WriteRefusedError`), retried rather than dropped;
- :class:`DatabaseCorruptError`: the file is damaged;
- :class:`StoreError`, their base: anything else the database refused (a constraint, a statement
  the server refused), one line naming the database, the driver's exception as its cause.

Refusals on opening (a foreign database, one from a newer Readalong, a read-only file, one in use)
are :class:`~bot.errors.DatabaseError` errors, said before anything is touched.

asyncpg is looked up where it is already imported, never imported here: a bot on SQLite does not
need it installed, and an error cannot be asyncpg's if asyncpg was never loaded.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.errors import DatabaseError, ReadOnlyDatabaseError


class ForeignDatabaseError(DatabaseError):
    """The database is not Readalong's (another program's file or schema, not SQLite at all):
    refused on opening, before anything in it is touched."""


class NewerDatabaseError(DatabaseError):
    """The database was written by a newer Readalong (a schema this one does not know): refused
    on opening, unchanged."""


class StoreError(Exception):
    """A statement the database refused, in the store's words: ``str(error)`` is one line naming
    the database (a file's path, a server without its password); the driver's exception is its
    ``__cause__``, for the log. Not a :class:`~bot.errors.ReadalongError`: in the bot it is
    logged with its traceback, as the driver's was (a member is not shown a file's path); the
    command line prints its line."""


class DatabaseBusyError(StoreError):
    """A statement refused for a reason that may pass (another process holds the lock, a deadlock,
    a server out of connections): the work is retried, not dropped. :attr:`reason` says what it
    waits for, in words for the log and ``/article status``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class DatabaseFullError(DatabaseBusyError):
    """The database's disk is full (SQLite's ``SQLITE_FULL``, PostgreSQL's ``disk_full``)."""


class WriteRefusedError(DatabaseBusyError):
    """A write refused because the database became read-only under the store (a file's mode
    changed, a server in recovery): it may be made writable again."""


class DatabaseCorruptError(StoreError):
    """The database file is damaged (SQLite's ``SQLITE_CORRUPT`` or ``SQLITE_NOTADB``)."""


class IncompleteSchemaError(DatabaseError):
    """The database lacks tables, columns or indexes its schema version claims, and they cannot
    be added back (see :mod:`bot.store.schema`)."""


def is_postgres_error(error: BaseException) -> bool:
    """Whether ``error`` is asyncpg's: the server's refusal, or the connection's failure."""
    asyncpg = sys.modules.get("asyncpg")
    return asyncpg is not None and isinstance(error, asyncpg.PostgresError | asyncpg.InterfaceError)


def is_busy_error(error: BaseException) -> bool:
    """Whether a write failed for a reason that passes, so that it is retried rather than dropped:
    the store's :class:`DatabaseBusyError` or :class:`DatabaseUnavailableError`; of a driver's own
    errors (before the store turns them into its own): on SQLite any operational error (the file locked by another process), on PostgreSQL a lock
    not granted, a deadlock or serialization failure (the transaction rolled back, to run again),
    a server starting, shutting down or out of connections, the connection lost, or a statement
    that outlived its time (``COMMAND_TIMEOUT_SECONDS``: a network gone quiet)."""
    if isinstance(error, sqlite3.OperationalError | DatabaseUnavailableError | DatabaseBusyError):
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
    if isinstance(error, DatabaseBusyError):
        return error.reason
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


Notice = Callable[[DatabaseUnavailableError], None]
"""Told each time the database cannot be reached (the store's :class:`~bot.store.availability.Availability`)."""


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


def is_read_only_error(error: BaseException) -> bool:
    """Whether a write failed only because the database cannot be written (the store opened it
    read-only, or it became read-only under it)."""
    if isinstance(error, ReadOnlyDatabaseError | WriteRefusedError):
        return True
    code = getattr(error, "sqlite_errorcode", None)
    return (
        isinstance(error, sqlite3.Error) and isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_READONLY
    )


def describe_database_error(error: sqlite3.Error, path: Path | str) -> DatabaseError:
    """One line for an SQLite failure on opening, by its result code rather than its wording."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in str(error):
        return DatabaseError(f"{path}: database is locked by another process; try again")
    if primary == sqlite3.SQLITE_READONLY:
        return ReadOnlyDatabaseError(f"{path} is read-only: this command needs to write to it")
    if primary == sqlite3.SQLITE_CORRUPT:
        return DatabaseError(f"{path} is damaged ({error}); restore it from a backup")
    if primary == sqlite3.SQLITE_NOTADB:
        return ForeignDatabaseError(f"{path} is not a Readalong database (not an SQLite file)")
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseError(
            f"{path}: the database's disk is full; nothing was written: free some space, then try again"
        )
    if primary == sqlite3.SQLITE_CANTOPEN:
        return DatabaseError(f"cannot open database {path}: {error}")
    return DatabaseError(f"{path}: {error}")


def _sqlite_error(error: sqlite3.Error, where: str) -> StoreError:
    """The store's error for an SQLite failure while running (the same words as on opening)."""
    line = str(describe_database_error(error, where))
    code = getattr(error, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseFullError(line, describe_trouble(error))
    if primary == sqlite3.SQLITE_READONLY:
        return WriteRefusedError(line, describe_trouble(error))
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return DatabaseCorruptError(line)
    if isinstance(error, sqlite3.OperationalError):  # locked, or another reason that may pass
        return DatabaseBusyError(line, describe_trouble(error))
    return StoreError(line)


def describe_postgres_error(error: BaseException, where: str) -> DatabaseError:
    """One line for a PostgreSQL failure on opening, naming the server (``where``: without its
    password)."""
    asyncpg = sys.modules.get("asyncpg")
    if asyncpg is not None:
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


def _postgres_error(error: BaseException, where: str) -> StoreError:
    """The store's error for a PostgreSQL failure while running (one that is not an outage)."""
    asyncpg = sys.modules["asyncpg"]
    line = str(describe_postgres_error(error, where))
    if isinstance(error, asyncpg.DiskFullError):
        return DatabaseFullError(line, "the database's disk is full")
    if isinstance(error, asyncpg.ReadOnlySQLTransactionError):
        return WriteRefusedError(line, "the database is read-only")
    if is_busy_error(error):
        return DatabaseBusyError(line, describe_trouble(error))
    return StoreError(line)


def store_error(
    error: BaseException, where: str, *, network: bool = False
) -> DatabaseError | StoreError | None:
    """The store's own error for a driver's (or, with ``network``, a connection's ``OSError`` or
    timeout: PostgreSQL's), naming the database ``where``; None for any other exception (a bug,
    a cancellation), which passes as it is."""
    if isinstance(error, StoreError | DatabaseError):
        return error
    if not network and isinstance(error, OSError | TimeoutError):
        return None
    unavailable = unavailable_from(error)
    if unavailable is not None:
        return unavailable
    if isinstance(error, sqlite3.Error):
        return _sqlite_error(error, where)
    if is_postgres_error(error):
        return _postgres_error(error, where)
    return None


@contextmanager
def driver_errors(where: str, notice: Notice | None = None, *, network: bool = False) -> Iterator[None]:
    """Run a block of driver calls: a driver's exception leaves as the store's own
    (:func:`store_error`), chained to it; an outage is also told to ``notice`` (the store's
    availability)."""
    try:
        yield
    except Exception as error:
        ours = store_error(error, where, network=network)
        if ours is None:
            raise
        if ours is error:  # already the store's (and told, where it was made)
            raise
        if notice is not None and isinstance(ours, DatabaseUnavailableError):
            notice(ours)
        raise ours from error
