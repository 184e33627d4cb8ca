"""Databases written by earlier versions of the schema, opened by this one.

``fixtures/history/<backend>-<commit>/`` holds the migration files as they were at a commit of the
project's history (``git show COMMIT:bot/store/migrations/...``), kept here so the tests need no
git history (CI runs from a shallow clone):

- ``sqlite-27504d6``: 0006 and 0007 reserved (``SELECT 1;``): stamped 7 without threads,
  ``messages.to_bot``, ``article_guilds``, ``postings.paused_reason``...
- ``sqlite-4e2b329``: 0007 reserved: stamped 7 without ``postings.paused_reason``.
- ``sqlite-1c94e55``: 0009 and 0010 placeholders: stamped 11 without ``embeddings``,
  ``articles.content_hash``, ``postings.cancelled_at`` (issue 28's finding 3).
- ``sqlite-07ceb42``: 0009 reserved: stamped 11 without ``embeddings``.
- ``sqlite-24a2a06``: 0012 before it added ``asks.quoted_messages``: stamped 12 without it.
- ``postgresql-e145585``: PostgreSQL's 0001 before it was edited in place: stamped 1 without the
  ``tokens`` columns, the stop-word-free text search configuration, ``identify_buckets``,
  ``shard_layout``, and with GIN indexes keeping their pending list.

Each is built by applying those files to a fresh database, with an article written in that schema
(the columns every version has); this Readalong then opens it, repairs it to the full schema, and
every command works on it. A database whose gap no migration statement can fill is refused in one
line naming what it lacks, and left as it was. And no migration may be a placeholder again.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import asyncpg
import pytest

from bot.domain.database import PostgresUrl
from bot.errors import DatabaseError
from bot.store import Store, load_migrations
from bot.store import schema as schema_module
from bot.store.dialect import POSTGRESQL, SQLITE
from bot.store.errors import IncompleteSchemaError
from bot.store.schema import postgres_catalog, split_postgres, split_sqlite
from tests.cli.test_refusals import unprivileged
from tests.conftest import quick_sandbox
from tests.conftest import readalong as in_process
from tests.openai_server import FakeOpenAI

ROOT = Path(__file__).parents[2]
HISTORY = Path(__file__).parent / "fixtures" / "history"
SQLITE_CHAINS = sorted(path.name for path in HISTORY.glob("sqlite-*"))
SAMPLE = "the-lessons-of-zhanaozen"
OLD = "an-older-article"
OLD_BODY = "The harbour froze in January. Fishermen walked to their boats across the ice."


def catalog_keys(path: Path) -> set[str]:
    """Every table, column, index and trigger of an SQLite file."""
    with sqlite3.connect(path) as connection:
        objects = connection.execute(
            "SELECT type || ' ' || name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
        ).fetchall()
        columns = connection.execute(
            "SELECT 'column ' || m.name || '.' || c.name FROM sqlite_schema m"
            " JOIN pragma_table_xinfo(m.name) c WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        ).fetchall()
    return {row[0] for row in [*objects, *columns]}


async def old_sqlite(path: Path, chain: str) -> int:
    """A database as the migrations of ``chain`` left it, holding an article written then."""
    async with Store(path, load_migrations(HISTORY / chain)) as store:
        version = await store.schema_version()
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO articles (id, title, author, source, format, body, imported_at)"
            " VALUES (?, 'An Older Article', 'A. Writer', 'old.txt', 'text', ?, '2026-11-24T10:00:00+00:00')",
            (OLD, OLD_BODY),
        )
        connection.execute(
            "INSERT INTO sections (article_id, idx, heading, start, end) VALUES (?, 0, NULL, 0, ?)",
            (OLD, len(OLD_BODY)),
        )
        connection.execute(
            "INSERT INTO comments (article_id, idx, author, posted, text)"
            " VALUES (?, 0, 'Reader', NULL, 'Skating to work sounds cold.')",
            (OLD,),
        )
    return version


@pytest.mark.parametrize("chain", SQLITE_CHAINS)
async def test_an_earlier_sqlite_schema_opens_as_the_full_schema(tmp_path: Path, chain: str) -> None:
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    async with Store(fresh):
        pass
    version = await old_sqlite(old, chain)
    assert catalog_keys(old) < catalog_keys(fresh)  # the gap is real
    async with Store(old) as store:
        assert await store.schema_version() == len(load_migrations())
        article = await store.articles.get(OLD)
        assert article.body == OLD_BODY
    assert catalog_keys(old) == catalog_keys(fresh), f"schema {version} of {chain} was not completed"
    async with Store(old) as store:  # opened again: nothing left to repair, nothing repeated
        assert await store.schema_version() == len(load_migrations())
    with sqlite3.connect(old) as connection:
        # comments_fts was filled once (by 0011 or its repair), not once per opening
        assert connection.execute(
            "SELECT count(*) FROM comments_fts WHERE article_id = ?", (OLD,)
        ).fetchone() == (1,)


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without Readalong's or Discord's settings, with ``extra``."""
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))
    }
    return environment | (extra or {})


