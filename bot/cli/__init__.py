"""The ``readalong`` command (also ``python -m bot``).

Every subcommand reads the settings once, works, and returns an exit status. Expected failures
(:class:`ReadalongError`) print one line on stderr and exit 2; nothing is written before the input
has been checked, so a refused command leaves the database as it was.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO

from bot.articles import Article
from bot.cli import archive as archive_cli
from bot.cli import ask as ask_cli
from bot.cli import db as db_cli
from bot.cli import sandbox as sandbox_cli
from bot.discordfmt.words import count
from bot.domain.database import Database, parse_database
from bot.domain.posting import ArticleListing
from bot.errors import ReadalongError, SettingsError
from bot.logs import setup_logging
from bot.services import articles as articles_service
from bot.services.articles import Imported, import_article, parse_file
from bot.services.stores import open_existing_store
from bot.services.webfetch import Fetcher
from bot.services.webimport import ArticlePage, fetch_article_page
from bot.settings import DB_NAME, SANDBOX_WORLD, Settings, parse_shards
from bot.stopping import StopSignals
from bot.store import Store, StoreError

log = logging.getLogger(__name__)
Handler = Callable[[argparse.Namespace, Settings], int]
INVALID_SHARD = 4010
SHARDING_REQUIRED = 4011
"""Gateway close codes (Discord's docs, "Gateway Close Event Codes") the run command explains."""
LONG_RUNNING = frozenset({"run", "sandbox"})
"""Subcommands that log at LOG_LEVEL; the others log only warnings, to keep their output clean."""


def _database_argument(text: str) -> Database:
    """``--db``: a path, ``sqlite:///path`` or a ``postgresql://`` URL (argparse's error otherwise)."""
    try:
        return parse_database(text)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The ``readalong`` command line: one subcommand per action, each calling its handler with the
    settings."""
    parser = argparse.ArgumentParser(prog="readalong", description="Read an article together on Discord.")
    parser.add_argument(
        "--db",
        type=_database_argument,
        metavar="PATH_OR_URL",
        help="SQLite database file, or a postgresql:// URL (default: READALONG_DB, else readalong.db"
        " in the data folder, $XDG_DATA_HOME/readalong or ~/.local/share/readalong)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    imp = commands.add_parser("import", help="store an article file or page; prints its id last")
    imp.add_argument(
        "path",
        help="a blog-post text scrape, a Markdown file (.md), plain text, or the article's http(s):// address",
    )
    imp.add_argument(
        "--id", dest="article_id", help="the id to store it under (default: a slug of its title)"
    )
    imp.set_defaults(handler=_cmd_import)

    lst = commands.add_parser("list", help="one line per article: id, title, sections, comments")
    lst.set_defaults(handler=_cmd_list)

    show = commands.add_parser("show", help="an article as stored")
    show.add_argument("article_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(handler=_cmd_show)

    run = commands.add_parser("run", help="run the bot on Discord (needs DISCORD_TOKEN)")
    run.add_argument(
        "--sync-global",
        action="store_true",
        help="also sync slash commands globally (after changing commands)",
    )
    run.add_argument(
        "--shards",
        metavar="IDS",
        help="run only these shards in this process, such as 0-3 or 0-1,4 (needs --shard-count; "
        "default READALONG_SHARDS, else every shard)",
    )
    run.add_argument(
        "--shard-count",
        metavar="N",
        help="the total number of shards across all processes (default READALONG_SHARD_COUNT, "
        "else the count Discord recommends)",
    )
    run.set_defaults(handler=_cmd_run)

    for feature in (sandbox_cli, ask_cli, archive_cli, db_cli):
        # Subcommands that live beside their feature: plain imports, so that lint-imports sees them.
        feature.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``readalong`` command and return its exit status: an expected failure (bad input, a
    database or file error) is one line on stderr and status 2."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.db is not None:
            settings = settings.with_db(args.db)
        db_path = settings.db_path
        if settings.on_default_file and args.command not in ("sandbox", "db"):
            refuse_a_previous_default(db_path)
        if args.command in ("import", "run") and settings.on_default_file:
            # Readalong's own folder, made on first use (a --db or READALONG_DB path is the user's).
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        quiet = args.command not in LONG_RUNNING
        setup_logging(
            max(settings.log_level_number, logging.WARNING) if quiet else settings.log_level_number,
            secrets=[
                *(s.reveal() for s in (settings.discord_token, settings.openai_api_key) if s is not None),
                *(settings.db_url.secrets() if settings.db_url is not None else ()),
            ],
        )
        for warning in settings.warnings():
            log.warning("%s", warning)
        handler: Handler = args.handler
        return handler(args, settings)
    except BrokenPipeError:
        # The reader (``| head``) went away: nothing more to say, and nothing to report.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115, PTH123 - closes at exit
        return 0
    except ReadalongError as error:
        print(f"readalong: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        # A file the checks above did not foresee (permissions changed under us, a full disk).
        where = f"{error.filename}: " if error.filename else ""
        print(f"readalong: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except StoreError as error:
        # A statement the database refused beyond the store's own checks (locked, damaged pages,
        # a full disk, a constraint), named by the store: its file, or its server without the password.
        print(f"readalong: error: {str(error).splitlines()[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    # Fetched or read before the database is opened: an address or a file that cannot be had
    # leaves no database behind.
    page, article = None, None
    if articles_service.is_url(args.path):
        page = asyncio.run(_fetch(args.path, settings))
    else:
        article = parse_file(Path(args.path), settings.section_target_chars)

    async def store_it() -> tuple[Imported, str]:
        async with Store(settings.database) as store:
            if page is not None:
                imported = await articles_service.import_page(store, page, article_id=args.article_id)
            else:
                assert article is not None
                imported = await import_article(store, article, article_id=args.article_id)
            return imported, await articles_service.operator_name(store, imported.article.id)

    imported, name = asyncio.run(store_it())
    if imported.created:
        print(describe_import(imported.article))
    else:
        print(
            f"Already there: {imported.article.display_title!r} is stored as {name} (the same text); nothing imported."
        )
    print(name)
    return 0


async def _fetch(url: str, settings: Settings) -> ArticlePage:
    """The article at ``url``, fetched with the settings' address guard, progress on stderr."""

    async def progress(text: str) -> None:
        print(text, file=sys.stderr)

    fetcher = Fetcher(allow_private=settings.allow_private_urls)
    return await fetch_article_page(fetcher, url, settings.section_target_chars, progress)


def describe_import(article: Article) -> str:
    """The one line ``readalong import`` prints: title, author, how many sections and comments, and the
    byline's comment count when it differs from what was found."""
    by = f" by {article.author}" if article.author else ""
    declared = ""
    if article.declared_comments is not None and article.declared_comments != len(article.comments):
        declared = f" (the byline says {article.declared_comments})"
    return (
        f"Imported {article.display_title!r}{by}: {count(len(article.sections), 'section')}, "
        f"{count(len(article.comments), 'comment')}{declared}."
    )


def _cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    async def fetch() -> list[ArticleListing]:
        store = await open_existing_store(settings)
        try:
            return await articles_service.listing(store)
        finally:
            await store.close()

    listings = asyncio.run(fetch())
    lines = [
        f"{a.id}\t{a.title or '(untitled)'}\t{count(a.sections, 'section')}\t{count(a.comments, 'comment')}"
        for a in listings
    ]
    print("\n".join(lines) if lines else "No articles yet: import one with `readalong import PATH`.")
    return 0


def _cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    async def fetch() -> tuple[Article, str]:
        store = await open_existing_store(settings)
        try:
            article = await articles_service.article(store, args.article_id)
            return article, await articles_service.operator_name(store, article.id)
        finally:
            await store.close()

    article, name = asyncio.run(fetch())
    if args.json:
        json.dump({**article.to_json(), "id": name}, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        write_readable(article, sys.stdout, name=name)
    return 0


def write_readable(article: Article, out: TextIO, *, name: str | None = None) -> None:
    """The article as a person reads it in a terminal (``readalong show``): header, numbered sections, bio,
    comments. ``name``: its id as the command line takes it (default: its id)."""
    out.write(f"{article.display_title}\n")
    meta = [f"id {name or article.slug}"]
    if article.author:
        meta.append(f"by {article.author}")
    if article.published:
        meta.append(article.published.isoformat())
    meta.append(f"{count(len(article.sections), 'section')}, {count(len(article.comments), 'comment')}")
    out.write(" · ".join(meta) + "\n")
    for section in article.sections:
        heading = f" · {section.heading}" if section.heading else ""
        out.write(f"\n§{section.index}/{len(article.sections)}{heading}\n{section.text}\n")
    if article.author_bio:
        out.write(f"\nAbout the author\n{article.author_bio}\n")
    for comment in article.comments:
        posted = f" · {comment.posted:%Y-%m-%d %H:%M}" if comment.posted else ""
        reply = f" (replying to #{comment.reply_to})" if comment.reply_to else ""
        out.write(f"\n#{comment.index} {comment.author}{posted}{reply}\n{comment.text}\n")


def refuse_a_previous_default(default: Path) -> None:
    """The release before the data folder kept its database in ./readalong.db: an operator who
    upgrades and starts it from the same folder would get an empty database (every posting left
    unsent, every article "not found"), so the old file is named, not silently passed over."""
    old = Path(DB_NAME)
    if old.is_file() and not (default.exists() and default.samefile(old)):
        raise ReadalongError(
            f"./{DB_NAME} is here but the database is now {default}: to keep using this one, set"
            f" READALONG_DB={old.resolve()} in .env (or --db), or move it to {default}"
        )


def refuse_the_sandboxs_database(settings: Settings) -> None:
    """The data folder is shared with the sandbox so that the CLI reads its data without flags;
    the bot on Discord must not run on it (it would resume the sandbox's postings on Discord)."""
    world = settings.db_path.parent / SANDBOX_WORLD
    if settings.db_url is None and settings.discord_url is None and world.exists():
        raise ReadalongError(
            f"{settings.db_path}: is the sandbox's database ({SANDBOX_WORLD} is beside it); give the"
            " bot on Discord its own: READALONG_DB=PATH in .env, or --db PATH"
        )


YOUNG_COLLECTION_THRESHOLD = 50_000
"""Objects allocated (net) between two of the cyclic collector's young collections while the bot
runs (Python's default: 700). Every gateway event makes a few dozen (its JSON, discord.py's
message, member and user, a task per listener, the record): at 700, a burst of messages was
collected young every twenty-odd events, and the messages still queued for the database were
promoted, which brought full collections of the whole heap (a tenth of the bot's CPU in
``benchmarks/at_scale.py``, and pauses of the event loop). Memory this holds back: at most that
many objects of cyclic garbage, a few megabytes."""


@contextlib.contextmanager
def _collector_for_a_long_run() -> Iterator[None]:
    """The collector set for a long run: what was made to start (modules, settings, the store)
    frozen out of its passes (``gc.freeze``), young collections every
    :data:`YOUNG_COLLECTION_THRESHOLD` objects; as it was again afterwards."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    refuse_the_sandboxs_database(settings)
    if args.shards is not None or args.shard_count is not None:
        # The flags, when given, decide the shards together (not one flag and one setting).
        shards = parse_shards(args.shards, args.shard_count, "--shards", "--shard-count")
        settings = dataclasses.replace(settings, shards=shards)
    token = settings.require_token()
    # discord.py (and the bot on it) only for this command: the others start in a fraction of the time.
    import discord

    from bot.discord.client import create_bot, point_discord_at

    if settings.discord_url is not None:
        point_discord_at(settings.discord_url)
    # A Discord-compatible server (the sandbox) sends every guild at once: no need to wait 2 s for more.
    ready_wait = 2.0 if settings.discord_url is None else 0.1

    async def runner() -> None:
        # SIGTERM (systemd, Docker, Kubernetes) and Ctrl-C stop the bot through its close: the
        # item being sent finishes, the recorder's queue is written, then it exits 0.
        with StopSignals() as signals:
            # The store first, holding the database's lock: a second bot, a foreign or read-only
            # file is refused in one line before anything connects to Discord.
            store = Store(settings.database)
            await store.open(exclusive=True)
            try:
                await store.hold_shards(settings.shards)
                bot = create_bot(
                    settings, store=store, sync_global=args.sync_global, guild_ready_timeout=ready_wait
                )
            except BaseException:
                await store.close()
                raise
            log.info("running %s in this process", settings.shards.describe())
            with _collector_for_a_long_run():
                async with bot:
                    if not signals.requested.is_set():
                        await signals.until_requested(bot.start(token.reveal()), bot.close)

    try:
        asyncio.run(runner())
    except discord.LoginFailure:
        raise ReadalongError(
            "Discord refused DISCORD_TOKEN: reset the token in the Developer Portal"
        ) from None
    except discord.PrivilegedIntentsRequired:
        raise ReadalongError(
            "the MESSAGE CONTENT intent is not enabled: turn it on under Bot > Privileged Gateway Intents"
        ) from None
    except discord.ConnectionClosed as error:
        if error.code == INVALID_SHARD:
            raise ReadalongError(
                f"Discord refused {settings.shards.describe()} (4010 Invalid Shard): check --shards and --shard-count"
            ) from None
        if error.code == SHARDING_REQUIRED:
            raise ReadalongError(
                "Discord requires more shards (4011 Sharding Required): raise --shard-count, "
                "or run without the shard flags to use Discord's recommended count"
            ) from None
        raise
    return 0
