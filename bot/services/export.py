"""Exporting an article's discussion: ``/archive export``, ``readalong export`` and ``readalong
export --all`` are one sequence, written once here: what the viewer may export, the questions
asked that go with it, what Discord adds (names, private threads, section links), then the file
in the format asked for. The front ends only say who asks and where the file goes.

The formats themselves are :mod:`bot.archive.export`'s, one module each."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from bot.archive.export.common import ExportContext, reader_messages
from bot.archive.export.dce import DCE_EXTRAS, to_dce
from bot.archive.export.html import html_index, to_html
from bot.archive.export.markdown import to_markdown
from bot.archive.export.media import KeptFiles, bundle_dce, zip_bundle
from bot.discordfmt.links import jump_url
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.services.archive import discussion, visible_postings
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
    media: dict[str, bytes] = field(default_factory=dict, repr=False)
    """Readers' kept attachments beside the files (JSON: DCE's ``…_Files/`` folders), path → bytes;
    HTML embeds them in its page instead."""

    def attachment(self) -> tuple[str, bytes]:
        """The export as one file to send: the file itself, or the files (and media) in a zip."""
        if len(self.files) == 1 and not self.media:
            ((name, text),) = self.files.items()
            return name, text.encode("utf-8")
        return f"{self.folder}.zip", zip_bundle(self.files, self.media, folder=self.folder)


async def exportable(store: Store, viewer: Viewer, article: str) -> tuple[Article, list[StoredMessage]]:
    """The article and the discussion of it the viewer may export: the operator (``readalong
    export``) every message archived; a member (``/archive export``) what they can see in this
    server's channels."""
    if viewer.everything:
        stored = await articles_service.article(store, article)
        return stored, await store.messages.in_article(stored.id, viewer)
    article_id, postings = await visible_postings(store, viewer, article)
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
) -> ExportContext:
    """What an export says about Discord beside the messages: the server and the names of the
    channels and threads (known on Discord only), which threads are private, and where each
    section was posted (the newest posting the viewer can see)."""
    guilds = {viewer.guild_id} if viewer.guild_id is not None else set()
    guilds |= {m.guild_id for m in messages if m.guild_id is not None and viewer.everything}
    private: set[int] = set()
    links: dict[int, str] = {}
    for guild in sorted(guilds):
        private.update(t.id for t in await store.guilds.threads(guild) if t.private)
        for posting in await store.postings.for_guild(guild, article_id):
            if not viewer.sees(posting.guild_id, posting.channel_id):
                continue
            for section, (container, message) in (await store.postings.section_links(posting.id)).items():
                if viewer.sees(posting.guild_id, container):
                    links.setdefault(section, jump_url(posting.guild_id, container, message))
    return ExportContext(guild_id, guild_name, dict(channel_names or {}), frozenset(private), links)


async def questions_asked(store: Store, viewer: Viewer, article_id: str) -> list[AskedQuestion]:
    """The ``/ask`` questions about the article, with their answers, that go in the viewer's
    export: a member's, those answered publicly in this server in a channel or thread they can
    view now; the operator's, all of them (the command line's, and those logged before the channel
    was kept, which no export made on Discord includes)."""
    return await store.asks.asked_about(article_id, viewer)


def render(
    article: Article,
    messages: list[StoredMessage],
    format: ExportFormat,
    *,
    context: ExportContext,
    exported_at: str,
    asks: Sequence[AskedQuestion] = (),
    files: KeptFiles | None = None,
) -> Export:
    """The article with the discussion and the questions asked given, in one of the export formats;
    ``files``, the readers' kept attachments, bundled in (HTML, JSON)."""
    kept = files or {}
    if format == "json":
        dce = to_dce(article, messages, context, exported_at=exported_at, asks=asks)
        dce, media = bundle_dce(dce, kept, extras=DCE_EXTRAS)
        return Export(dce, f"{article.slug}-dce", article, tuple(messages), media)
    text = (
        to_markdown(article, messages, asks)
        if format == "markdown"
        else to_html(article, messages, asks, section_links=context.section_links, files=kept)
    )
    return Export({f"{article.slug}.{SUFFIXES[format]}": text}, article.slug, article, tuple(messages))


async def export_article(
    store: Store,
    viewer: Viewer,
    article: str,
    format: ExportFormat,
    *,
    exported_at: str,
    guild_name: str = "",
    channel_names: Mapping[int, str] | None = None,
) -> Export:
    """The article ``article`` (as the viewer names it) with what of its discussion and of the
    questions asked about it the viewer may export, in ``format``. ``guild_name`` and
    ``channel_names`` are what Discord knows (the names a member sees; none on the command line).
    Rendering thousands of messages' Markdown takes a while: it runs off the event loop."""
    stored, messages = await exportable(store, viewer, article)
    asks = await questions_asked(store, viewer, stored.id)
    context = await export_context(
        store,
        viewer,
        stored.id,
        messages,
        guild_id=viewer.guild_id,
        guild_name=guild_name,
        channel_names=channel_names,
    )
    # The kept files of the messages the viewer may export (read through the same viewer).
    with_files = [m.id for m in messages if m.attachments and m.deleted_at is None]
    files = await store.files.of_messages(with_files, viewer) if format != "markdown" else {}
    return await asyncio.to_thread(
        render, stored, messages, format, context=context, exported_at=exported_at, asks=asks, files=files
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
        entries.append((name, exported.article, len(reader_messages(exported.messages))))
    return {"index.html": html_index(entries, exported_at=exported_at), **pages}
