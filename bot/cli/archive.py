"""``readalong export``: an article's whole discussion as Markdown, HTML or JSON."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from pathlib import Path

from bot.archive.export import ExportContext
from bot.discordfmt.links import jump_url
from bot.domain.passage import ArchiveHit
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import archive as archive_service
from bot.services.stores import open_existing_store
from bot.settings import Settings

FORMATS = tuple(archive_service.FORMAT_NAMES)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export", help="an article's discussion as Markdown, HTML or JSON")
    export.add_argument("article_id", metavar="ID")
    export.add_argument(
        "--format",
        choices=FORMATS,
        type=str.lower,
        default="markdown",
        help="markdown (or md), html or json; default: markdown",
    )
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of standard output")
    export.set_defaults(handler=_cmd_export)

    archive = commands.add_parser("archive", help="the archive of readers' messages")
    archive_commands = archive.add_subparsers(dest="archive_command", required=True, metavar="ACTION")
    search = archive_commands.add_parser("search", help="full-text search of readers' messages")
    search.add_argument("query", metavar="QUERY")
    search.add_argument("--article", help="only this article's discussion")
    search.add_argument("--limit", type=int, default=25, help="at most this many results (default 25)")
    search.set_defaults(handler=_cmd_search)


def _cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    archive_service.check_query(args.query)  # refused before the database is opened
    if not 1 <= args.limit <= 1000:
        raise ReadalongError(f"--limit {args.limit}: must be between 1 and 1000")

    async def find() -> list[str]:
        store = await open_existing_store(settings)
        try:
            hits = await archive_service.search(
                store, args.query, viewer=Viewer.operator(), article_id=args.article, limit=args.limit
            )
        finally:
            await store.close()
        return [_hit_line(hit) for hit in hits]

    lines = asyncio.run(find())
    if not lines:
        print(f"nothing found for {args.query!r}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def _hit_line(hit: ArchiveHit) -> str:
    """``WHEN AUTHOR [ARTICLE PLACE] LINK`` and the words: PLACE is ``§N``, ``Comments`` or
    ``discussion``; an original comment says so, with its number, and a link once posted."""
    place = f"{hit.place}, original comment {hit.comment}" if hit.comment is not None else hit.place
    link = (
        f" {jump_url(hit.guild_id, hit.channel_id, hit.message_id)}"
        if hit.channel_id is not None and hit.message_id is not None
        else ""
    )
    return (
        f"{hit.created_at or '-'} {hit.author_name} [{hit.article_id} {place}]{link}\n"
        f"  {' '.join(hit.content.split())}"
    )


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.output is not None:
        _check_writable(args.output)

    async def build() -> str:
        store = await open_existing_store(settings)
        try:
            article, messages = await archive_service.exportable(store, Viewer.operator(), args.article_id)
            asks = await archive_service.questions_asked(store, Viewer.operator(), article.id)
        finally:
            await store.close()
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return archive_service.export(
            article,
            messages,
            archive_service.export_format(args.format),
            context=ExportContext(),
            exported_at=now,
            asks=asks,
        ).text

    text = asyncio.run(build())
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_whole(args.output, text)
        print(f"Wrote {args.output} ({len(text.encode()):,} bytes).")
    return 0


def _check_writable(output: Path) -> None:
    """Refuse, before any work, a path that cannot be written."""
    folder = output.parent
    try:
        if output.is_dir():
            raise ReadalongError(f"{output}: is a directory; give a file name")
        if not folder.exists():
            raise ReadalongError(f"{folder}: no such folder")
        if not folder.is_dir():
            raise ReadalongError(f"{folder}: is not a folder")
        exists = output.exists()
    except OSError as error:
        raise ReadalongError(f"{output}: cannot write it ({error.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK, effective_ids=True):
        raise ReadalongError(f"{output}: cannot write in {folder} (permission denied)")
    if exists and not os.access(output, os.W_OK, effective_ids=True):
        raise ReadalongError(f"{output}: cannot write it in {folder} (permission denied)")


def _write_whole(output: Path, text: str) -> None:
    """Write to a temporary file beside ``output``, then rename it: a failure leaves ``output`` as
    it was (and no half-written file), in one line."""
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ReadalongError(f"{output}: cannot write it ({error.strerror})") from None