async def readalong(
    *argv: str, db: Path | None = None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """``readalong [--db DB] ARGV`` without Readalong's or Discord's settings from the
    environment: (status, stdout, stderr). The CLI's ``main`` in a thread of this process (the
    earlier database is the point, not the process)."""
    arguments = [*(["--db", str(db)] if db is not None else []), *argv]
    async with asyncio.timeout(180):
        done = await asyncio.to_thread(in_process, *arguments, cwd=ROOT, env=_environment(env))
    return done.returncode, done.stdout, done.stderr


def sandbox(folder: Path, script: Path) -> tuple[int, str, str]:
    """``readalong sandbox --data FOLDER --script SCRIPT``, the CLI's ``main`` in this thread (the
    sandbox listens for SIGTERM, which only the main thread may, so the test calling it is not a
    coroutine: it runs its own awaits with ``asyncio.run``), with short rate-limit windows: the
    earlier database is the point, not the pace of a posting."""
    with quick_sandbox():
        done = in_process(
            "sandbox", "--data", str(folder), "--script", str(script), cwd=ROOT, env=_environment()
        )
    return done.returncode, done.stdout, done.stderr


SCRIPT = f"""\
/article post article:{SAMPLE} channel:#general
#§1
@ben
The commission's visit was long overdue.
@Readalong what did the special public commission do?
"""


@pytest.mark.slow(seconds=5)
@pytest.mark.parametrize("chain", SQLITE_CHAINS)
def test_every_command_works_on_an_earlier_sqlite_database(tmp_path: Path, chain: str) -> None:
    """The sandbox starts on it and posts; then import, list, show, ask (by words and by meaning),
    export of the posted article in each format, and archive search."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "readalong.db"
    asyncio.run(old_sqlite(db, chain))
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    status, out, err = sandbox(folder, script)
    assert status == 0, err
    assert [line for line in err.splitlines() if line.strip()] == [
        line for line in err.splitlines() if "repaired" in line and str(db) in line
    ], err
    assert "three-month" in out and "  ! " not in out  # the mention was answered, nothing refused

    question = "What did the special public commission do?"
    exports = {kind: tmp_path / f"export-{kind}" for kind in ("markdown", "html", "json")}

    async def every_command() -> list[tuple[int, str, str]]:
        async with FakeOpenAI() as server:
            semantic = {
                "READALONG_SEMANTIC": "on",
                "OPENAI_BASE_URL": server.url,
                "OPENAI_API_KEY": "sk-test",
            }
            calls: list[tuple[list[str], dict[str, str]]] = [
                (["list"], {}),
                (["show", OLD], {}),
                (["import", str(ROOT / "bot" / "data" / f"{SAMPLE}.txt")], {}),
                (["ask", SAMPLE, question], {}),
                *(
                    (["export", SAMPLE, "--format", kind, "-o", str(target)], {})
                    for kind, target in exports.items()
                ),
                (["archive", "search", "overdue"], {}),
                (["archive", "search", "skating"], {}),
                (["ask", SAMPLE, question], semantic),
            ]
            results = [await readalong(*argv, db=db, env=env) for argv, env in calls]
            assert server.embedded, "semantic retrieval was not used"
        return results

    results = asyncio.run(every_command())
    listed, shown, imported, asked, *_exported, overdue, skating, asked_by_meaning = results
    assert all(status == 0 for status, _, _ in results), [err for status, _, err in results if status]
    assert f"{OLD}\tAn Older Article" in listed[1] and f"{SAMPLE}\t" in listed[1]
    assert "The harbour froze in January." in shown[1]
    assert imported[1].startswith("Already there:"), imported
    assert "three-month" in asked[1] and "three-month" in asked_by_meaning[1]
    for kind, target in exports.items():
        written = [target] if target.is_file() else sorted(target.rglob("*.*"))
        assert any("long overdue" in path.read_text(encoding="utf-8") for path in written), kind
    assert "The commission's visit was long overdue." in overdue[1]
    assert "Skating to work sounds cold." in skating[1]
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT count(*) FROM embeddings").fetchone()[0] > 0


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder ``nobody`` can enter and read but not write (pytest's tmp_path is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="readalong-ro-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


async def current_sqlite(path: Path) -> None:
    async with Store(path):
        pass


def test_a_gap_no_statement_can_fill_is_refused_in_one_line_and_left_alone(tmp_path: Path) -> None:
    """A column created inside its table's ``CREATE TABLE`` cannot be added back (its constraints
    are part of the table): the database is refused naming it, before anything is written, by the
    store, the CLI and the sandbox (which names its own file, not the default one)."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "readalong.db"
    asyncio.run(current_sqlite(db))
    with sqlite3.connect(db) as connection:
        connection.execute("ALTER TABLE articles DROP COLUMN author_bio")
        connection.execute("DROP TABLE guild_settings")
    with sqlite3.connect(db) as connection:
        before = list(connection.iterdump())
    with pytest.raises(IncompleteSchemaError) as refused:
        asyncio.run(Store(db).open())
    message = str(refused.value)
    assert message.startswith(f"{db}: schema {len(load_migrations())} lacks column articles.author_bio")
    assert "\n" not in message
    status, _, err = asyncio.run(readalong("list", db=db))
    assert status == 2 and err == f"readalong: error: {message}\n"
    script = tmp_path / "script.txt"
    script.write_text("/about\n", encoding="utf-8")
    status, _, err = sandbox(folder, script)
    assert status == 2 and err == f"readalong: error: {message}\n"
    with sqlite3.connect(db) as connection:
        assert list(connection.iterdump()) == before


