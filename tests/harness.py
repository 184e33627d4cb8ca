"""``readalong run`` in processes of its own against a sandbox, killed (SIGKILL) at chosen
requests, stopped (SIGTERM) and started again: the one harness for the tests where the process is
the point (exactly once across kills, graceful stop, several shards' processes), and for
``benchmarks/at_scale.py`` (which puts the repository's root on ``sys.path`` to import it).

Test code, not product code: the bot run in-process for the terminal chat and most end-to-end
tests is ``bot.sandbox.harness.running_bot``."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.domain.database import Database, PostgresUrl
from bot.sandbox import Sandbox
from tests.worker_zygote import python

POSTGRES_ENV = "READALONG_TEST_POSTGRES"
"""The variable naming the tests' PostgreSQL server (read here and by ``tests.conftest``)."""
DERIVED_ENV = "READALONG_TEST_DERIVED"
"""The file holding what the PostgreSQL migrations make on the test server, worked out once for
the run (``tests.fresh_databases.share_derivation``)."""

STARTER = """
import importlib, json, os, pkgutil, select, sys

import cogs
import bot.discord.client
from bot.cli import main

for extension in pkgutil.iter_modules(cogs.__path__):  # what `readalong run` imports, imported once
    importlib.import_module(f"cogs.{extension.name}")

if len(sys.argv) > 1:  # what a bot opening a PostgreSQL schema works out first, worked out once
    import pickle
    from bot.store import schema

    with open(sys.argv[1], "rb") as derived:
        schema._derived_postgres.update(pickle.load(derived))

def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        os.write(1, f"exited {pid} {os.waitstatus_to_exitcode(status)}\\n".encode())

pending = b""
while True:
    reap()
    if b"\\n" not in pending:
        if select.select([0], [], [], 0.02)[0]:
            chunk = os.read(0, 65536)
            if not chunk:
                break
            pending += chunk
        continue
    line, pending = pending.split(b"\\n", 1)
    order = json.loads(line)
    pid = os.fork()
    if pid == 0:
        os.environ.clear()
        os.environ.update(order["env"])
        bot.discord.client.IDENTIFY_WINDOW = order["window"]  # the sandbox's (Discord's: 5 s)
        for module, name, value in order.get("patches", []):  # a test's shorter waits
            setattr(importlib.import_module(module), name, value)
        log = os.open(order["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        status = 1
        try:
            status = main(["run", *order["flags"]])
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)
    os.write(1, f"started {order['token']} {pid}\\n".encode())
"""
"""Starts ``readalong run`` (the console script's ``bot.cli.main``) in a new process, forked from
one that imported the bot once: a start then costs the bot's start, not Python's and
discord.py's (0.5 s of CPU each; the exactly-once tests start the bot twenty-odd times, and the
tests of a worker that start it at all share one starter). Given the file of :data:`DERIVED_ENV`
(``argv[1]``), it also knows what the migrations make on the tests' server, which every bot
opening an existing PostgreSQL schema compares it with (a scratch schema: a few hundred
milliseconds of the server's CPU per start otherwise). Each line it reads is an order, in
JSON: ``token``, the child's whole environment ``env``, its ``log`` file, the ``flags`` of
``readalong run``, the IDENTIFY ``window`` to keep and the ``patches`` ([module, name, value]:
a module constant a test shortens, as the window). It answers ``started TOKEN PID``, and
tells each child's end as ``exited PID CODE`` (the code negative for a signal, as
``subprocess`` gives it)."""

_PASSED_OVER = ("DISCORD_", "READALONG_", "OPENAI_")
"""The settings of this process that a bot started by a test never inherits."""


