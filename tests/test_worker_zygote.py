"""The test workers, and the processes they start through :func:`tests.worker_zygote.python`, are
forked from one process that imported the bot once, and behave as ``python -c`` would: arguments,
standard streams, folder, environment and exit status. Only where the run has that process
(pytest-xdist's workers: the README's test command); ``-n 0`` has none."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.worker_zygote import SOCKET_ENV, python

pytestmark = pytest.mark.skipif(
    not os.environ.get(SOCKET_ENV), reason="no forking process in this run (-n 0)"
)


def test_this_worker_was_forked_from_the_process_that_imported_the_bot() -> None:
    parent = Path(f"/proc/{os.getppid()}/cmdline").read_bytes().split(b"\0")
    assert b"tests.worker_zygote" in parent


def test_a_process_started_through_it_is_python_c_with_the_bot_imported_already(tmp_path: Path) -> None:
    code = (
        "import os, sys; print(sys.argv[1:], os.getcwd(), os.environ['ASKED'], 'bot.cli' in sys.modules);"
        " print(sys.stdin.read().upper(), file=sys.stderr); sys.exit(3)"
    )
    done = subprocess.run(
        [*python(), "-c", code, "one", "two"],
        input="read from standard input",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "ASKED": "passed on"},
        timeout=30,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout == f"['one', 'two'] {tmp_path} passed on True\n"
    assert done.stderr == "READ FROM STANDARD INPUT\n"