async def test_a_read_only_database_with_a_gap_is_named_not_repaired(shared_folder: Path) -> None:
    """Opened for reading only (nothing may be written, a repair included), a database stamped
    with migrations it lacks the work of is refused naming what it lacks."""
    db = shared_folder / "old.db"
    await old_sqlite(db, "sqlite-1c94e55")  # stamped 11 without 0009's and 0010's work
    first_eleven = load_migrations()[:11]
    db.chmod(0o444)
    with unprivileged():
        assert not os.access(db, os.W_OK, effective_ids=True)
        with pytest.raises(IncompleteSchemaError, match=r"schema 11 lacks .*read-only"):
            await Store(db, first_eleven).open()


# No placeholder migrations


GRANDFATHERED = {
    ("sqlite", "0002_search.sql"): "2a00dff2b7afe8c9b86188410731efa31799558f91ff32c5d794ef86ae256015"
}
"""Placeholders every existing database has applied, kept so the numbering stays: each pinned by
its content's SHA-256, so the list cannot let a new one in."""


def sqlite_migrations_that_change_nothing(folder: Path) -> list[str]:
    """The migration files of ``folder`` that, applied in order to a fresh database, neither change
    its schema nor write a row (SQLite's authorizer sees every write a statement would make)."""
    idle = []
    with sqlite3.connect(":memory:", isolation_level=None) as connection:
        writes: list[int] = []
        reads = {
            sqlite3.SQLITE_SELECT,
            sqlite3.SQLITE_READ,
            sqlite3.SQLITE_FUNCTION,
            sqlite3.SQLITE_RECURSIVE,
        }

        def authorize(action: int, *_: object) -> int:
            if action not in reads:
                writes.append(action)
            return sqlite3.SQLITE_OK

        connection.set_authorizer(authorize)
        for path in sorted(folder.glob("*.sql")):
            schema_before = connection.execute("PRAGMA schema_version").fetchone()[0]
            writes.clear()
            changes = connection.total_changes
            for statement in split_sqlite(path.read_text(encoding="utf-8")):
                connection.execute(statement)
            changed = connection.execute("PRAGMA schema_version").fetchone()[0] != schema_before
            if not (changed or writes or connection.total_changes != changes):
                idle.append(path.name)
    return idle


async def postgres_migrations_that_change_nothing(url: PostgresUrl, folder: Path) -> list[str]:
    """The same on PostgreSQL: a migration that neither changes the schema's catalog nor gets a
    transaction id (PostgreSQL assigns one to the first write, of rows or of the catalog)."""
    idle = []
    connection = await asyncpg.connect(url.reveal())
    try:
        for path in sorted(folder.glob("*.sql")):
            async with connection.transaction():
                before = await postgres_catalog(connection)
                for statement in split_postgres(path.read_text(encoding="utf-8")):
                    await connection.execute(statement)
                wrote = await connection.fetchval("SELECT txid_current_if_assigned()")
                if wrote is None and await postgres_catalog(connection) == before:
                    idle.append(path.name)
    finally:
        await connection.close()
    return idle


