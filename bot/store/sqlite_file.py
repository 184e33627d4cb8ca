"""An SQLite file before the store connects to it: what it holds, and which bot holds it.

The store never changes a file that is not its own: a Readalong database carries
``PRAGMA application_id`` :data:`APPLICATION_ID`, and a file is inspected read-only (its header,
mark, schema version and tables) before anything in it is touched, journal mode included, so a
foreign file or one from a newer Readalong is refused exactly as it was, byte for byte. One bot
process per file: :class:`DatabaseLock`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import sqlite3
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import DatabaseError, DatabaseInUseError
from bot.store.errors import ForeignDatabaseError, NewerDatabaseError, describe_database_error

if TYPE_CHECKING:
    from bot.store.migration import Migration

APPLICATION_ID = 0x52414C47
"""``PRAGMA application_id`` of every Readalong database: "RALG". Files made before the mark (user
version 1 to 5, Readalong's tables, application id 0) are adopted and marked when opened."""
_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDE_FILES = ("-wal", "-shm", "-journal")


class Kind(Enum):
    """What an existing file is to the store."""

    NEW = "new"
    """No file, an empty file, or an SQLite file with nothing in it: ours to create."""
    OURS = "ours"
    """Marked as Readalong's."""
    UNMARKED = "unmarked"
    """Readalong's tables, made before the mark: adopted (marked) when next migrated."""


@dataclass(frozen=True, slots=True)
class Inspection:
    """What an existing database file is (ours, ours from before the mark, or new) and its schema version;
    anything else is refused before it is touched."""

    kind: Kind
    version: int


def side_file(path: Path, suffix: str) -> Path:
    """The file beside ``path`` that SQLite (or the lock) names with ``suffix``."""
    return path.with_name(path.name + suffix)


def _expected_tables(migrations: Sequence[Migration]) -> set[str]:
    """The tables these migrations create, found by running them on an empty in-memory database."""
    with contextlib.closing(sqlite3.connect(":memory:")) as memory:
        try:
            for migration in migrations:
                memory.executescript(migration.sql)
        except sqlite3.Error:
            return set()
        return {row[0] for row in memory.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}


def inspect_database(path: Path, migrations: Sequence[Migration]) -> Inspection:
    """What ``path`` holds, read without changing it; a :class:`DatabaseError` if it is not ours.

    Reads the header directly, then opens SQLite read-only (``immutable`` when there is no WAL,
    so no ``-wal`` or ``-shm`` file appears); any side file the look created is removed again when
    the file is refused.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise DatabaseError(f"database folder {path.parent} does not exist") from None
        return Inspection(Kind.NEW, 0)
    except OSError as error:
        raise DatabaseError(f"cannot open database {path}: {error.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise DatabaseError(f"{path}: is a directory, not a database file")
    if not stat.S_ISREG(info.st_mode):
        raise DatabaseError(f"{path}: is not a regular file, not a database file")
    wal = side_file(path, "-wal")
    if info.st_size == 0 and not wal.exists():
        return Inspection(Kind.NEW, 0)
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError as error:
        raise DatabaseError(f"cannot read database {path}: {error.strerror}") from None
    if info.st_size > 0 and not header.startswith(_SQLITE_HEADER):
        raise ForeignDatabaseError(f"{path} is not a Readalong database (not an SQLite file)")
    existed = {suffix for suffix in _SIDE_FILES if side_file(path, suffix).exists()}
    uri = path.resolve().as_uri() + ("?mode=ro" if "-wal" in existed else "?mode=ro&immutable=1")
    try:
        try:
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
                application_id = int(connection.execute("PRAGMA application_id").fetchone()[0])
                version = int(connection.execute("PRAGMA user_version").fetchone()[0])
                tables = {
                    row[0]
                    for row in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
                }
        except sqlite3.Error as error:
            raise describe_database_error(error, path) from None
        return _judge(path, migrations, application_id, version, tables)
    except DatabaseError:
        for suffix in _SIDE_FILES:
            if suffix not in existed:
                side_file(path, suffix).unlink(missing_ok=True)
        raise


def _judge(
    path: Path, migrations: Sequence[Migration], application_id: int, version: int, tables: set[str]
) -> Inspection:
    known = len(migrations)
    newer = f"{path} was written by a newer Readalong (schema {version}, this one knows {known})"
    if application_id == APPLICATION_ID:
        if version > known:
            raise NewerDatabaseError(newer)
        return Inspection(Kind.OURS, version)
    if application_id != 0:
        raise ForeignDatabaseError(
            f"{path} is not a Readalong database (application id 0x{application_id:08x})"
        )
    if not tables and version == 0:
        return Inspection(Kind.NEW, 0)
    if version > known and "articles" in tables:
        raise NewerDatabaseError(newer)
    if 1 <= version <= known and _expected_tables(migrations[:version]) <= tables:
        return Inspection(Kind.UNMARKED, version)
    shown = ", ".join(sorted(tables)[:3]) + ("…" if len(tables) > 3 else "")
    raise ForeignDatabaseError(
        f"{path} is not a Readalong database (it holds other tables: {shown or 'none'})"
    )


def can_write(path: Path) -> bool:
    """Whether this process (its effective user) may write the file and create its WAL beside it."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=True):
        return False
    return not path.exists() or os.access(path, os.W_OK, effective_ids=True)


class DatabaseLock:
    """One bot process per database: an ``flock`` on ``<db>.lock``, which the kernel releases when
    the process ends however it ends (SIGKILL included). The holder writes who it is into the file
    so a refused second bot can name it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    def __repr__(self) -> str:
        return f"<DatabaseLock {str(self.path)!r} {'held' if self._fd is not None else 'released'}>"

    @classmethod
    def acquire(cls, database: Path) -> DatabaseLock:
        """Take the lock on ``database`` or raise DatabaseInUseError naming the bot that holds it; the
        holder's pid, host and command are written into the lock file."""
        path = side_file(database, ".lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as error:
            raise DatabaseError(f"cannot create the lock file {path}: {error.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            described = _describe_holder(fd)
            os.close(fd)
            raise DatabaseInUseError(
                f"{database} is in use by another Readalong bot ({described}); stop it first or use another --db"
            ) from None
        except OSError as error:
            os.close(fd)
            raise DatabaseError(f"cannot lock {path}: {error.strerror}") from None
        command = " ".join(["readalong", *sys.argv[1:]])[:120]
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": command,
            "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        """Give the lock up and empty the file; safe to call twice."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor releases the flock


def _describe_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
        return f"pid {int(holder['pid'])} on {holder['host']}, `{holder['command']}`, since {holder['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown: it is starting"


def count_rows(path: Path, tables: Sequence[str]) -> dict[str, int]:
    """The rows of each of ``tables`` that the file holds (and has rows), read without changing
    it (``readalong db copy`` refuses a target that holds data before it touches it)."""
    existed = {suffix for suffix in _SIDE_FILES if side_file(path, suffix).exists()}
    uri = path.resolve().as_uri() + ("?mode=ro" if "-wal" in existed else "?mode=ro&immutable=1")
    try:
        with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
            present = {
                row[0] for row in connection.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
            }
            counted = {
                name: int(connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                for name in tables
                if name in present
            }
    except sqlite3.Error as error:
        raise describe_database_error(error, path) from None
    finally:
        for suffix in _SIDE_FILES:
            if suffix not in existed:
                side_file(path, suffix).unlink(missing_ok=True)
    return {name: n for name, n in counted.items() if n}


def in_use(path: Path) -> bool:
    """Whether a running bot holds ``path``'s lock (:class:`DatabaseLock`); looked at, not taken."""
    lock = side_file(path, ".lock")
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # releases the shared lock, if taken
    return False
