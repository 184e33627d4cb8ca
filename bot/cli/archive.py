"""``readalong export``: an article's whole discussion as Markdown, HTML or DiscordChatExporter's
JSON files; ``--all``: every article as web pages with an index page."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from bot.discordfmt.links import jump_url
from bot.domain.passage import ArchiveHit
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import archive as archive_service
from bot.services import export as export_service
from bot.services.stores import open_existing_store
from bot.settings import Settings

FORMATS = tuple(export_service.FORMAT_NAMES)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readalong export`` and ``readalong archive search`` to the command line."""
    export = commands.add_parser(
        "export",
        help="an article's discussion as Markdown, HTML or JSON (DiscordChatExporter's files); "
        "--all: every article as web pages",
    )
    export.add_argument("article_id", metavar="ID", nargs="?", help="the article (leave out with --all)")
    export.add_argument(
        "--all",
        action="store_true",
        help="every article as HTML, one page each and index.html, into the folder given with -o",
    )
    export.add_argument(
        "--format",
        choices=FORMATS,
        type=str.lower,
        default=None,
        help="markdown (or md), html or json; default: markdown (html with --all)",
    )
    export.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write to this file instead of standard output; for json and --all a folder "
        "(json: or a FILE.zip)",
    )
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
            names = await store.articles.references()
        finally:
            await store.close()
        return [_hit_line(hit, names) for hit in hits]

    lines = asyncio.run(find())
    if not lines:
        print(f"nothing found for {args.query!r}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def _hit_line(hit: ArchiveHit, names: dict[str, str]) -> str:
    """``WHEN AUTHOR [ARTICLE PLACE] LINK`` and the words: PLACE is ``§N``, ``Comments`` or
    ``discussion``; an original comment says so, with its number, and a link once posted.
    ``names``: each article's key → its name on the command line (``ID`` or ``SERVER/ID``)."""
    article = names.get(hit.article_id, hit.article_id) if hit.article_id is not None else None
    place = f"{hit.place}, original comment {hit.comment}" if hit.comment is not None else hit.place
    link = (
        f" {jump_url(hit.guild_id, hit.channel_id, hit.message_id)}"
        if hit.channel_id is not None and hit.message_id is not None
        else ""
    )
    return (
        f"{hit.created_at or '-'} {hit.author_name} [{article} {place}]{link}\n"
        f"  {' '.join(hit.content.split())}"
    )


def _cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    if args.all:
        return _export_all(args, settings)
    if args.article_id is None:
        raise ReadalongError("export: give an article ID, or --all -o FOLDER for every article")
    chosen = export_service.export_format(args.format or "markdown")
    if chosen == "json" and args.output is None:
        raise ReadalongError(
            "--format json writes one file per channel and thread: give -o FOLDER or -o FILE.zip"
        )
    zipped = chosen == "json" and args.output.suffix.lower() == ".zip"
    if args.output is not None:
        if chosen == "json" and not zipped:
            _check_folder(args.output)
        else:
            _check_writable(args.output)

    async def build() -> export_service.Export:
        store = await open_existing_store(settings)
        try:
            return await export_service.export_article(
                store, Viewer.operator(), args.article_id, chosen, exported_at=_now()
            )
        finally:
            await store.close()

    exported = asyncio.run(build())
    if chosen == "json":
        if zipped:
            _, data = exported.attachment()
            _write_whole(args.output, data)
            print(f"Wrote {args.output} ({len(exported.files)} files, {len(data):,} bytes).")
        else:
            _write_folder(args.output, {**exported.files, **exported.media})
        return 0
    (text,) = exported.files.values()
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_whole(args.output, text.encode("utf-8"))
        print(f"Wrote {args.output} ({len(text.encode()):,} bytes).")
    return 0


def _export_all(args: argparse.Namespace, settings: Settings) -> int:
    """``readalong export --all -o DIR``: every article as a web page, and an index page."""
    if args.article_id is not None:
        raise ReadalongError(f"export --all: leave out the article ID ({args.article_id!r})")
    if args.format not in (None, "html"):
        raise ReadalongError(f"export --all writes HTML pages: leave out --format {args.format}")
    if args.output is None:
        raise ReadalongError("export --all: give the folder to write the pages in with -o FOLDER")
    _check_folder(args.output)

    async def build() -> dict[str, str]:
        store = await open_existing_store(settings)
        try:
            return await export_service.export_all(store, exported_at=_now())
        finally:
            await store.close()

    pages = asyncio.run(build())
    _write_folder(args.output, pages)
    # A page of an article deleted since an earlier export is still in the folder, published if the
    # folder is: say so (the folder may hold the operator's own pages too, so nothing is removed).
    left = sorted(p.name for p in args.output.glob("*.html") if p.name not in pages)
    if left:
        print(
            f"Not in this export, left as they were: {', '.join(left)} (pages of articles deleted"
            " since an earlier export? remove them if so)."
        )
    return 0


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _check_folder(folder: Path) -> None:
    """Refuse, before any work, a folder that cannot be made or written in."""
    try:
        if folder.exists() and not folder.is_dir():
            raise ReadalongError(f"{folder}: is a file; give a folder")
        if not folder.exists() and not folder.parent.is_dir():
            raise ReadalongError(f"{folder.parent}: no such folder")
    except OSError as error:
        raise ReadalongError(f"{folder}: cannot write in it ({error.strerror})") from None
    where = folder if folder.exists() else folder.parent
    if not os.access(where, os.W_OK | os.X_OK, effective_ids=True):
        raise ReadalongError(f"{folder}: cannot write in {where} (permission denied)")


def _write_folder(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Every file written into ``folder`` (made if missing) or none: each is written whole beside
    its place first, and only when all are written are they renamed into place, so a failure part
    way (a full disk, a folder in the way) leaves the folder as it was, with no new index linking
    pages that were not written. What the folder held besides is left as it was."""
    try:
        folder.mkdir(exist_ok=True)
        in_the_way = next((name for name in files if (folder / name).is_dir()), None)
    except OSError as error:
        raise ReadalongError(f"{folder}: cannot make it ({error.strerror})") from None
    if in_the_way is not None:
        raise ReadalongError(f"{folder / in_the_way}: is a folder; the export writes a file there")
    written: list[tuple[Path, Path]] = []
    size = 0
    current = folder
    try:
        for name, text in files.items():
            data = text.encode("utf-8") if isinstance(text, str) else text
            output = current = folder / name
            output.parent.mkdir(parents=True, exist_ok=True)  # DCE's media folders
            temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
            written.append((temporary, output))
            temporary.write_bytes(data)
            size += len(data)
        for temporary, output in written:
            current = output
            temporary.replace(output)
    except OSError as error:
        for temporary, _ in written:
            temporary.unlink(missing_ok=True)
        raise ReadalongError(f"{current}: cannot write it ({error.strerror})") from None
    print(f"Wrote {len(files)} files to {folder} ({size:,} bytes).")


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


def _write_whole(output: Path, data: bytes) -> None:
    """Write to a temporary file beside ``output``, then rename it: a failure leaves ``output`` as
    it was (and no half-written file), in one line."""
    temporary = output.with_name(f".{output.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(output)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise ReadalongError(f"{output}: cannot write it ({error.strerror})") from None
