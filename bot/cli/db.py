"""``readalong db copy``: move a library and its archive between SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio

from bot.domain.database import Database, parse_database
from bot.errors import SettingsError
from bot.services.database import copy_database
from bot.settings import Settings
from bot.store.copy import CopyReport, describe_rows


def _database(text: str) -> Database:
    """A path, ``sqlite:///path`` or a ``postgresql://`` URL (argparse's one-line error otherwise)."""
    try:
        return parse_database(text)
    except SettingsError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``readalong db …`` to the command line."""
    db = commands.add_parser("db", help="whole-database actions: copy a library between databases")
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "copy",
        help="copy every article, posting and archived message to a new database, verified",
        description=(
            "Copy a Readalong database (articles, postings, the archive, questions, settings,"
            " embeddings) into a new SQLite file or an empty PostgreSQL schema, in one transaction,"
            " and verify it by row counts and checksums before committing. The target must hold no"
            " data; a bot may keep running on the source (a consistent snapshot is copied)."
        ),
    )
    copy.add_argument(
        "--from",
        dest="source",
        required=True,
        type=_database,
        metavar="PATH_OR_URL",
        help="the database to copy: an SQLite file (or sqlite:///path) or a postgresql:// URL;"
        " left unchanged",
    )
    copy.add_argument(
        "--to",
        dest="target",
        required=True,
        type=_database,
        metavar="PATH_OR_URL",
        help="where to copy it: a new SQLite file, or an empty PostgreSQL database or schema"
        " (postgresql://…?search_path=SCHEMA); refused if it already holds data",
    )
    copy.set_defaults(handler=_cmd_copy)


def _cmd_copy(args: argparse.Namespace, settings: Settings) -> int:
    report = asyncio.run(copy_database(args.source, args.target))
    for line in report_lines(report):
        print(line)
    return 0


def report_lines(report: CopyReport) -> list[str]:
    """What ``readalong db copy`` prints: where from and to, the rows per table, the notes (a
    snapshot of a running bot's database, values changed) and the verification, last."""
    lines = [f"Copied {report.source} to {report.target} in {report.seconds:.2f} s:"]
    lines += describe_rows(report.tables)
    width = max(len(t.name) for t in report.tables)
    lines.append(f"  {'total':<{width}}  {report.rows:>9,} rows")
    if report.source_in_use:
        lines.append(
            "note: a bot is running on the source: this is a snapshot as the copy began; what it"
            " writes from now on is not in the copy"
        )
    if report.replaced:
        named = ", ".join(str(r) for r in report.replacements)
        more = (
            f" and {report.replaced - len(report.replacements)} more"
            if report.replaced > len(report.replacements)
            else ""
        )
        lines.append(
            f"note: {report.replaced} text value(s) held NUL characters, which PostgreSQL cannot"
            f" store: copied with U+FFFD in their place ({named}{more})"
        )
    lines.append("verified: counts and checksums match")
    return lines
