"""What every test may use: the sample article (its path, its text, its parse), the database on
either backend, and the order tests are handed to workers in."""

from __future__ import annotations

import asyncio
import compileall
import contextlib
import functools
import gc
import importlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from hypothesis import settings

from bot.articles import Article, parse_article, read_article_file
from bot.cli import YOUNG_COLLECTION_THRESHOLD, main
from bot.domain.database import Database, PostgresUrl
from bot.sandbox import Limit, RateLimitConfig, Sandbox
from bot.sandbox import cli as sandbox_cli
from bot.store import Store
from tests.fresh_databases import (
    KeptConnection,
    SchemaPool,
    learn_derivation,
    migrated_sqlite,
    new_schema,
    share_derivation,
)
from tests.harness import POSTGRES_ENV, end_starter
from tests.scheduling import lay_out
from tests.worker_zygote import forking_workers

# Bytecode caches on, for this process and the ones it starts, even under PYTHONDONTWRITEBYTECODE:
# without them each of the workers rewrites the asserts of ~200 test modules again (2 s of CPU
# each), and each of the ~60 `readalong` processes the tests start compiles the bot again. The
# caches go in __pycache__ folders, which git ignores. (Set here, in the first conftest, before
# any test module is imported.)
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

IN_CI = bool(os.environ.get("CI"))
"""Set by CI (and by ``.ci/run``'s callers): the property-based tests run their full number of
examples there, a fifth of it locally."""
settings.register_profile("ci")  # Hypothesis's defaults, as before
settings.register_profile("dev", max_examples=20)
settings.load_profile("ci" if IN_CI else "dev")


