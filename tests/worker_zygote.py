"""pytest-xdist's workers forked from one process that has imported the bot and its libraries
already, instead of each starting Python and importing them again.

Eight workers started on two cores at once, each importing the same bot, discord.py, aiohttp and
asyncpg: 16.5 s of CPU summed over them to the end of their collection, before the first test;
forked, 9.4 s (and the forking process's own 0.7 s, once). Here one process (``python -m
tests.worker_zygote SOCKET``) imports them and waits on a Unix socket; pytest-xdist starts each
worker through its ``popen`` spec, whose ``python=`` is a small client (``tests/worker_client.py``
run by ``python -I -S``: no site, nothing but the standard library) that hands its standard
streams, arguments, folder and environment over the socket. The process forks, and the child runs
them as ``python -u -c CODE`` would (execnet's bootstrap, which reads the rest from its standard
input). The client passes the signals it gets on to the child, and exits with the child's status.
The starters of ``tests/harness.py`` are forked the same way (:func:`python`).

Only the bot's and the libraries' modules are imported ahead, not the tests' own nor the packages
of pytest's plugins: pytest rewrites their asserts as it imports them, in the worker. A forked
worker starts as a new one would for what the tests see: CPython seeds the random generators again
in the child, and no thread or event loop runs in the process forked.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import os
import pkgutil
import select
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import traceback
import types
from collections.abc import Iterator
from pathlib import Path

from tests.worker_client import STATUS

PRELOADED = ("bot", "cogs")
"""Packages imported ahead, every module of them."""
LIBRARIES = (
    *("pytest", "discord", "aiohttp", "asyncpg", "lxml.html", "jsonschema", "yaml", "grimp", "pyte"),
    # Imported by the bot only when first needed (the web page reader, the HTML export), which in
    # a test run is in every worker. (Not openai, the model's client, which two workers need: it
    # imports anyio, one of pytest's plugins' packages.)
    *("trafilatura", "markdown_it"),
)
"""Libraries imported ahead. Not the packages of pytest's plugins (pytest-xdist, pytest-asyncio,
Hypothesis, anyio) nor any that imports one: pytest rewrites their asserts as it imports them, and
warns of one imported before."""
READY_WITHIN = 60.0
"""Seconds to wait for the forking process's imports; past that the workers start as usual."""


def preload() -> None:
    """Import what every worker imports, then keep it out of the collector's reach."""
    for name in LIBRARIES:
        importlib.import_module(name)
    for package in PRELOADED:
        root = importlib.import_module(package)
        for found in pkgutil.walk_packages(root.__path__, package + "."):
            if not found.name.endswith(".__main__"):
                importlib.import_module(found.name)
    gc.freeze()


def serve(path: str) -> None:
    """Fork a process for each client that connects, and tell the client its pid, then its exit
    status. Ends when the process that started it closes its standard input."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(16)
    # A worker's end wakes the loop at once (its status is what the client, and the worker's
    # own process that waits on it, are waiting for).
    woken, waking = socket.socketpair()
    waking.setblocking(False)
    signal.set_wakeup_fd(waking.fileno())
    signal.signal(signal.SIGCHLD, lambda *_: None)
    print("ready", flush=True)
    clients: dict[int, socket.socket] = {}
    with selectors.DefaultSelector() as selector:
        selector.register(listener, selectors.EVENT_READ)
        selector.register(woken, selectors.EVENT_READ)
        selector.register(sys.stdin, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fileobj is sys.stdin:
                    return  # the run is over
                if key.fileobj is woken:
                    woken.recv(4096)
                    continue
                connection, _ = listener.accept()
                pid = _fork(connection, [listener, selector, woken, waking, *clients.values()])
                connection.sendall(STATUS.pack(pid))
                clients[pid] = connection
            for pid in list(clients):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    with contextlib.closing(clients.pop(pid)) as connection, contextlib.suppress(OSError):
                        connection.sendall(STATUS.pack(os.waitstatus_to_exitcode(status)))


def _fork(connection: socket.socket, inherited: list[socket.socket | selectors.BaseSelector]) -> int:
    """Fork; in the child, close what it inherited of the forking process (``inherited``), become
    the process the client stands for (a worker, a starter) and run its ``-c`` code."""
    message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
    request = json.loads(message)
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for held in (*inherited, connection):
        held.close()
    for number, fd in enumerate(fds):
        os.dup2(fd, number)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    arguments = request["argv"]
    code = arguments[arguments.index("-c") + 1]
    sys.argv = ["-c", *arguments[arguments.index("-c") + 2 :]]
    sys.path[0] = ""
    # As ``python -u``: standard output and error unbuffered, standard input as Python opens it.
    # (``sys.__stdout__`` and the others keep the forking process's objects, on the same numbers.)
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    status = 0
    try:
        exec(compile(code, "<string>", "exec"), main.__dict__)
    except SystemExit as exit_:  # as Python ends on one: a number is the status, anything else said
        if exit_.code is None or isinstance(exit_.code, int):
            status = exit_.code or 0
        else:
            print(exit_.code, file=sys.stderr)
            status = 1
    except BaseException:
        traceback.print_exc()
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


CLIENT = Path(__file__).with_name("worker_client.py")
"""The client, run as ``python -I -S tests/worker_client.py SOCKET ARGS…``."""
SOCKET_ENV = "TESTS_FORKING_SOCKET"
"""Where the forking process listens, for the workers (and the processes they start) to ask it
for a Python of their own too (:func:`python`). Not a ``READALONG_`` name: the bot's settings warn
of one they do not know."""


def python() -> list[str]:
    """The command that starts ``python -c CODE ARGS…`` (``CODE ARGS…`` appended) for this run:
    forked by the forking process, if this run has one, else a new Python."""
    path = os.environ.get(SOCKET_ENV)
    if path and Path(path).exists():
        return [sys.executable, "-I", "-S", str(CLIENT), path]
    return [sys.executable]


@contextlib.contextmanager
def forking_workers(workers: int) -> Iterator[list[str] | None]:
    """The process that forks workers, started for the block (its socket in a folder of its own,
    removed after): the ``--tx`` specs that start ``workers`` workers through it. None where it
    cannot be had (not Linux, or it did not say it was ready): start them as pytest-xdist does."""
    if sys.platform != "linux":  # elsewhere a fork without exec can deadlock in system libraries
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="readalong-workers-") as folder:
        path = str(Path(folder) / "s")
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.worker_zygote", path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=Path(__file__).parents[1],
        )
        assert server.stdin is not None and server.stdout is not None
        try:
            # Its imports take a second; a process that neither says so nor ends is not waited for.
            said = select.select([server.stdout], [], [], READY_WITHIN)[0]
            ready = bool(said) and server.stdout.readline() == b"ready\n"
            if ready:
                os.environ[SOCKET_ENV] = path
            else:
                server.kill()
            yield [f"popen//python={shlex.join(python())}"] * workers if ready else None
        finally:
            os.environ.pop(SOCKET_ENV, None)
            server.stdin.close()  # the run is over: the process ends
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    preload()
    serve(sys.argv[1])
