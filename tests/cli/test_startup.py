"""What a command costs before it does anything: the libraries it imports.

``readalong ask``, ``list``, ``show`` and ``export`` are what an operator types most, and each is a
new process. The HTTP client, Discord's library and the model's client are imported only by the
commands that use them. aiohttp, once imported by every command, was about half of such a
command's CPU: ``readalong list`` took 0.55 s with it and 0.27 s without, ``readalong ask`` 0.60 s
and 0.33 s (farm-bench medians of 15 runs in turn, the 2-core machine; docs/testing.md).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.cli import main

ROOT = Path(__file__).parents[2]
NOT_AT_START = ("aiohttp", "discord", "openai", "asyncpg")
"""Libraries a command that fetches nothing, connects to no Discord, asks no model and opens no
PostgreSQL database must not pay for."""


def test_the_command_line_starts_without_the_network_libraries(tmp_path: Path, sample_path: Path) -> None:
    """A real ``readalong ask`` on an SQLite file holding the sample article, in a process of its
    own (a worker of this run has imported everything already): it answers with a quote, and
    none of those libraries was loaded."""
    db = tmp_path / "r.db"
    assert main(["--db", str(db), "import", str(sample_path)]) == 0
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        f"status = main(['--db', {str(db)!r}, 'ask', 'the-lessons-of-zhanaozen', 'Where is Zhanaozen?'])\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(NOT_AT_START)!r}))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    *answer, loaded = done.stdout.splitlines()
    assert answer[0] == "Q: Where is Zhanaozen?" and any(line.startswith("> ") for line in answer), answer
    assert loaded == "[]"
