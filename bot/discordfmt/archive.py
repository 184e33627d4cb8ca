"""The replies of ``/archive threads|search`` (cut into pages) and ``/archive export``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from bot.discordfmt.limits import LISTING_PAGE_LIMIT
from bot.discordfmt.links import channel_url, jump_url
from bot.discordfmt.markdown import escape_markdown, timestamp
from bot.discordfmt.transcripts import paginate
from bot.discordfmt.words import count
from bot.domain.article import Article
from bot.domain.message import ThreadListing, ThreadRow
from bot.domain.passage import ArchiveHit
from bot.markup import neutralise

_PARTICIPANTS_SHOWN = 5
_SNIPPET_CHARS = 180


def threads_pages(listing: ThreadListing, active: Collection[int], guild_id: int) -> list[str]:
    """The article's threads grouped by posting: a heading per posting (its channel, how far
    it went, ``here`` for the place the command was used in), then a block per thread: its
    label as a link to it (shown once: a mention would show Discord's name for it beside it),
    readers' messages, who took part, when last, and whether Discord has archived it
    (``active``: the ids of the threads that are not)."""
    header = f"**Threads of {escape_markdown(listing.title)}**"
    if listing.others:
        header += "\n-# Also posted here: " + ", ".join(f"`{o}`" for o in listing.others)
        header += ". Name one with `article:`."
    if listing.latest:
        header += "\n-# The latest article posted in this server (none is posted here); name another with `article:`."
    room = LISTING_PAGE_LIMIT - len(header) - 2
    chunks = []
    for group in listing.groups:
        here = " · here" if group.here else ""
        heading = f"__<#{group.place.posting.channel_id}> · {group.place.progress}{here}__"
        blocks = [_thread_block(row, active, guild_id) for row in group.rows] or ["-# no threads yet"]
        # Each page of a posting's threads carries its heading: a page never shows a thread
        # without saying which posting (and channel) it is of.
        chunks += [f"{heading}\n\n{page}" for page in paginate(blocks, limit=room - len(heading) - 2)]
    pages = paginate(chunks or ["*(no threads yet)*"], limit=room)
    return [f"{header}\n\n{page}" for page in pages]


def _thread_block(row: ThreadRow, active: Collection[int], guild_id: int) -> str:
    """One thread: its label linking to it, then what was said there."""
    state = "active" if row.thread_id in active else "archived"
    summary = row.summary
    label = f"[{_link_text(row.label)}]({channel_url(guild_id, row.thread_id)})"
    if summary is None or summary.messages == 0:
        return f"{label}\n-# no replies yet · {state}"
    people = ", ".join(summary.participants[:_PARTICIPANTS_SHOWN])
    if len(summary.participants) > _PARTICIPANTS_SHOWN:
        people += " …"
    last = summary.last_activity
    when = timestamp(dt.datetime.fromisoformat(last), "R") if last else "never"
    return (
        f"{label}\n"
        f"-# {count(summary.messages, 'message')} · {escape_markdown(people)} · last {when} · {state}"
    )


def _link_text(label: str) -> str:
    """A label as a link's text: its markup escaped, and brackets that would end the link."""
    return escape_markdown(label).replace("[", "\\[").replace("]", "\\]")


def search_pages(query: str, hits: list[ArchiveHit], guild_id: int) -> list[str]:
    """A block per result found: its author, where (a section, the comments thread, the
    discussion), a link to it when it is posted where the member can see it, and the start of its
    words. An original comment is marked as one."""
    lines = []
    for hit in hits:
        snippet = neutralise(" ".join(hit.content.split())[:_SNIPPET_CHARS])
        where = f"{hit.place} · original comment" if hit.comment is not None else hit.place
        link = (
            f" · [jump]({jump_url(guild_id, hit.channel_id, hit.message_id)})"
            if hit.channel_id is not None and hit.message_id is not None
            else ""
        )
        lines.append(f"**{neutralise(hit.author_name)}** · {where}{link}\n{snippet}")
    header = f"**{len(lines)} result{'s' if len(lines) != 1 else ''} for** `{escape_markdown(query)}`"
    return [f"{header}\n\n{page}" for page in paginate(lines, limit=LISTING_PAGE_LIMIT)]


def exported_message(article: Article, summary: str) -> str:
    """The reply to ``/archive export``: which article, and what the file holds (its
    ``summary``, counted as the file shows it)."""
    return f"**{escape_markdown(article.display_title)}**: {summary}."


def export_too_large(size: int, limit: int, article: Article, guild_id: int, format: str) -> str:
    """The refusal of an export over the upload limit Discord gives the bot, with the way round it:
    the command line names the article ``SERVER/ID``, which always names this server's (a bare id
    may be another server's too, and whether it is must not show here)."""
    output = f" -o {article.slug}-dce.zip" if format == "json" else ""
    return (
        f"The export is {size / 2**20:.1f} MiB, over the {limit / 2**20:.0f} MiB upload limit here; "
        f"use `readalong export {guild_id}/{article.slug} --format {format}{output}` on the bot's machine."
    )
