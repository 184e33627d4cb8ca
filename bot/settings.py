"""The one settings object, built once at start from ``.env`` and the environment.

Nothing else in Readalong reads the environment: the CLI builds :class:`Settings` with
:meth:`Settings.from_env` and passes it down.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot.articles.sections import DEFAULT_TARGET_CHARS, MAX_SECTION_CHARS
from bot.domain.database import Database, PostgresUrl, parse_database
from bot.domain.shards import EVERY_SHARD, ShardSet
from bot.errors import SettingsError

DEFAULT_DB = Path("readalong.db")
"""The database of a :class:`Settings` built in code; :meth:`Settings.from_env` puts it in the data folder."""
DB_NAME = "readalong.db"
SANDBOX_WORLD = "sandbox-world.json"
"""The sandbox's server, kept beside its database: a database with one beside it is the sandbox's,
which the bot on Discord refuses to run on (it would resume the sandbox's postings on Discord)."""
DEFAULT_OPENAI_MODEL = "gpt-4o-mini"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"
_SWITCH = {
    "on": True,
    "true": True,
    "yes": True,
    "1": True,
    "off": False,
    "false": False,
    "no": False,
    "0": False,
}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
KNOWN_KEYS = (
    "DISCORD_TOKEN",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "OPENAI_MODEL",
    "READALONG_ASK_COOLDOWN",
    "READALONG_DB",
    "READALONG_DISCORD_URL",
    "READALONG_EMBEDDING_MODEL",
    "READALONG_EMBEDDING_TIMEOUT",
    "READALONG_OPENAI_TIMEOUT",
    "READALONG_SECTION_CHARS",
    "NO_COLOR",
    "XDG_DATA_HOME",
    "READALONG_SHARDS",
    "READALONG_SHARD_COUNT",
    "READALONG_SEMANTIC",
    "READALONG_HEALTH_PORT",
    "READALONG_HEALTH_HOST",
    "READALONG_ALLOW_PRIVATE_URLS",
    "READALONG_FEED_POLL_MINUTES",
    "READALONG_COMMENT_FOLLOW_HOURS",
)
"""Every key Readalong reads. Any other ``READALONG_*`` key, or a key this close to one of these
(``DISCORD_TOKN``), is a typo to warn about: the setting it meant is silently at its default."""
TEST_SUITE_KEYS = ("READALONG_TEST_POSTGRES", "READALONG_REQUIRE_POSTGRES", "READALONG_TEST_DERIVED")
"""Keys the test suite reads (its PostgreSQL server, whether it must answer, what the migrations
make there), set in the environment of CI and of every process the tests start: not the bot's,
and not typos either."""
_NEAR_MISS = 0.85
_PREFIX = "READALONG_"


class Secret:
    """A string that never shows itself in a repr, a log line or an f-string."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one call that needs it (logging in, the API client)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Every setting Readalong has, read once (:meth:`from_env`) and passed to what needs it;
    nothing else reads the environment."""

    discord_token: Secret | None = None
    db_path: Path = DEFAULT_DB
    """The SQLite file, unless :attr:`db_url` names a PostgreSQL server instead."""
    db_url: PostgresUrl | None = None
    """``READALONG_DB=postgresql://…`` (or ``--db``): the store is on that PostgreSQL server,
    shared by any number of bot processes (each running its own shards)."""
    dev_guild_id: int | None = None
    openai_api_key: Secret | None = None
    openai_base_url: str | None = None
    openai_model: str = DEFAULT_OPENAI_MODEL
    openai_timeout_seconds: float = 8.0
    """How long /ask waits for the model before giving the extractive answer instead."""
    log_level: str = "INFO"
    section_target_chars: int = DEFAULT_TARGET_CHARS
    ask_cooldown_seconds: float = 10.0
    semantic: bool = False
    """Rank /ask's passages by meaning too (embeddings from the OpenAI-compatible endpoint). Off
    unless ``READALONG_SEMANTIC`` turns it on: it sends the article's text to the endpoint and
    costs a call per question, which an API key set for model-written answers does not consent to."""
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_timeout_seconds: float = 2.0
    """How long /ask waits for the question's vector before answering by words alone."""
    discord_url: str | None = None
    """Base URL of a Discord-compatible server (the sandbox); None means Discord itself."""
    data_dir: Path = Path("readalong-data")
    """Readalong's folder for its data: ``$XDG_DATA_HOME/readalong``, else
    ``~/.local/share/readalong``. The default database is in it, and the sandbox keeps its world
    there too, so every command finds what ``readalong sandbox`` left without being told where."""
    no_color: bool = False
    """``NO_COLOR`` set (https://no-color.org): no colour, even on a terminal."""
    shards: ShardSet = EVERY_SHARD
    """The shards this process runs (``--shards``/``--shard-count``); by default every shard of
    the count Discord recommends. A server's work is done only by the process holding its shard."""
    health_port: int | None = None
    """``READALONG_HEALTH_PORT``: serve ``/health`` and ``/metrics`` on this port (0: any free
    one, logged); None (unset): no server."""
    health_host: str = "127.0.0.1"
    """``READALONG_HEALTH_HOST``: the address the health server binds (loopback unless set)."""
    allow_private_urls: bool = False
    """``READALONG_ALLOW_PRIVATE_URLS=1``: importing by address may fetch from loopback and private
    addresses (the sandbox, a page served on 127.0.0.1 by hand). Off: no admin can make the bot fetch
    from inside its network."""
    feed_poll_minutes: int = 15
    """``READALONG_FEED_POLL_MINUTES`` (5-1440): how often each followed feed is polled (``/feed``);
    after errors a feed waits longer (doubled each time, at most a day)."""
    comment_follow_hours: int = 48
    """``READALONG_COMMENT_FOLLOW_HOURS`` (0-720): how long after a posting of a web article starts its
    blog post's page is still polled for new comments (while the posting is under way, always); 0
    turns following comments off."""
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Unrecognised keys that look like ours, each with the nearest known key ("" if none), kept
    so a typo can be reported (:meth:`warnings`). Their values are not kept: one may be a secret."""

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv_path: Path | None = Path(".env")
    ) -> Settings:
        """Read ``.env`` (if present), then the environment, which wins; validate every key."""
        values: dict[str, str] = {}
        if dotenv_path is not None and dotenv_path.is_file():
            values.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        """Settings from keys and values already read; a bad value is one :class:`SettingsError`
        naming its key."""

        def get(key: str) -> str | None:
            value = values.get(key, "").strip()
            return value or None

        token = get("DISCORD_TOKEN")
        api_key = get("OPENAI_API_KEY")
        base_url = get("OPENAI_BASE_URL")
        if base_url is not None:
            parts = urlsplit(base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError("OPENAI_BASE_URL must be an http(s) URL such as http://127.0.0.1:8000/v1")
        discord_url = get("READALONG_DISCORD_URL")
        if discord_url is not None:
            parts = urlsplit(discord_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SettingsError(
                    "READALONG_DISCORD_URL must be an http(s) URL such as http://127.0.0.1:8765"
                )
        semantic = _switch(get("READALONG_SEMANTIC"), "READALONG_SEMANTIC")
        if semantic and api_key is None and base_url is None:
            raise SettingsError(
                "READALONG_SEMANTIC=on needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local embeddings server)"
            )
        level = (get("LOG_LEVEL") or "INFO").upper()
        if level not in _LOG_LEVELS:
            raise SettingsError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}, not {level!r}")
        data_dir = _data_dir(get("XDG_DATA_HOME"), get("HOME"))
        return cls(
            discord_token=Secret(token) if token else None,
            **_database_fields(get("READALONG_DB"), data_dir),
            dev_guild_id=_snowflake(get("DEV_GUILD_ID"), "DEV_GUILD_ID"),
            openai_api_key=Secret(api_key) if api_key else None,
            openai_base_url=base_url,
            openai_model=get("OPENAI_MODEL") or DEFAULT_OPENAI_MODEL,
            openai_timeout_seconds=_float_in(
                get("READALONG_OPENAI_TIMEOUT"), "READALONG_OPENAI_TIMEOUT", 8.0, 0.5, 60.0
            ),
            log_level=level,
            section_target_chars=_int_in(
                get("READALONG_SECTION_CHARS"),
                "READALONG_SECTION_CHARS",
                DEFAULT_TARGET_CHARS,
                200,
                MAX_SECTION_CHARS,
            ),
            ask_cooldown_seconds=_float_in(
                get("READALONG_ASK_COOLDOWN"), "READALONG_ASK_COOLDOWN", 10.0, 0.0, 3600.0
            ),
            semantic=semantic,
            allow_private_urls=_switch(get("READALONG_ALLOW_PRIVATE_URLS"), "READALONG_ALLOW_PRIVATE_URLS"),
            feed_poll_minutes=_int_in(
                get("READALONG_FEED_POLL_MINUTES"), "READALONG_FEED_POLL_MINUTES", 15, 5, 1440
            ),
            comment_follow_hours=_int_in(
                get("READALONG_COMMENT_FOLLOW_HOURS"), "READALONG_COMMENT_FOLLOW_HOURS", 48, 0, 720
            ),
            embedding_model=get("READALONG_EMBEDDING_MODEL") or DEFAULT_EMBEDDING_MODEL,
            embedding_timeout_seconds=_float_in(
                get("READALONG_EMBEDDING_TIMEOUT"), "READALONG_EMBEDDING_TIMEOUT", 2.0, 0.1, 30.0
            ),
            discord_url=discord_url,
            data_dir=data_dir,
            # "when present and not an empty string": an empty NO_COLOR means nothing.
            no_color=bool(values.get("NO_COLOR")),
            shards=parse_shards(
                get("READALONG_SHARDS"),
                get("READALONG_SHARD_COUNT"),
                "READALONG_SHARDS",
                "READALONG_SHARD_COUNT",
            ),
            health_port=None
            if get("READALONG_HEALTH_PORT") is None
            else _int_in(get("READALONG_HEALTH_PORT"), "READALONG_HEALTH_PORT", 0, 0, 65535),
            health_host=get("READALONG_HEALTH_HOST") or "127.0.0.1",
            extra=_unknown_keys(values),
        )

    def warnings(self) -> list[str]:
        """One line per misspelled key, naming the nearest known key."""
        return [
            f"unknown setting {key}" + (f" (did you mean {nearest}?)" if nearest else "") + "; it is ignored"
            for key, nearest in sorted(self.extra.items())
        ]

    def with_db(self, database: Database) -> Settings:
        """The same settings on another database (``--db``: a path or a PostgreSQL URL)."""
        if isinstance(database, PostgresUrl):
            return replace(self, db_url=database)
        return replace(self, db_path=database, db_url=None)

    @property
    def database(self) -> Database:
        """Where the store is: the PostgreSQL URL if one is set, else the SQLite file."""
        return self.db_url if self.db_url is not None else self.db_path

    @property
    def on_default_file(self) -> bool:
        """Whether the store is the data folder's own SQLite file (no ``READALONG_DB``, no ``--db``)."""
        return self.db_url is None and self.db_path == self.data_dir / DB_NAME

    def require_token(self) -> Secret:
        """The bot token, or a one-line error saying where to put it (only ``readalong run`` needs one)."""
        if self.discord_token is None:
            raise SettingsError(
                "DISCORD_TOKEN is not set: put it in .env or the environment (see .env.example)"
            )
        return self.discord_token

    @property
    def log_level_number(self) -> int:
        """``LOG_LEVEL`` as the number :mod:`logging` takes."""
        return int(logging.getLevelName(self.log_level))


def _database_fields(raw: str | None, data_dir: Path) -> dict[str, Any]:
    """``READALONG_DB`` as the fields it sets: a PostgreSQL URL, or the SQLite file."""
    if raw is None:
        return {"db_path": data_dir / DB_NAME}
    database = parse_database(raw)
    if isinstance(database, PostgresUrl):
        return {"db_path": data_dir / DB_NAME, "db_url": database}
    return {"db_path": database}


def _data_dir(xdg_data_home: str | None, home: str | None) -> Path:
    """``$XDG_DATA_HOME/readalong``; the XDG spec says a relative value is to be ignored, and the
    default is ``~/.local/share``."""
    if xdg_data_home is not None and Path(xdg_data_home).is_absolute():
        return Path(xdg_data_home) / "readalong"
    base = Path(home) if home is not None else Path.home()
    return base / ".local" / "share" / "readalong"


def parse_shards(spec: str | None, count: str | None, spec_name: str, count_name: str) -> ShardSet:
    """The shards to run from their two settings (or flags), named in the one-line error:
    ``spec`` such as ``0-3`` (None: every shard) of ``count`` (None: Discord's recommendation)."""
    if count is None:
        if spec is not None:
            raise SettingsError(
                f"{spec_name} needs {count_name}: the total number of shards across all processes"
            )
        return ShardSet()
    try:
        total = int(count)
    except ValueError:
        raise SettingsError(f"{count_name} must be a whole number, not {count!r}") from None
    try:
        if spec is None:
            return ShardSet.parse(f"0-{total - 1}" if total >= 1 else "0", total)
        return ShardSet.parse(spec, total)
    except ValueError as error:
        given = f"{count_name} {count}" if spec is None else f"{spec_name} {spec} {count_name} {count}"
        raise SettingsError(f"{given}: {error}") from None


def _unknown_keys(values: Mapping[str, str]) -> dict[str, str]:
    found = {}
    for key in values:
        if key in KNOWN_KEYS or key in TEST_SUITE_KEYS:
            continue
        upper = key.upper()
        if upper.startswith(_PREFIX):
            # Compared without the prefix, which every one of them shares.
            ours = [k.removeprefix(_PREFIX) for k in KNOWN_KEYS if k.startswith(_PREFIX)]
            nearest = difflib.get_close_matches(upper.removeprefix(_PREFIX), ours, n=1, cutoff=0.6)
            found[key] = _PREFIX + nearest[0] if nearest else ""
        else:
            nearest = difflib.get_close_matches(upper, KNOWN_KEYS, n=1, cutoff=_NEAR_MISS)
            if nearest:
                found[key] = nearest[0]
    return found


def _switch(raw: str | None, key: str) -> bool:
    if raw is None:
        return False
    value = _SWITCH.get(raw.lower())
    if value is None:
        raise SettingsError(f"{key} must be on or off, not {raw!r}")
    return value


def _snowflake(raw: str | None, key: str) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or not 0 < int(raw) < 2**64:
        raise SettingsError(f"{key} must be a Discord id (a positive whole number), not {raw!r}")
    return int(raw)


def _int_in(raw: str | None, key: str, default: int, low: int, high: int) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{key} must be between {low} and {high}, not {value}")
    return value


def _float_in(raw: str | None, key: str, default: float, low: float, high: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{key} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{key} must be between {low:g} and {high:g}, not {value:g}")
    return value
