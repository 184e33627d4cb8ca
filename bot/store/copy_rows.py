"""What ``readalong db copy`` carries and how it proves a copy: the tables in foreign-key order,
each row serialised the same way whichever backend it was read from, and a running checksum.

The checksum is SHA-256 over a canonical serialisation of each row (columns by name, each value
tagged with its kind: NULL, integer, float, text, bytes), rows in primary-key order, which is the
same on both backends (text sorts bytewise: SQLite's BINARY, PostgreSQL's ``COLLATE "C"``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """A table the copy carries: its name and primary key (the order rows are read, written and
    checksummed in). ``implicit`` columns are SQLite's implicit ones that the copy keeps (the
    articles' ``rowid``, their insertion order, which PostgreSQL keeps in a column of that name)."""

    name: str
    key: tuple[str, ...]
    implicit: tuple[str, ...] = ()


TABLES: tuple[CopiedTable, ...] = (
    CopiedTable("articles", ("id",), implicit=("rowid",)),
    CopiedTable("sections", ("article_id", "idx")),
    CopiedTable("comments", ("article_id", "idx")),
    CopiedTable("comment_quotes", ("article_id", "comment_idx", "position")),
    CopiedTable("postings", ("id",)),
    CopiedTable("posting_items", ("posting_id", "seq")),
    CopiedTable("threads", ("id",)),
    CopiedTable("messages", ("id",)),
    CopiedTable("message_edits", ("message_id", "edited_at")),
    CopiedTable("message_files", ("message_id", "idx")),
    CopiedTable("passages", ("id",)),
    CopiedTable("asks", ("id",)),
    CopiedTable("guild_settings", ("guild_id",)),
    CopiedTable("article_guilds", ("article_id", "guild_id")),
    CopiedTable("embeddings", ("model", "text_hash")),
    CopiedTable("feeds", ("id",)),
    CopiedTable("feed_entries", ("feed_id", "entry_key")),
)
"""Every table of Readalong's schema, parents before children (a foreign key only points up the
list). A table the source holds and this list lacks is refused (a newer schema this copy does not
know), never silently left behind."""
KNOWN = frozenset(table.name for table in TABLES)


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table copied: its rows and their checksum (the same on both sides)."""

    name: str
    rows: int
    checksum: str


def _text(value: str) -> bytes:
    encoded = value.encode("utf-8", "surrogatepass")
    return b"s%d:%b" % (len(encoded), encoded)


def _blob(value: bytes | bytearray | memoryview) -> bytes:
    raw = bytes(value)
    return b"b%d:%b" % (len(raw), raw)


_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    type(None): lambda _: b"N;",
    bool: lambda v: b"i%d;" % v,
    int: lambda v: b"i%d;" % v,
    float: lambda v: b"f%b;" % v.hex().encode(),
    str: _text,
    bytes: _blob,
    bytearray: _blob,
    memoryview: _blob,
}


def canonical_value(value: object) -> bytes:
    """One value as bytes that are the same whichever backend it was read from, and that no other
    value shares: a tag for its kind (``N`` NULL, ``i`` integer, ``f`` float, ``s`` text, ``b``
    bytes), then the integer in decimal, the float in hexadecimal (exact), or the text's UTF-8 or
    the bytes after their length; each ends where its length or ``;`` says, so no two rows
    serialise alike."""
    encode = _ENCODERS.get(type(value))
    if encode is None:
        raise TypeError(f"cannot checksum a {type(value).__name__}")
    return encode(value)


class RowHash:
    """A running count and SHA-256 of rows, fed in primary-key order."""

    def __init__(self) -> None:
        self.rows = 0
        self._hash = hashlib.sha256()

    def add(self, row: Sequence[object]) -> None:
        """Count and hash one row (its values in the table's canonical column order)."""
        self.add_many((row,))

    def add_many(self, rows: Sequence[Sequence[object]]) -> None:
        """Count and hash rows, in order."""
        encoders = _ENCODERS
        parts: list[bytes] = []
        try:
            for row in rows:
                parts.append(b"R%d;" % len(row))
                parts.extend([encoders[type(value)](value) for value in row])
        except KeyError as error:
            raise TypeError(f"cannot checksum a {error.args[0].__name__}") from None
        self.rows += len(rows)
        self._hash.update(b"".join(parts))

    @property
    def checksum(self) -> str:
        """The hex digest so far."""
        return self._hash.hexdigest()
