"""Which database failures pass (the write is retried, not dropped), on either backend."""

from __future__ import annotations

import sqlite3

import asyncpg

from bot.store.errors import is_busy_error, is_postgres_error


def test_failures_that_pass_are_retried_and_others_are_not() -> None:
    assert is_busy_error(sqlite3.OperationalError("database is locked"))
    assert is_busy_error(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))
    assert is_busy_error(asyncpg.exceptions.CannotConnectNowError("the database system is starting up"))
    assert is_busy_error(TimeoutError())  # a statement past the command timeout: a network gone quiet
    assert not is_busy_error(
        asyncpg.exceptions.DataError("invalid input")
    )  # a bad row: never retried forever
    assert not is_busy_error(ValueError("bad"))
    assert is_postgres_error(asyncpg.exceptions.UniqueViolationError("duplicate key"))
    assert not is_postgres_error(sqlite3.OperationalError("locked"))
