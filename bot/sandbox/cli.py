"""``readalong sandbox``: the sandbox and the bot in one process, the sample article imported,
and a terminal chat (or a script) to talk to it. No token, no Discord account."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
import tempfile
from importlib import resources
from pathlib import Path

from bot.articles import parse_article
from bot.domain.clock import SystemClock
from bot.errors import ReadalongError
from bot.sandbox.chat import Chat, ScriptFailed, lines_from, piped_lines
from bot.sandbox.harness import handlers_running, running_bot, sandbox_settings
from bot.sandbox.server import Sandbox, Seed
from bot.services.articles import import_article
from bot.settings import DB_NAME, SANDBOX_WORLD, Settings
from bot.stopping import StopSignals
from bot.store import Store

SAMPLE = "the-lessons-of-zhanaozen.txt"
WORLD = SANDBOX_WORLD
FILES = "sandbox-files"
HISTORY = "sandbox-history"
_VOICE_WARNING = "voice will NOT be supported"


def run_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    """``readalong sandbox`` with its parsed options (registered by :mod:`bot.cli.sandbox`)."""
    if args.script is not None and not args.script.exists():
        raise ReadalongError(f"{args.script}: no such file")
    if args.script is not None and not args.script.is_file():
        raise ReadalongError(f"{args.script}: is not a regular file")
    if not 0 <= args.port <= 65535:
        raise ReadalongError(f"--port {args.port}: must be between 0 and 65535")
    if args.data is not None and args.data.exists() and not args.data.is_dir():
        raise ReadalongError(f"--data {args.data}: is not a folder")
    if not args.verbose:
        quiet_startup()
    with contextlib.ExitStack() as stack:
        if args.fresh:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="readalong-sandbox-")))
        else:
            folder = args.data or settings.data_dir
        folder.mkdir(parents=True, exist_ok=True)
        try:
            asyncio.run(_main(args, settings, folder))
        except KeyboardInterrupt:
            print(file=sys.stderr)
    return 0


def quiet_startup() -> None:
    """Only problems are logged: no migrations applied, no server listening, and not discord.py's
    warning that voice needs PyNaCl (the sandbox has no voice, and Readalong never speaks)."""
    logging.getLogger().setLevel(max(logging.getLogger().level, logging.WARNING))
    logging.getLogger("discord.client").addFilter(lambda record: _VOICE_WARNING not in record.getMessage())


async def _main(args: argparse.Namespace, settings: Settings, folder: Path) -> None:
    db_path = folder / DB_NAME
    if not (folder / WORLD).exists():
        # Before anything is written: another Discord's database is refused in one line.
        await refuse_a_discord_bots_database(db_path)
    clock = SystemClock()  # one clock for Discord's world and the bot (a test's is a ManualClock)
    sandbox = Sandbox(snapshot=folder / WORLD, port=args.port, clock=clock)
    # The bot runs in this event loop: waiting for quiet waits for its handlers too, so an answer
    # still being worked out on a slow machine is shown before the next line, not missed.
    sandbox.handlers_running = handlers_running
    seed = _find_seed(sandbox) or sandbox.seed()
    if not args.serve:
        # Before the server starts: a database held by another bot is refused in one line.
        await import_sample(db_path, settings)
    async with sandbox:
        if args.serve:
            # Both signals end the server the same way: its world saved, the port closed, exit 0.
            with StopSignals() as signals:
                print(f"READALONG_DISCORD_URL={sandbox.base_url}")
                print(f"DISCORD_TOKEN={sandbox.token}")
                print(f"DEV_GUILD_ID={seed.guild_id}")
                print("Serving until Ctrl-C (or SIGTERM).", flush=True)
                await signals.requested.wait()
            return
        bot_settings = sandbox_settings(
            dataclasses.replace(settings, db_path=db_path), sandbox, seed.guild_id
        )
        async with running_bot(bot_settings, clock=clock):
            await sandbox.wait_idle(quiet=0.2)
            chat = Chat(
                sandbox,
                seed,
                sys.stdout,
                files_dir=folder / FILES,
                color=sys.stdout.isatty() and not settings.no_color,
            )
            # SIGTERM ends the chat and closes the bot as leaving it does; Ctrl-C stays the
            # terminal's (prompt_toolkit reads it as a key).
            failed: ScriptFailed | None = None
            with StopSignals((signal.SIGTERM,)) as signals:
                talking = asyncio.ensure_future(_talk(args, chat, folder))

                async def leave() -> None:
                    talking.cancel()

                with contextlib.suppress(asyncio.CancelledError):
                    failed = await signals.until_requested(talking, leave)
            print(where_the_data_is(folder, db_path, settings, fresh=args.fresh))
    if failed is not None:
        # After the bot and the server are closed, as at the end of any session: then exit 2.
        source = args.script if args.script is not None else "standard input"
        raise ReadalongError(f"{source}, {failed}")


async def _talk(args: argparse.Namespace, chat: Chat, folder: Path) -> ScriptFailed | None:
    """The session: a script's lines, a person at a terminal, or lines piped in; a script's (or a
    pipe's) first refused line, if any."""
    if args.script is not None:
        lines = args.script.read_text(encoding="utf-8").splitlines()
        return await chat.run(lines_from(lines), echo=True)
    if sys.stdin.isatty() and sys.stdout.isatty():
        await chat.interact(None if args.fresh else folder / HISTORY)
        return None
    return await chat.run(piped_lines(), echo=True)


def where_the_data_is(folder: Path, db_path: Path, settings: Settings, *, fresh: bool) -> str:
    """The last line of a session: where its data is, and how the other commands read it."""
    if fresh:
        return f"The sandbox's data was in {folder}, deleted now (--fresh)."
    if db_path == settings.db_path:
        return (
            f"The sandbox's data is in {folder}: readalong ask, export and archive search read it as it is."
        )
    return f"The sandbox's data is in {folder}: readalong --db {db_path} … reads it."


async def refuse_a_discord_bots_database(db_path: Path) -> None:
    """A database with postings but no sandbox server beside it is a bot's on Discord (the default
    folder is shared so that the CLI reads the sandbox's data): the sandbox would pause its postings,
    whose channels it does not have, and mix its made-up server into that archive."""
    if not await asyncio.to_thread(db_path.exists):
        return
    store = Store(db_path)
    await store.open()
    try:
        posted = await store.postings.any()
    finally:
        await store.close()
    if posted:
        raise ReadalongError(
            f"{db_path}: holds a bot's postings on Discord and no sandbox server; the sandbox keeps"
            " apart from it: readalong sandbox --data DIR (kept) or --fresh (thrown away)"
        )


async def import_sample(db_path: Path, settings: Settings) -> None:
    """The sample article, imported once: through the import service, which knows it is already
    there when a kept sandbox starts again."""
    text = (resources.files("bot") / "data" / SAMPLE).read_text(encoding="utf-8")
    article = parse_article(text, source=SAMPLE, target_chars=settings.section_target_chars)
    store = Store(db_path)
    # exclusive, as the bot will: a second sandbox on the same --data is refused before it writes.
    await store.open(exclusive=True)
    try:
        await import_article(store, article)
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
