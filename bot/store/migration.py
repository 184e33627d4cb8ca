"""The numbered migrations of each backend (``migrations/sqlite``, ``migrations/postgresql``):
read from the package, in order, each applied in one transaction by its backend.

Here, apart from the store, so that the backends and the schema check (which each need them)
and the store (which hands them over) import them from below rather than from one another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.errors import ReadalongError
from bot.store.dialect import SQLITE, Dialect

_MIGRATION_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")


class MigrationError(ReadalongError):
    """A migration failed; the database is left as it was before it."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered ``NNNN_name.sql`` file; it is applied in one transaction and sets ``PRAGMA user_version``
    to ``number``."""

    number: int
    name: str
    sql: str


def load_migrations(folder: Path | None = None, dialect: Dialect = SQLITE) -> list[Migration]:
    """The migrations in ``folder`` (by default the packaged ones of ``dialect``), in order,
    numbered 1, 2, 3 and so on."""
    root = resources.files("bot.store") / "migrations" / dialect.name if folder is None else folder
    found = []
    for entry in root.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["number"]), match["name"], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.number)
    for expected, migration in enumerate(found, start=1):
        if migration.number != expected:
            raise MigrationError(
                f"migration {expected:04d} is missing (found {migration.number:04d}_{migration.name})"
            )
    return found
