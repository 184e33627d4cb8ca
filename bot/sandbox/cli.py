"""``readalong sandbox``: the sandbox and the bot in one process, the sample article imported,
and a terminal chat (or a script) to talk to it. No token, no Discord account."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import sys
import tempfile
from importlib import resources
from pathlib import Path

from bot.articles import parse_article
from bot.errors import NotFoundError, ReadalongError
from bot.sandbox.chat import Chat, lines_from, terminal_lines
from bot.sandbox.harness import running_bot, sandbox_settings
from bot.sandbox.server import Sandbox, Seed
from bot.settings import Settings
from bot.store import Store

SAMPLE = "the-lessons-of-zhanaozen.txt"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    sandbox.add_argument(
        "--data",
        type=Path,
        help="keep the database and the sandbox's world in this folder between runs (default: a fresh one each run)",
    )
    sandbox.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free one)")
    sandbox.add_argument(
        "--serve",
        action="store_true",
        help="only run the server, and print the settings with which `readalong run` connects to it",
    )
    sandbox.set_defaults(handler=_cmd_sandbox)


def _cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    if args.script is not None and not args.script.exists():
        raise ReadalongError(f"{args.script}: no such file")
    if args.script is not None and not args.script.is_file():
        raise ReadalongError(f"{args.script}: is not a regular file")
    if not 0 <= args.port <= 65535:
        raise ReadalongError(f"--port {args.port}: must be between 0 and 65535")
    if args.data is not None and args.data.exists() and not args.data.is_dir():
        raise ReadalongError(f"--data {args.data}: is not a folder")
    with contextlib.ExitStack() as stack:
        folder = args.data or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="readalong-sandbox-"))
        )
        folder.mkdir(parents=True, exist_ok=True)
        try:
            asyncio.run(_main(args, settings, folder))
        except KeyboardInterrupt:
            print(file=sys.stderr)
    return 0


async def _main(args: argparse.Namespace, settings: Settings, folder: Path) -> None:
    snapshot = folder / "sandbox-world.json"
    sandbox = Sandbox(snapshot=snapshot, port=args.port)
    seed = _find_seed(sandbox) or sandbox.seed()
    db_path = folder / "readalong.db"
    if not args.serve:
        # Before the server starts: a database held by another bot is refused in one line.
        await import_sample(db_path, settings)
    async with sandbox:
        if args.serve:
            print(f"READALONG_DISCORD_URL={sandbox.base_url}")
            print(f"DISCORD_TOKEN={sandbox.token}")
            print(f"DEV_GUILD_ID={seed.guild_id}")
            print("Serving until Ctrl-C.", flush=True)
            await asyncio.Event().wait()
        bot_settings = sandbox_settings(
            dataclasses.replace(settings, db_path=db_path), sandbox, seed.guild_id
        )
        async with running_bot(bot_settings):
            await sandbox.wait_idle(quiet=0.2)
            chat = Chat(sandbox, seed, sys.stdout)
            if args.script is not None:
                lines = args.script.read_text(encoding="utf-8").splitlines()
                await chat.run(lines_from(lines), echo=True)
            else:
                await chat.run(terminal_lines(), echo=not sys.stdin.isatty())


async def import_sample(db_path: Path, settings: Settings) -> None:
    """The sample article, imported once."""
    text = (resources.files("bot") / "data" / SAMPLE).read_text(encoding="utf-8")
    article = parse_article(text, source=SAMPLE, target_chars=settings.section_target_chars)
    store = Store(db_path)
    # exclusive, as the bot will: a second sandbox on the same --data is refused before it writes.
    await store.open(exclusive=True)
    try:
        try:
            await store.articles.get("the-lessons-of-zhanaozen")
        except NotFoundError:
            await store.articles.add(article)
    finally:
        await store.close()


def _find_seed(sandbox: Sandbox) -> Seed | None:
    """The seeded ids of a world read back from a snapshot."""
    world = sandbox.world
    if not world.guilds:
        return None
    guild_id = next(iter(world.guilds))
    try:
        return Seed(
            guild_id,
            world.find_channel("general", guild_id)["id"],
            world.find_channel("reading-room", guild_id)["id"],
            world.find_user("ada")["id"],
            world.find_user("ben")["id"],
            world.bot_id,
        )
    except KeyError:
        return None