def packaged(dialect_name: str) -> Path:
    return ROOT / "bot" / "store" / "migrations" / dialect_name


def test_no_sqlite_migration_is_a_placeholder() -> None:
    idle = sqlite_migrations_that_change_nothing(packaged(SQLITE.name))
    unexcused = [name for name in idle if ("sqlite", name) not in GRANDFATHERED]
    assert unexcused == [], f"migrations that change nothing: {unexcused}; give them work or no file"
    for (backend, name), digest in GRANDFATHERED.items():
        text = (packaged(backend) / name).read_bytes()
        assert hashlib.sha256(text).hexdigest() == digest, f"{name} changed: it is excused as it was"


async def test_no_postgresql_migration_is_a_placeholder(postgres_url: PostgresUrl) -> None:
    idle = await postgres_migrations_that_change_nothing(postgres_url, packaged(POSTGRESQL.name))
    assert idle == [], f"migrations that change nothing: {idle}; give them work or no file"


@pytest.mark.parametrize(
    ("chain", "placeholders"),
    [
        ("sqlite-1c94e55", ["0002_search.sql", "0009_placeholder.sql", "0010_placeholder.sql"]),
        ("sqlite-07ceb42", ["0002_search.sql", "0009_reserved.sql"]),
        ("sqlite-27504d6", ["0002_search.sql", "0006_privacy.sql", "0007_posting_failures.sql"]),
    ],
)
def test_the_check_finds_the_placeholders_that_shipped(chain: str, placeholders: Sequence[str]) -> None:
    assert sqlite_migrations_that_change_nothing(HISTORY / chain) == placeholders


async def test_the_postgresql_check_finds_a_placeholder(postgres_url: PostgresUrl, tmp_path: Path) -> None:
    (tmp_path / "0001_schema.sql").write_text("CREATE TABLE a (x INTEGER);", encoding="utf-8")
    (tmp_path / "0002_reserved.sql").write_text("-- reserved for another branch\nSELECT 1;", encoding="utf-8")
    (tmp_path / "0003_fill.sql").write_text("INSERT INTO a VALUES (1);", encoding="utf-8")
    assert await postgres_migrations_that_change_nothing(postgres_url, tmp_path) == ["0002_reserved.sql"]


# PostgreSQL


async def pg_catalog(url: PostgresUrl) -> dict[str, str]:
    connection = await asyncpg.connect(url.reveal())
    try:
        return await postgres_catalog(connection)
    finally:
        await connection.close()


async def other_schema(url: PostgresUrl, suffix: str) -> PostgresUrl:
    schema = f"{url.reveal().rsplit('search_path=', 1)[1]}_{suffix}"
    admin = await asyncpg.connect(url.reveal())
    try:
        await admin.execute(f"CREATE SCHEMA {schema}")
    finally:
        await admin.close()
    return PostgresUrl(url.reveal().rsplit("search_path=", 1)[0] + f"search_path={schema}")


async def drop_schema(url: PostgresUrl) -> None:
    admin = await asyncpg.connect(url.reveal())
    try:
        await admin.execute(f"DROP SCHEMA IF EXISTS {url.reveal().rsplit('search_path=', 1)[1]} CASCADE")
    finally:
        await admin.close()