def examples(full: int) -> int:
    """``max_examples`` for a property-based test that asks for ``full`` examples: all of them
    in CI, a fifth (at least 10) locally, for a quicker loop."""
    return full if IN_CI else max(10, full // 5)


DEFAULT_TEST_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test?sslmode=disable"
"""The test server, on this machine: without ``sslmode``, asyncpg asks every new connection for
TLS first ("prefer") and builds a TLS context for it, for a server that says no, or for
encryption over the loopback. The PostgreSQL tests alone (``-k postgres``) took 1-2 s less CPU
of their own without it (34.4 and 33.6 s against 35.2 and 36.5 s, runs in turn)."""
REQUIRE_POSTGRES_ENV = "READALONG_REQUIRE_POSTGRES"
"""Set (to 1) by .ci/run: a PostgreSQL server that does not answer fails the run instead of
skipping the PostgreSQL tests."""
BACKENDS = ("sqlite", "postgresql")
both_backends = pytest.mark.both_backends
"""Run a test (or, as ``pytestmark``, every test of a module) on SQLite and on PostgreSQL: the
``backend`` fixture, and the ``database``, ``store`` and end-to-end ``settings`` that follow it,
take each in turn. A test that uses none of them runs once."""
sqlite_only = pytest.mark.sqlite_only
"""Keep one test of a :data:`both_backends` module on SQLite; ``reason=`` says why (a test of
SQLite's own locking, say, or one waiting for PostgreSQL's full-text search)."""


def pytest_configure(config: pytest.Config) -> None:
    """The markers :data:`both_backends` and :data:`sqlite_only`; and, in the process that
    hands tests out (not in each worker), this run's own PostgreSQL database."""
    config.addinivalue_line("markers", "both_backends: run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "sqlite_only(reason): keep on SQLite in a both_backends module")
    if hasattr(config, "workerinput"):
        learn_derivation()
        _run_database.enter_workers_own(config.workerinput["workerid"], config.workerinput["workercount"])
    else:
        workers = config.getoption("numprocesses", None)
        _run_database.open(workers if isinstance(workers, int) else 0)
        if _run_database.name is not None:
            with contextlib.suppress(OSError, TimeoutError, asyncpg.PostgresError):
                share_derivation(os.environ[POSTGRES_ENV])
        if config.getoption("numprocesses", None):
            _compile_once()
            _fork_workers(config)


def _compile_once() -> None:
    """In a fresh clone, compile the bot and rewrite the test modules' asserts once, in the
    process that hands tests out, before its workers start: otherwise each of the eight workers
    compiles and rewrites the same ~450 modules at the same moment (the suite took 146 s from a
    fresh clone against 127 s a second time). Where the caches are there already, nothing is
    done."""
    root = Path(__file__).parents[1]
    if (root / "bot" / "__pycache__").is_dir():
        return
    for package in ("bot", "cogs"):
        compileall.compile_dir(root / package, quiet=1)
    # Importing a test module through pytest's import hook (installed in this process) writes
    # the module with its asserts rewritten to __pycache__, where each worker finds it.
    for path in sorted((root / "tests").rglob("test_*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts)
        # One that cannot be imported fails (or skips) in its worker, as before.
        with contextlib.suppress(Exception, pytest.skip.Exception):
            importlib.import_module(name)


_forking = contextlib.ExitStack()
"""The process forking this run's workers (:mod:`tests.worker_zygote`), ended after the run."""


def _fork_workers(config: pytest.Config) -> None:
    """Workers forked from one process that imported the bot and its libraries once, where
    pytest-xdist would start each as a new Python (0.9 s of CPU each, eight at once on two cores):
    its ``popen`` specs made to go through :mod:`tests.worker_zygote`. Left as they are if the run
    names its own (``--tx``) or the forking process cannot be had."""
    specs = config.getoption("tx", None) or []
    if specs and all(spec == "popen" for spec in specs):
        forked = _forking.enter_context(forking_workers(len(specs)))
        if forked is not None:
            config.option.tx = forked


@pytest.hookimpl(tryfirst=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """In the process handing tests out, drop this run's databases; in a worker, end the process
    here (:func:`_end_without_teardown`)."""
    if not hasattr(config, "workerinput"):
        _forking.close()
        _run_database.close()
    else:
        _end_without_teardown()


def _end_without_teardown() -> None:
    """A worker's last step, once pytest-xdist has sent its last result (its "workerfinished",
    at the end of the session, before any plugin is unconfigured): end the bot starter, then the
    process, without pytest's unconfiguring or Python's teardown. The one collects the garbage
    five times over for unraisable exceptions (~0.5 s of CPU per worker, after every test has
    passed or failed); the other frees the worker's heap object by object. The eight workers did
    both at once after the last test while the run waited for them (1.9 s of the run at first,
    0.7 s with Python's teardown skipped; the collections, now skipped too, were not timed
    apart)."""
    end_starter()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


class _RunDatabase:
    """A PostgreSQL database of this run's own on the test server, made at the start and dropped
    at the end; every PostgreSQL test's schema is made in it (the workers inherit it through
    ``READALONG_TEST_POSTGRES``).

    Why: the tests make and drop a few hundred schemas per run, each leaving dead rows in the
    database's system catalogs (pg_attribute, pg_class, pg_depend...). Where autovacuum is off,
    as on the machines here, the catalogs of a long-lived database grow with every run (249 MB of
    pg_attribute, 1.2 million dead rows, was found), and every catalog read the store makes when
    it opens (0.3 s of the server's CPU each, against 2 ms on clean catalogs) or the planner makes
    scans them. A database's catalogs are its own, so dropping the run's database leaves the
    server as the run found it. Where the server cannot make one (no CREATEDB, or no server: the
    tests say so themselves), the configured database is used as before.

    Each worker has a database of its own besides (``<run>_gw3``): the store's schema check on
    every open, and the pool's after every test, read the catalogs by schema, which PostgreSQL
    can only scan whole. Shared, they hold every worker's schemas and the dead rows of every
    schema dropped in the run (the check took 13 ms of the server's CPU with 20 schemas beside
    it, 4 ms alone); apart, each holds only its own worker's."""

    def __init__(self) -> None:
        self.name: str | None = None
        self.server: str | None = None
        self.configured: str | None = None
        """``READALONG_TEST_POSTGRES`` as the run found it (None: not set)."""
        self.made: tuple[str, ...] = ()
        """The databases made for this run: its own, then its workers'."""

    def open(self, workers: int) -> None:
        """Make the run's database and one for each of its ``workers`` (``gw0``…, as
        pytest-xdist names them), all at once: each over a connection of its own, at the same
        time (0.23-0.27 s; one after another, the nine took 0.19-2.2 s, ~1 s as a rule, of the
        run's start, before any worker was started)."""
        server = os.environ.get(POSTGRES_ENV) or DEFAULT_TEST_POSTGRES
        name = f"{_RUN_PREFIX}{uuid.uuid4().hex[:12]}"
        names = (name, *(_workers_database(name, worker) for worker in _worker_ids(workers)))

        made: list[str] = []

        async def create(each: str) -> None:
            admin = await asyncpg.connect(server, timeout=5)
            try:
                await admin.execute(f"CREATE DATABASE {each}")
                made.append(each)
            finally:
                await admin.close()

        async def create_all() -> None:
            failed = [
                outcome
                for outcome in await asyncio.gather(*map(create, names), return_exceptions=True)
                if isinstance(outcome, BaseException)
            ]
            if failed:
                raise failed[0]

        self.server = server
        try:
            asyncio.run(create_all())
        except (OSError, TimeoutError, asyncpg.PostgresError):
            self.made = tuple(made)
            self._drop()
            return
        self.name, self.configured, self.made = name, os.environ.get(POSTGRES_ENV), names
        os.environ[POSTGRES_ENV] = PostgresUrl(server).in_database(name).reveal()

    @staticmethod
    def enter_workers_own(worker: str, workers: int) -> None:
        """In a worker: its own database (:meth:`open`), where the run made one (a worker started
        again after a crash, ``gw10`` of ten, stays in the run's)."""
        url = os.environ.get(POSTGRES_ENV)
        if (
            url
            and (database := urlsplit(url).path.lstrip("/")).startswith(_RUN_PREFIX)
            and worker in _worker_ids(workers)
        ):
            os.environ[POSTGRES_ENV] = (
                PostgresUrl(url).in_database(_workers_database(database, worker)).reveal()
            )

    def close(self) -> None:
        """Give ``READALONG_TEST_POSTGRES`` back and drop the run's databases in a process of its
        own, not waited for: PostgreSQL checkpoints before it drops a database, which after a
        run's writes takes seconds (30 s was seen on a loaded machine) the run need not wait."""
        if self.name is None or self.server is None:
            return
        if self.configured is None:
            os.environ.pop(POSTGRES_ENV, None)
        else:
            os.environ[POSTGRES_ENV] = self.configured
        self._drop()
        self.name = None

    def _drop(self) -> None:
        if self.server is None or not self.made:
            return
        subprocess.Popen(
            [sys.executable, "-c", _DROP_DATABASES, self.server, *self.made],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.made = ()


_RUN_PREFIX = "readalong_run_"


def _worker_ids(workers: int) -> tuple[str, ...]:
    """The ids pytest-xdist gives ``workers`` workers at the start (``gw0``…)."""
    return tuple(f"gw{n}" for n in range(workers))


def _workers_database(run: str, worker: str) -> str:
    return f"{run}_{worker}"


_DROP_DATABASES = """
import asyncio, sys
import asyncpg

async def drop(server, names):
    admin = await asyncpg.connect(server, timeout=5)
    try:
        for name in names:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()

asyncio.run(drop(sys.argv[1], sys.argv[2:]))
"""


_run_database = _RunDatabase()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """:data:`both_backends`: parametrize ``backend`` where the test reaches it (a test of the
    module that never touches the database is not run twice), unless it is :data:`sqlite_only`."""
    if (
        metafunc.definition.get_closest_marker("both_backends") is not None
        and metafunc.definition.get_closest_marker("sqlite_only") is None
        and "backend" in metafunc.fixturenames
    ):
        metafunc.parametrize("backend", BACKENDS)


@pytest.fixture(autouse=True)
def _no_real_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Readalong's default data folder is in the home folder: every test, and every process it
    starts, gets a home of its own instead of the real one."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture(scope="session")
def sample_path() -> Path:
    """The article shipped with the bot (bot/data/the-lessons-of-zhanaozen.txt), as a user would
    import it. (A parametrize list, which no fixture reaches, names it "<sample>".)"""
    return Path(__file__).parents[1] / "bot" / "data" / "the-lessons-of-zhanaozen.txt"


@pytest.fixture(scope="session")
def sample_text(sample_path: Path) -> str:
    """The sample article's text as the importer reads it (decoded, newlines normalised)."""
    return read_article_file(sample_path)


@pytest.fixture(scope="session")
def sample_article(sample_text: str, sample_path: Path) -> Article:
    """The sample article parsed once for the whole session, not yet stored (its ``id`` is
    empty). An :class:`Article` is frozen, so tests share it safely; one that needs another
    source or id uses ``dataclasses.replace``."""
    return parse_article(sample_text, source=sample_path.name)


@pytest.fixture
async def stored(tmp_path: Path, sample_article: Article) -> AsyncIterator[tuple[Store, Article]]:
    """The sample article imported into a new SQLite file, migrated already (indexed as it is
    stored): the store, open, and the article as stored."""
    async with Store(migrated_sqlite(tmp_path / "r.db")) as store:
        yield store, await store.articles.add(sample_article)


@pytest.fixture
def backend() -> str:
    """The store's backend; "sqlite" unless a test is parametrized with :data:`both_backends`."""
    return "sqlite"


_unreachable: dict[str, str] = {}
"""Test servers that did not answer in this process, with the line saying so."""


async def _test_server() -> tuple[asyncpg.Connection[Any], PostgresUrl]:
    """A connection to the test server (``READALONG_TEST_POSTGRES``, default
    :data:`DEFAULT_TEST_POSTGRES`) and its URL. Where no server answers the test
    is skipped with one line, unless ``READALONG_REQUIRE_POSTGRES`` is set."""
    server = os.environ.get(POSTGRES_ENV) or DEFAULT_TEST_POSTGRES
    message = _unreachable.get(server)
    if message is None:
        try:
            return await asyncpg.connect(server, timeout=5), PostgresUrl(server)
        except (OSError, asyncpg.PostgresError, TimeoutError) as error:
            # Remembered: the next PostgreSQL tests of this worker are skipped without waiting.
            message = _unreachable[server] = (
                f"no PostgreSQL at {PostgresUrl(server).shown} ({type(error).__name__}: {error});"
                f" set {POSTGRES_ENV}"
            )
    if os.environ.get(REQUIRE_POSTGRES_ENV):
        pytest.fail(message)
    pytest.skip(message)


_admin = KeptConnection(_test_server)
"""This worker's admin connection, which makes, empties and drops the tests' schemas."""


@pytest.fixture
async def postgres_url() -> AsyncIterator[PostgresUrl]:
    """An empty PostgreSQL schema of this test's own on the test server, dropped after it: for a
    test of what the store makes of a schema (the migrations, a foreign or damaged schema)."""
    schema, server = await _admin.run(_made)
    try:
        yield server.in_schema(schema)
    finally:
        await _admin.run(lambda admin, _: admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))


async def _made(admin: asyncpg.Connection[Any], server: PostgresUrl) -> tuple[str, PostgresUrl]:
    return await new_schema(admin), server


_schemas = SchemaPool()


@pytest.fixture
async def migrated_postgres_url() -> AsyncIterator[PostgresUrl]:
    """A PostgreSQL schema of this test's own, migrated and empty, as a store that was opened
    once leaves it (``tests.fresh_databases``)."""
    schema, server = await _admin.run(_taken)
    try:
        yield server.in_schema(schema)
    finally:
        await _admin.run(lambda admin, _: _schemas.give_back(admin, schema))


async def _taken(admin: asyncpg.Connection[Any], server: PostgresUrl) -> tuple[str, PostgresUrl]:
    return await _schemas.take(admin, server), server


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """Where this test's store is: a new SQLite file, or (``backend`` "postgresql") a schema of
    its own, either migrated and empty (``tests.fresh_databases``)."""
    if backend == "postgresql":
        url: PostgresUrl = request.getfixturevalue("migrated_postgres_url")
        return url
    return migrated_sqlite(tmp_path / "readalong.db")


@pytest.fixture
def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """Where no store has been yet: a path with no file, or an empty PostgreSQL schema. For a
    test of what the migrations make of a database an earlier release left."""
    if backend == "postgresql":
        url: PostgresUrl = request.getfixturevalue("postgres_url")
        return url
    return tmp_path / "new.db"


@pytest.fixture
async def store(database: Database) -> AsyncIterator[Store]:
    """An open store on ``database`` (SQLite unless the test runs on :data:`both_backends`)."""
    async with Store(database) as opened:
        yield opened


def db_argument(database: Database) -> str:
    """``database`` as ``--db`` or ``READALONG_DB`` takes it: the path, or the URL in full (the
    test server's URL carries no password, but a command must be given the real one)."""
    return database.reveal() if isinstance(database, PostgresUrl) else str(database)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests laid out as the shares pytest-xdist will hand its workers (``tests.scheduling``)."""
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    items[:] = lay_out(items, workers)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` replaced by ``values`` for the block, restored after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def _standard_input(text: str | None) -> Iterator[None]:
    """``sys.stdin`` reading ``text`` (as UTF-8 bytes too, through its ``buffer``) for the block;
    left as it is if ``text`` is None."""
    if text is None:
        yield
        return
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")
    try:
        yield
    finally:
        sys.stdin = saved


QUICK_LIMITS = RateLimitConfig(messages_per_channel=Limit(5, 0.25), webhook_executions=Limit(5, 0.1))
"""Discord's rate limits in their shape (5 messages per channel, 5 webhook executions), with a
twentieth of their windows: the end-to-end tests' sandbox, and ``readalong sandbox`` run by a test
whose point is not the pace (:func:`quick_sandbox`)."""


@contextlib.contextmanager
def quick_sandbox() -> Iterator[None]:
    """``readalong sandbox`` run in this process (:func:`readalong`) serves with
    :data:`QUICK_LIMITS` for the block, not Discord's own windows (a posting of the sample then
    waits a quarter of a second for #general's bucket, not 5 s)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sandbox_cli, "Sandbox", functools.partial(Sandbox, limits=QUICK_LIMITS))
        yield


def readalong(
    *args: str, cwd: Path, env: Mapping[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``readalong ARGS`` as the console script runs it (``bot.cli.main``), but in this process:
    its exit status and what it printed, in ``cwd`` (where a ``.env`` would be read) and with
    ``env`` as the whole environment (default: this one without Readalong's and Discord's
    settings), reading ``stdin`` (if given) as its standard input. For the tests where the process is not the point: a process of its own costs
    ~0.5 s of CPU to import the bot. Not for ``readalong run`` (signals) or from a running loop
    (``asyncio.to_thread`` it)."""
    if env is None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "READALONG_", "OPENAI_"))}
    out, err = io.StringIO(), io.StringIO()
    with (
        _environment(env),
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _standard_input(stdin),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit_:  # argparse: --help, or a usage error
            code = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(list(args), code, out.getvalue(), err.getvalue())


async def import_with_cli(database: Database, path: Path) -> None:
    """``readalong --db DATABASE import PATH``, the console script's ``main`` in a thread of this
    process (:func:`readalong`): the setup of tests whose point is a later process, not this one."""
    done = await asyncio.to_thread(
        readalong, "--db", db_argument(database), "import", str(path), cwd=path.parent
    )
    assert done.returncode == 0, done.stderr


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collector set as ``readalong run`` sets it (``bot.cli``): everything imported and
    collected so far (the bot, discord.py, aiohttp, the test modules and their items: most of a
    worker's objects) moved out of its reach (``gc.freeze``), since it lives as long as the
    process; young collections every :data:`~bot.cli.YOUNG_COLLECTION_THRESHOLD` objects instead
    of 700 (a tenth of a worker's CPU went to collections, most of them finding nothing)."""
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