class _Starter:
    """The one :data:`STARTER` process of this test process, shared by every
    :class:`ReadalongProcess` (each test has an event loop of its own, so the starter is read
    by a thread, and each answer handed to the loop that awaits it)."""

    _shared: _Starter | None = None

    def __init__(self) -> None:
        derived = [os.environ[DERIVED_ENV]] if os.environ.get(DERIVED_ENV) else []
        self._process = subprocess.Popen(
            [*python(), "-c", STARTER, *derived],
            env={k: v for k, v in os.environ.items() if not k.startswith(_PASSED_OVER)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._lock = threading.Lock()
        self._starting: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]] = {}
        self._ended: dict[int, int] = {}
        self._waiting: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[int]]]] = {}
        threading.Thread(target=self._read, name="readalong-starter", daemon=True).start()
        atexit.register(self.close)

    @classmethod
    def shared(cls) -> _Starter:
        """This process's starter, started on first use (and again if it died)."""
        if cls._shared is None or cls._shared._process.poll() is not None:
            cls._shared = cls()
        return cls._shared

    @staticmethod
    def _hand(loop: asyncio.AbstractEventLoop, future: asyncio.Future[int], value: int) -> None:
        def settle() -> None:
            if not future.done():
                future.set_result(value)

        with contextlib.suppress(RuntimeError):  # that test's loop is closed: nobody waits
            loop.call_soon_threadsafe(settle)

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            kind, key, value = line.decode().split()
            with self._lock:
                if kind == "started":
                    self._hand(*self._starting.pop(key), int(value))
                else:
                    self._ended[int(key)] = int(value)
                    for waiter in self._waiting.pop(int(key), []):
                        self._hand(*waiter, int(value))

    async def start(
        self,
        env: dict[str, str],
        log: Path,
        flags: list[str],
        window: float,
        patches: Mapping[str, float] | None = None,
    ) -> int:
        """Fork ``readalong run FLAGS`` with ``env`` as its environment (and each ``module.NAME``
        of ``patches`` set to its value); its process id."""
        token = uuid.uuid4().hex
        started = asyncio.get_running_loop().create_future()
        with self._lock:
            self._starting[token] = (asyncio.get_running_loop(), started)
        order = {
            "token": token,
            "env": env,
            "log": str(log),
            "flags": flags,
            "window": window,
            "patches": [[*key.rsplit(".", 1), value] for key, value in (patches or {}).items()],
        }
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(order).encode() + b"\n")
        self._process.stdin.flush()
        return await asyncio.wait_for(started, 30)

    def ended(self, pid: int) -> int | None:
        """How the process ended (negative: the signal), None while it runs."""
        with self._lock:
            return self._ended.get(pid)

    def end_of(self, pid: int) -> asyncio.Future[int]:
        """Settled with the process's exit code once it ends."""
        future = asyncio.get_running_loop().create_future()
        with self._lock:
            if pid in self._ended:
                future.set_result(self._ended[pid])
            else:
                self._waiting.setdefault(pid, []).append((asyncio.get_running_loop(), future))
        return future

    def close(self) -> None:
        """Close its orders (it exits once its bots have) and wait for it."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(10)


def end_starter() -> None:
    """End this process's starter, if it has one, waiting for it (the worker's exit, which skips
    the exit handlers the starter registered)."""
    if _Starter._shared is not None:
        _Starter._shared.close()
        _Starter._shared = None


class ReadalongProcess:
    """``readalong run`` in a process of its own against a sandbox (optionally some shards of
    ``--shard-count``), its output appended to ``log``; started again after a kill or a stop
    with :meth:`start`, and ended for good with :meth:`close`. It waits the sandbox's IDENTIFY
    window (``sandbox.gateway.identify_window``, Discord's 5 s unless a test shortens it)."""

    def __init__(
        self,
        sandbox: Sandbox,
        guild_id: str,
        database: Database,
        log: Path,
        *,
        shards: tuple[str, int] | None = None,
        log_level: str = "INFO",
        patches: Mapping[str, float] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.patches = dict(patches or {})
        """Module constants set in the bot's process (``{"bot.services.feeds.TICK_SECONDS": 0.1}``):
        waits a test shortens, as the IDENTIFY window."""
        self.shards = shards
        self.log = log
        self.environment = {k: v for k, v in os.environ.items() if not k.startswith(_PASSED_OVER)} | {
            "DISCORD_TOKEN": sandbox.token,
            "READALONG_DISCORD_URL": sandbox.base_url,
            "DEV_GUILD_ID": guild_id,
            "READALONG_DB": database.reveal() if isinstance(database, PostgresUrl) else str(database),
            "LOG_LEVEL": log_level,
        }
        self.pid: int | None = None
        """The bot's process, from its start until :meth:`wait` saw it end."""
        self._returncode: int | None = None

    @classmethod
    def one_per_shard(
        cls,
        sandbox: Sandbox,
        guild_id: str,
        database: Database,
        logs: Path,
        count: int,
        *,
        patches: Mapping[str, float] | None = None,
    ) -> list[ReadalongProcess]:
        """One process for each of ``count`` shards, shard N logging to ``logs/shard-N.log``."""
        return [
            cls(
                sandbox,
                guild_id,
                database,
                logs / f"shard-{shard}.log",
                shards=(str(shard), count),
                patches=patches,
            )
            for shard in range(count)
        ]

    def __repr__(self) -> str:
        return f"<ReadalongProcess shards={self.shards} pid={self.pid}>"

    @property
    def running(self) -> bool:
        """Whether the bot's process was started and not yet seen to end by :meth:`wait`."""
        return self.pid is not None

    @property
    def returncode(self) -> int | None:
        """How the last process ended (negative: the signal that ended it); None while it runs."""
        if self.pid is None:
            return self._returncode
        return _Starter.shared().ended(self.pid)

    async def start(self) -> None:
        """Start it (again), appending to the log."""
        assert self.pid is None, "already running"
        flags = ["--shards", self.shards[0], "--shard-count", str(self.shards[1])] if self.shards else []
        self.pid = await _Starter.shared().start(
            self.environment, self.log, flags, self.sandbox.gateway.identify_window, self.patches
        )
        self._returncode = None

    def send_signal(self, number: int) -> None:
        """Send a signal to the running bot (none if it is not running)."""
        if self.pid is not None:
            os.kill(self.pid, number)

    async def wait(self) -> int:
        """Wait for the bot's process to end; its exit code (negative: the signal that ended it)."""
        if self.pid is not None:
            self._returncode = await asyncio.shield(_Starter.shared().end_of(self.pid))
            self.pid = None
        assert self._returncode is not None, "never started"
        return self._returncode

    async def kill(self) -> None:
        """SIGKILL, as the machine losing power or the OOM killer would; waits for it to be gone."""
        if self.pid is not None:
            self.send_signal(signal.SIGKILL)
            await self.wait()

    async def stop(self) -> None:
        """SIGTERM, and wait: the bot shuts down as on Ctrl-C."""
        if self.pid is not None:
            self.send_signal(signal.SIGTERM)
            await self.wait()

    async def close(self) -> None:
        """Kill the bot if it still runs (a test that failed half-way). The starter stays, for
        the next test of this process."""
        await self.kill()


@dataclass
class KillPoints:
    """Which requests to count, and at which of them (numbered from 1) to kill the bot: in the
    ``before`` phase (the request never reaches "Discord") or ``after`` it (Discord did the work,
    the bot never hears back)."""

    counts: Callable[[str], bool]
    at: dict[int, str]
    counted_in: str = "before"
    """The phase in which a request is counted."""
    seen: int = 0

    @property
    def left(self) -> int:
        """Kill points not yet reached."""
        return len([n for n in self.at if n > self.seen])


@dataclass
class Killer:
    """A request hook (``sandbox.faults.hook = killer``) that SIGKILLs ``process`` at its
    :class:`KillPoints`, once :attr:`armed`; ``restart_after``: start the process again that
    many seconds later."""

    process: ReadalongProcess
    points: tuple[KillPoints, ...]
    restart_after: float | None = None
    armed: bool = True
    kills: int = 0
    killed: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, phase: str, route: str) -> None:
        """The hook: the sandbox calls it before and after each REST request."""
        if not self.armed:
            return
        wanted = set()
        for points in self.points:
            if points.counts(route):
                if phase == points.counted_in:
                    points.seen += 1
                wanted.add(points.at.get(points.seen))
        if phase not in wanted or not self.process.running:
            return
        await self.process.kill()
        self.kills += 1
        self.killed.set()
        if self.restart_after is not None:
            asyncio.get_running_loop().call_later(
                self.restart_after, lambda: asyncio.ensure_future(self.process.start())
            )
        if phase == "before":
            raise web.HTTPServiceUnavailable  # the request never reached "Discord"


def messages_sent_in(sandbox: Sandbox, guild_ids: set[str]) -> Callable[[str], bool]:
    """Counts the messages the bot sends into a channel of one of ``guild_ids``."""

    def counts(route: str) -> bool:
        found = re.fullmatch(r"POST /channels/(\d+)/messages", route)
        if found is None:
            return False
        channel = sandbox.world.channels.get(found.group(1))
        return channel is not None and str(channel["guild_id"]) in guild_ids

    return counts


def kill_on_message(
    sandbox: Sandbox,
    process: ReadalongProcess,
    guild_ids: set[str],
    nth: int,
    *,
    restart_after: float | None = None,
) -> Killer:
    """SIGKILL ``process`` when the ``nth`` message it sends into a channel of ``guild_ids`` has
    reached Discord, before it hears back: the item it was sending is left ``sending``, as a crash
    at the worst moment leaves it. Counts only once armed (``killer.armed = True``)."""
    points = KillPoints(messages_sent_in(sandbox, guild_ids), {nth: "after"}, counted_in="after")
    return Killer(process, (points,), restart_after=restart_after, armed=False)


def sample_posted(sandbox: Sandbox, channel_id: str) -> bool:
    """Whether the sample article's posting in the channel got to its end: both original
    comments in its comments thread."""
    threads = [t for t in sandbox.threads(channel_id) if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2
