"""Where the database is: an SQLite file (the default) or a PostgreSQL server.

``READALONG_DB`` and ``--db`` take either a path (or ``sqlite:///path``) or a
``postgresql://`` URL; this module tells them apart and keeps a URL's password out of every
repr, log line and error message.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from bot.errors import SettingsError

POSTGRES_SCHEMES = ("postgresql", "postgres")


class PostgresUrl:
    """A ``postgresql://`` URL whose password (if any) only :meth:`reveal` gives back.

    Shown (``str``, ``repr``, f-strings) with the password replaced by ``***``, so a URL can be
    named in an error message or a log line without leaking it."""

    __slots__ = ("_url",)

    def __init__(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        except ValueError:
            raise SettingsError(
                f"bad database URL {_redact(url)}: write it as postgresql://user:password@host:port/database,"
                " with characters such as / ? # @ in the password percent-encoded"
            ) from None
        if parts.scheme not in POSTGRES_SCHEMES:
            raise SettingsError(f"not a PostgreSQL URL (postgresql://…): {_redact(url)}")
        if "@" in url.split("://", 1)[-1] and "@" in parts.path + parts.query + parts.fragment:
            # The authority ended early: a / ? or # in the password, unencoded.
            raise SettingsError(f"bad database URL {_redact(url)}: percent-encode / ? # @ in the password")
        self._url = url

    def reveal(self) -> str:
        """The URL with its password, for the database driver only."""
        return self._url

    def secrets(self) -> tuple[str, ...]:
        """The passwords (of the user, in a ``password=`` or ``sslpassword=`` parameter), as
        written and percent-decoded, for the log's redaction."""
        rest = self._url.split("://", 1)[-1]
        found = []
        if "@" in rest:
            userinfo = rest.rsplit("@", 1)[0]
            if ":" in userinfo:
                found.append(userinfo.split(":", 1)[1])
        found += [m.group(2) for m in _QUERY_PASSWORD.finditer(rest)]
        return tuple(dict.fromkeys(v for p in found if p for v in (p, unquote(p))))

    def in_schema(self, schema: str) -> PostgresUrl:
        """The same server and database, with Readalong's tables in ``schema`` (the
        ``search_path`` parameter, which asyncpg passes on as a server setting)."""
        joiner = "&" if "?" in self._url else "?"
        return PostgresUrl(f"{self._url}{joiner}search_path={schema}")

    def in_database(self, database: str) -> PostgresUrl:
        """The same server, user and settings, with database ``database``."""
        return PostgresUrl(urlunsplit(urlsplit(self._url)._replace(path=f"/{database}")))

    @property
    def shown(self) -> str:
        """The URL as it may be shown: the password, if any, as ``***``."""
        return _redact(self._url)

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"PostgresUrl({self.shown!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PostgresUrl) and other._url == self._url

    def __hash__(self) -> int:
        return hash(self._url)

    def __reduce__(self) -> Any:
        raise TypeError("a PostgresUrl cannot be pickled: it may hold a password")


Database = Path | PostgresUrl
"""Where the store is: a file path (SQLite) or a PostgreSQL URL."""


def parse_database(text: str) -> Database:
    """``text`` (``READALONG_DB``, ``--db``) as a database: a ``postgresql://`` URL, a
    ``sqlite:///`` URL, or a path. A one-line :class:`SettingsError` for another scheme."""
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if scheme in POSTGRES_SCHEMES:
        return PostgresUrl(text)
    if scheme == "sqlite":
        # As SQLAlchemy writes them: sqlite:///relative.db, sqlite:////absolute/path.db.
        path = text.split("://", 1)[1]
        if not path.startswith("/") or path == "/":
            raise SettingsError(
                f"write an SQLite URL as sqlite:///file.db or sqlite:////abs/file.db, not {text!r}"
            )
        return Path(path[1:])
    if scheme:
        raise SettingsError(
            f"unknown database scheme {scheme!r}: give a file path, sqlite:///path or postgresql://…"
        )
    return Path(text)


_QUERY_PASSWORD = re.compile(r"(?i)([?&](?:ssl)?password=)([^&#]*)")


def _redact(url: str) -> str:
    """``url`` with its passwords as ``***``: the user's (everything between the first ``:`` of
    the user information and the last ``@``, read from the text itself, so a password holding an
    unencoded ``/``, ``?`` or ``#`` is still hidden), and ``password=`` / ``sslpassword=``
    parameters. Where in doubt it hides too much rather than too little."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    if "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        user = userinfo.split(":", 1)[0] if ":" in userinfo else userinfo
        rest = f"{user}:***@{host}" if ":" in userinfo else f"{user}@{host}"
    rest = _QUERY_PASSWORD.sub(r"\1***", rest)
    return f"{scheme}{sep}{rest}"