@pytest.mark.slow
async def test_an_earlier_postgresql_schema_is_repaired_and_every_command_works(
    postgres_url: PostgresUrl, tmp_path: Path
) -> None:
    fresh = await other_schema(postgres_url, "fresh")
    try:
        async with Store(fresh):
            pass
        expected = await pg_catalog(fresh)
    finally:
        await drop_schema(fresh)
    async with Store(postgres_url, load_migrations(HISTORY / "postgresql-e145585")) as store:
        assert await store.schema_version() == 1
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO articles (id, title, author, source, format, body, imported_at)"
                " VALUES (?, 'An Older Article', 'A. Writer', 'old.txt', 'text', ?, '2026-11-24T10:00:00+00:00')",
                (OLD, OLD_BODY),
            )
            await db.execute(
                'INSERT INTO sections (article_id, idx, heading, start, "end") VALUES (?, 0, NULL, 0, ?)',
                (OLD, len(OLD_BODY)),
            )
            await db.execute(
                "INSERT INTO comments (article_id, idx, author, posted, text)"
                " VALUES (?, 0, 'Reader', NULL, 'Skating to work sounds cold.')",
                (OLD,),
            )
    before = await pg_catalog(postgres_url)
    assert set(before) < set(expected)
    async with Store(postgres_url) as store:
        assert (await store.articles.get(OLD)).body == OLD_BODY
    assert await pg_catalog(postgres_url) == expected  # the same objects, the same index definitions

    env = {"READALONG_DB": postgres_url.reveal()}
    sample = ROOT / "bot" / "data" / f"{SAMPLE}.txt"
    status, out, err = await readalong("import", str(sample), env=env)
    assert status == 0, err
    status, out, err = await readalong("import", str(sample), env=env)
    assert status == 0 and out.startswith("Already there:"), err
    status, out, err = await readalong("list", env=env)
    assert status == 0 and f"{OLD}\tAn Older Article" in out and f"{SAMPLE}\t" in out, err
    status, out, err = await readalong("show", OLD, env=env)
    assert status == 0 and "The harbour froze in January." in out, err
    status, out, err = await readalong("ask", SAMPLE, "What did the special public commission do?", env=env)
    assert status == 0 and "three-month" in out, err
    status, out, err = await readalong(
        "export", SAMPLE, "--format", "json", "-o", str(tmp_path / "j"), env=env
    )
    assert status == 0, err
    status, out, err = await readalong("archive", "search", "skating", env=env)
    assert status == 0 and "Skating to work sounds cold." in out, err


async def test_a_postgresql_gap_no_statement_can_fill_is_refused(postgres_url: PostgresUrl) -> None:
    """A column that cannot be added back (NOT NULL without a default, on a table with rows) is
    named, and what could be repaired beside it is rolled back with it: the schema is as it was."""
    async with Store(postgres_url) as store, store.transaction() as db:
        await db.execute(
            "INSERT INTO articles (id, title, source, format, body, imported_at)"
            " VALUES (?, 'T', 'old.txt', 'text', ?, '2026-11-24T10:00:00+00:00')",
            (OLD, OLD_BODY),
        )
    admin = await asyncpg.connect(postgres_url.reveal())
    try:
        await admin.execute("ALTER TABLE articles DROP COLUMN source")
        await admin.execute("DROP TABLE guild_settings")
    finally:
        await admin.close()
    before = await pg_catalog(postgres_url)
    with pytest.raises(DatabaseError) as refused:
        await Store(postgres_url).open()
    assert isinstance(refused.value, IncompleteSchemaError)
    assert "lacks column articles.source" in str(refused.value) and "\n" not in str(refused.value)
    assert await pg_catalog(postgres_url) == before  # guild_settings' repair was rolled back too


def test_the_sandbox_names_its_own_database_when_sqlite_refuses(tmp_path: Path) -> None:
    """An SQLite error the store does not foresee (here an operator's trigger refusing inserts)
    is named with the sandbox's database, not the default one the CLI would name."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "readalong.db"
    asyncio.run(current_sqlite(db))
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TRIGGER no_new_articles BEFORE INSERT ON articles BEGIN SELECT RAISE(ABORT, 'frozen'); END"
        )
    script = tmp_path / "script.txt"
    script.write_text("/about\n", encoding="utf-8")
    status, _, err = sandbox(folder, script)
    assert (status, err) == (2, f"readalong: error: {db}: frozen\n")


async def test_a_user_who_may_not_create_schemas_runs_unchecked_with_a_warning(
    postgres_url: PostgresUrl, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The expected schema is built in a scratch schema, which needs CREATE on the database; a bot
    whose user may only use its own schema still starts, saying once that it could not check."""
    monkeypatch.setattr(schema_module, "_derived_postgres", {})  # as in a process starting now
    role = f"readalong_limited_{uuid.uuid4().hex[:8]}"
    schema = postgres_url.reveal().rsplit("search_path=", 1)[1]
    admin = await asyncpg.connect(postgres_url.reveal())
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        await admin.execute(f"GRANT USAGE, CREATE ON SCHEMA {schema} TO {role}")
        limited = PostgresUrl(postgres_url.reveal().replace("://postgres@", f"://{role}@", 1))
        async with Store(limited) as store:  # a fresh schema: migrated, nothing to check
            assert await store.schema_version() == len(load_migrations(dialect=POSTGRESQL))
        async with Store(limited) as store:
            assert await store.schema_version() == len(load_migrations(dialect=POSTGRESQL))
        assert [r.getMessage() for r in caplog.records if "cannot check the schema" in r.getMessage()]
    finally:
        await admin.execute(f"DROP OWNED BY {role} CASCADE")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()
