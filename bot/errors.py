"""Errors whose message is fit to show a user as it is.

Anything raised as a :class:`ReadalongError` is an expected failure (bad input, an unknown id, a
missing permission): the CLI prints its message on one line and exits 2, and the command tree
answers it ephemerally. Anything else is a bug, logged with its traceback.
"""

from __future__ import annotations


class ReadalongError(Exception):
    """An expected failure; ``str(error)`` is one line a user can act on."""


class SettingsError(ReadalongError):
    """A configuration key is missing or malformed."""


class ArticleFormatError(ReadalongError):
    """A file cannot be read as an article."""


class NotFoundError(ReadalongError):
    """A named object (an article, a thread) does not exist."""


class ConflictError(ReadalongError):
    """The request clashes with what is stored (an id already taken, say)."""


class DatabaseError(ReadalongError):
    """The database cannot be used as asked: not ours, too new, damaged, locked or read-only."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database (or its folder) cannot be written; reading still works."""


class DatabaseInUseError(DatabaseError):
    """Another bot process holds the database; a second one would post everything twice."""


class FetchError(ReadalongError):
    """A page could not be fetched; the message says why in one line and what to do."""
