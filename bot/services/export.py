"""Exporting an article's discussion: ``/archive export``, ``readalong export`` and ``readalong
export --all`` are one sequence, written once here: what the viewer may export, the questions
asked that go with it, what Discord adds (names, private threads, section links), then the file
in the format asked for. The front ends only say who asks and where the file goes.

The formats themselves are :mod:`bot.archive.export`'s, one module each."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.archive.export.common import (
    ExportContext,
    PostedThread,
    files_summary,
    page_summary,
    reader_messages,
)
from bot.archive.export.dce import DCE_EXTRAS, to_dce
from bot.archive.export.html import html_index, to_html
from bot.archive.export.markdown import to_markdown
from bot.archive.export.media import bundle_dce, zip_bundle
from bot.discordfmt.links import jump_url
from bot.discordfmt.posting import posted_thread_name
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, article_slug
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services import places
from bot.services.archive import discussion, names_in, visible_postings
from bot.shown import Names
from bot.store import Store

ExportFormat = Literal["markdown", "html", "json"]
SUFFIXES: dict[ExportFormat, str] = {"markdown": "md", "html": "html", "json": "json"}
FORMAT_NAMES: dict[str, ExportFormat] = {
    "markdown": "markdown",
    "md": "markdown",
    "html": "html",
    "json": "json",
}
"""What a user may type for each format: ``md`` (the file ending) is Markdown too."""


def export_format(name: str) -> ExportFormat:
    """The export format a user named (any case; ``md`` for Markdown), or a one-line refusal."""
    found = FORMAT_NAMES.get(name.strip().lower())
    if found is None:
        raise ReadalongError(f"unknown export format {name!r}: use markdown (or md), html or json")
    return found


@dataclass(frozen=True, slots=True)
class Export:
    """An export's files, name → text: one for Markdown and HTML; for JSON, DiscordChatExporter's
    files (one per channel and thread) and Readalong's extras beside them."""

    files: dict[str, str]
    folder: str
    """The name a folder of these files goes by (the article id, ``-dce`` for JSON)."""
    article: Article
    messages: tuple[StoredMessage, ...]
    """The discussion exported (the bot's and the original comments' posts included)."""
    summary: str = ""
    """What the files hold, counted as they show it (``6 messages from readers, 27 original
    comments``; for JSON ``33 messages in 5 files``): the reply to ``/archive export`` and the
    index of ``readalong export --all`` say this, so no count disagrees with the export."""
    media: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Readers' kept attachments beside the files (JSON: DCE's ``…_Files/`` folders), path → bytes;
    HTML embeds them in its page instead."""

    def attachment(self) -> tuple[str, bytes]:
        """The export as one file to send: the file itself, or the files (and media) in a zip."""
        if len(self.files) == 1 and not self.media:
            ((name, text),) = self.files.items()
            return name, text.encode("utf-8")
        return f"{self.folder}.zip", zip_bundle(self.files, self.media, folder=self.folder)


async def exportable(
    store: Store, viewer: Viewer, article: str, posting_ids: Collection[int] | None = None
) -> tuple[Article, list[StoredMessage]]:
    """The article and the discussion of it the viewer may export: the operator (``readalong
    export``) every message archived; a member (``/archive export``) what they can see in this
    server's channels, of the postings ``posting_ids`` only if given (the one where the command
    was used, by default: :func:`bot.services.places.resolve`)."""
    if viewer.everything:
        stored = await articles_service.article(store, article)
        return stored, await store.messages.in_article(stored.id, viewer)
    article_id, postings = await visible_postings(store, viewer, article)
    if posting_ids is not None:
        postings = [p for p in postings if p.id in posting_ids]
        if not postings:
            raise ReadalongError(f"`{article}` has no such posting in a channel you can see.")
    return await store.articles.get(article_id), await discussion(store, viewer, postings)


async def export_context(
    store: Store,
    viewer: Viewer,
    article_id: str,
    messages: list[StoredMessage],
    *,
    guild_id: int | None = None,
    guild_name: str = "",
    channel_names: Mapping[int, str] | None = None,
    known: Names | None = None,
    posting_ids: Collection[int] | None = None,
) -> ExportContext:
    """What an export says about Discord beside the messages: the server, the names of the
    channels (known on Discord only) and of the threads and forum posts the postings opened
    (what the store knows of each: a section's, the comments', a forum's first post), which
    threads are private, where each section was posted (the newest posting the viewer can see,
    of ``posting_ids`` if given), and the names of whom and what the messages mention
    (``known``: Discord's, first)."""
    guilds = {viewer.guild_id} if viewer.guild_id is not None else set()
    guilds |= {m.guild_id for m in messages if m.guild_id is not None and viewer.everything}
    article = await store.articles.get(article_id)
    private: set[int] = set()
    links: dict[int, str] = {}
    threads: dict[int, PostedThread] = {}
    forums: set[int] = set()
    for guild in sorted(guilds):
        private.update(t.id for t in await store.guilds.threads(guild) if t.private)
        for posting in await store.postings.for_guild(guild, article_id):
            if not viewer.sees(posting.guild_id, posting.channel_id) or (
                posting_ids is not None and posting.id not in posting_ids
            ):
                continue
            forum = posting.channel_kind == "forum"
            if forum:
                forums.add(posting.channel_id)
            for item in await store.postings.items(posting.id):
                if item.thread_id is not None and item.thread_id != posting.channel_id:
                    threads[item.thread_id] = PostedThread(
                        posted_thread_name(article, item), posting.channel_id, item.kind, item.section, forum
                    )
            for section, (container, message) in (await store.postings.section_links(posting.id)).items():
                if viewer.sees(posting.guild_id, container):
                    links.setdefault(section, jump_url(posting.guild_id, container, message))
    thread_names = {thread_id: posted.name for thread_id, posted in threads.items()}
    # Discord's names first (a thread renamed there is shown as it is called now), then the store's.
    names = await names_in(
        store, viewer, messages, known=(known or Names()).over(Names(channels=thread_names))
    )
    return ExportContext(
        guild_id,
        guild_name,
        dict(channel_names or {}),
        frozenset(private),
        links,
        threads,
        frozenset(forums),
        Names(channels=dict(channel_names or {})).over(names),
    )


async def questions_asked(
    store: Store, viewer: Viewer, article_id: str, places_ids: Collection[int] | None = None
) -> list[AskedQuestion]:
    """The ``/ask`` questions about the article, with their answers, that go in the viewer's
    export: a member's, those answered publicly in this server in a channel or thread they can
    view now (of ``places_ids`` only, if given: the channels and threads of the postings
    exported); the operator's, all of them (the command line's, and those logged before the
    channel was kept, which no export made on Discord includes)."""
    asked = await store.asks.asked_about(article_id, viewer)
    if places_ids is None:
        return asked
    return [a for a in asked if a.channel_id in places_ids]


async def posting_places(store: Store, guild_id: int, posting_ids: Collection[int]) -> frozenset[int]:
    """The channels and threads of these postings: each one's channel, the threads it opened and
    those readers opened under its channel."""
    found: set[int] = set()
    chosen = [p for p in await store.postings.for_guild(guild_id) if p.id in posting_ids]
    for posting in chosen:
        found.add(posting.channel_id)
        found.update(
            c
            for item in await store.postings.items(posting.id)
            for c in (item.thread_id, item.container_id)
            if c
        )
    channels = {p.channel_id for p in chosen}
    found.update(t.id for t in await store.guilds.threads(guild_id) if t.parent_id in channels)
    return frozenset(found)


@dataclass(frozen=True, slots=True)
class Selection:
    """What a member's ``/archive export`` exports: the article (its key) and which of its
    postings (None: every one they can see)."""

    article: str
    posting_ids: frozenset[int] | None


async def selection(
    store: Store,
    viewer: Viewer,
    channel_id: int | None,
    article: str | None,
    *,
    posting_id: int | None = None,
    every_posting: bool = False,
) -> Selection:
    """The postings an export made in ``channel_id`` is of: the one named, else those of the
    place it is used in (inside a posting's channel or thread ``article:`` is not needed), else
    the article named's; every posting of the article with ``every_posting``. Where the place
    holds several articles and none is named, the member is asked, with the choices."""
    resolved = await places.resolve(store, viewer, channel_id, article, posting_id=posting_id, fallback=False)
    if not resolved.settled:
        choices = ", ".join(f"`{slug}`" for slug in (article_slug(resolved.article_id), *resolved.others))
        raise ReadalongError(f"Postings of several articles are here: name one with `article:` ({choices}).")
    if not resolved.postings:
        raise ReadalongError(f"`{article}` has no discussion in a channel you can see.")
    chosen = None if every_posting else frozenset(p.id for p in resolved.postings)
    return Selection(resolved.article_id, chosen)


def render(
    article: Article,
    messages: list[StoredMessage],
    format: ExportFormat,
    *,
    context: ExportContext,
    exported_at: str,
    asks: Sequence[AskedQuestion] = (),
) -> Export:
    """The article with the discussion and the questions asked given, in one of the export formats;
    the readers' kept attachments (``context.files``) bundled in: HTML embeds them, JSON lays
    them out as DCE's media folders."""
    if format == "json":
        files = to_dce(article, messages, context, exported_at=exported_at, asks=asks)
        summary = files_summary(len(messages), len(files) - 1)
        files, media = bundle_dce(files, context.files, extras=DCE_EXTRAS)
        return Export(files, f"{article.slug}-dce", article, tuple(messages), summary, media)
    text = (
        to_markdown(article, messages, asks, context=context)
        if format == "markdown"
        else to_html(article, messages, asks, context=context)
    )
    summary = page_summary(len(reader_messages(messages)), len(article.comments), len(asks))
    return Export(
        {f"{article.slug}.{SUFFIXES[format]}": text}, article.slug, article, tuple(messages), summary
    )


async def export_article(
    store: Store,
    viewer: Viewer,
    article: str,
    format: ExportFormat,
    *,
    exported_at: str,
    guild_name: str = "",
    channel_names: Mapping[int, str] | None = None,
    known: Names | None = None,
    posting_ids: Collection[int] | None = None,
) -> Export:
    """The article ``article`` (as the viewer names it) with what of its discussion and of the
    questions asked about it the viewer may export, in ``format``; of the postings
    ``posting_ids`` only, if given (a member's ``/archive export``: the posting where it is
    used, unless they ask for every posting). ``guild_name`` and ``channel_names`` are what
    Discord knows (the names a member sees; none on the command line), ``known`` the names of
    members, roles and channels Discord knows, for mentions. Rendering thousands of messages'
    Markdown takes a while: it runs off the event loop."""
    stored, messages = await exportable(store, viewer, article, posting_ids)
    places_ids = (
        None
        if posting_ids is None or viewer.guild_id is None
        else await posting_places(store, viewer.guild_id, posting_ids)
    )
    asks = await questions_asked(store, viewer, stored.id, places_ids)
    context = await export_context(
        store,
        viewer,
        stored.id,
        messages,
        guild_id=viewer.guild_id,
        guild_name=guild_name,
        channel_names=channel_names,
        known=known,
        posting_ids=posting_ids,
    )
    if format != "markdown":  # the kept files of the messages exported, read through the same viewer
        with_files = [m.id for m in messages if m.attachments and m.deleted_at is None]
        context = dataclasses.replace(context, files=await store.files.of_messages(with_files, viewer))
    return await asyncio.to_thread(
        render, stored, messages, format, context=context, exported_at=exported_at, asks=asks
    )


async def export_all(store: Store, *, exported_at: str) -> dict[str, str]:
    """The operator's whole archive as web pages, file name → text: one page per article (its
    id, ``.html``; ``SERVER_ID.html`` where several servers have that id) with everything
    archived about it, and ``index.html`` listing them."""
    pages: dict[str, str] = {}
    entries = []
    references = await store.articles.references()
    for summary in await store.articles.list():
        reference = references[summary.id]
        exported = await export_article(store, Viewer.operator(), reference, "html", exported_at=exported_at)
        name = f"{reference.replace('/', '_')}.html"
        ((_, pages[name]),) = exported.files.items()
        entries.append((name, exported.article, exported.summary))
    return {"index.html": html_index(entries, exported_at=exported_at), **pages}
