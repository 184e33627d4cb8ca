"""``readalong sandbox``: its options here, its work in :mod:`bot.sandbox.cli`, imported only when it
runs (the server, the bot and the chat cost 0.3 s of CPU at the start of every other command)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import Settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``readalong sandbox`` and its options to the CLI."""
    sandbox = commands.add_parser(
        "sandbox",
        help="try Readalong in a local Discord-like server, in the terminal (no token needed)",
        description=(
            "Starts a local Discord-compatible server with a seeded guild (#general, a #reading-room "
            "forum, members ada and ben) and the bot, with the sample article imported."
        ),
    )
    sandbox.add_argument(
        "--script", type=Path, help="run the lines of this file, print what happens, and exit"
    )
    where = sandbox.add_mutually_exclusive_group()
    where.add_argument(
        "--data",
        type=Path,
        help="keep the database, the sandbox's server and files the bot sends in this folder "
        "(default: Readalong's data folder, $XDG_DATA_HOME/readalong or ~/.local/share/readalong, "
        "where readalong ask, export and archive search look too)",
    )
    where.add_argument(
        "--fresh",
        action="store_true",
        help="a throwaway run: everything in a temporary folder, deleted at the end",
    )
    sandbox.add_argument(
        "--verbose",
        action="store_true",
        help="log at LOG_LEVEL (migrations, connections, warnings about voice); by default only problems",
    )
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    sandbox.add_argument(
        "--serve",
        action="store_true",
        help="only run the server, and print the settings with which `readalong run` connects to it",
    )
    sandbox.set_defaults(handler=_cmd_sandbox)


def _cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.sandbox.cli import run_sandbox

    return run_sandbox(args, settings)
