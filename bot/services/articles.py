"""Importing an article (``/article import`` an uploaded file or an address, ``readalong import``
a path or an address, a followed feed's new entry), deleting one (``/article delete``), and the
articles there are (``/articles``, ``/article list``, ``readalong list|show``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.articles.parse import decode_article_bytes, parse_article, read_article_file
from bot.domain.article import Article
from bot.domain.posting import ArticleListing, Posting
from bot.errors import NotFoundError, ReadalongError
from bot.services.events import ArticleEvents
from bot.services.webfetch import Fetcher
from bot.services.webimport import ArticlePage, fetch_article_page
from bot.store import Store
from bot.store.article_ids import SameContentError, check_article_id, content_hash
from bot.store.articles import Removed


@dataclass(frozen=True, slots=True)
class Imported:
    """The article as stored, and whether this import stored it (False: it was already there)."""

    article: Article
    created: bool


async def import_article(
    store: Store, article: Article, *, article_id: str | None = None, guild_id: int | None = None
) -> Imported:
    """Store a parsed article, indexed in the same transaction (:meth:`ArticleQueries.add`) rather
    than at the first question, which may come when the database can no longer be written (a
    read-only copy).

    The same content imported again (the same file, or the same text re-encoded) is not stored a
    second time under ``…-2``: the article already there is returned with ``created`` False. Only
    articles the importer can see count (this server's, the shared library; every one for the
    operator), so an identical import elsewhere neither blocks this one nor leaks. With an id
    chosen on purpose (``readalong import --id``) a copy under that new id is what was asked for;
    the same article under the same id is already there."""
    digest = content_hash(article)
    if article_id is not None:
        # An id chosen on purpose (``--id``): the same article under that id is already there;
        # another one under it is a clash (refused by ``add``); a copy under a new id is stored.
        check_article_id(article_id)
        with contextlib.suppress(NotFoundError):
            articles = store.articles
            there = await (
                articles.get(article_id) if guild_id is None else articles.in_guild(guild_id, article_id)
            )
            if content_hash(there) == digest:
                return Imported(there, created=False)
    else:
        for stale in await store.articles.unhashed():
            await store.articles.set_hash(stale, content_hash(await store.articles.get(stale)))
        existing_id = await store.articles.same_content(digest, guild_id)
        if existing_id is not None:
            return Imported(await store.articles.get(existing_id), created=False)
    try:
        stored = await store.articles.add(
            article, article_id, guild_id=guild_id, unless_same_content=article_id is None
        )
    except SameContentError as same:  # imported by another import meanwhile
        return Imported(await store.articles.get(same.article_id), created=False)
    return Imported(stored, created=True)


async def parse_upload(data: bytes, filename: str, target_chars: int) -> Article:
    """An uploaded file parsed off the event loop: a big scrape takes a while, and other members'
    commands are answered meanwhile, within Discord's 3 seconds."""
    return await asyncio.to_thread(
        lambda: parse_article(
            decode_article_bytes(data, filename), source=filename, target_chars=target_chars
        )
    )


def parse_file(path: Path, target_chars: int) -> Article:
    """An article file from disk, parsed."""
    return parse_article(read_article_file(path), source=str(path), target_chars=target_chars)


def is_url(text: str) -> bool:
    """Whether an import names a web address rather than a file."""
    return text.strip().lower().startswith(("http://", "https://"))


async def import_from_web(
    store: Store,
    fetcher: Fetcher,
    url: str,
    target_chars: int,
    *,
    progress: Callable[[str], Awaitable[None]] | None = None,
    article_id: str | None = None,
    guild_id: int | None = None,
) -> Imported:
    """Import the article at ``url`` (``/article import url:``, a feed's new entry): fetched and read
    (:func:`bot.services.webimport.fetch_article_page`), then stored by :func:`import_page`."""
    page = await fetch_article_page(fetcher, url, target_chars, progress)
    return await import_page(store, page, article_id=article_id, guild_id=guild_id)


async def import_page(
    store: Store, page: ArticlePage, *, article_id: str | None = None, guild_id: int | None = None
) -> Imported:
    """Store an article fetched by its address as a file's is (:func:`import_article`, the same
    re-import rule). A new article keeps its page's validators (``ETag``, ``Last-Modified``), so the
    first fetch for its new comments (:mod:`bot.services.comment_follow`) is a conditional one: a
    304 while the page is unchanged (none where a comment page could not be had: that fetch is
    whole, and reads it). Kept after the article is stored: a stop in between costs that fetch
    being whole, nothing else."""
    assert page.article is not None  # asked unconditionally: never a 304
    imported = await import_article(store, page.article, article_id=article_id, guild_id=guild_id)
    if imported.created and (page.etag or page.last_modified):
        await store.followed_comments.fetched_again(imported.article.id, page.etag, page.last_modified)
    return imported


async def listing(
    store: Store, guild_id: int | None = None, *, channels: Collection[int] | None = None
) -> list[ArticleListing]:
    """The articles listed in a server with where each is posted there, newest import first;
    every article, without postings, for ``None`` (the operator, who sees each named as the
    command line takes it: ``SERVER/ID`` where several servers have the id). ``channels``: only
    postings in these channels (those the member asking can see)."""
    postings = await store.postings.for_guild(guild_id) if guild_id is not None else []
    names = await store.articles.references() if guild_id is None else {}
    if channels is not None:
        postings = [p for p in postings if p.channel_id in channels]
    return [
        ArticleListing(
            id=names.get(summary.id, summary.slug),
            title=summary.title,
            sections=summary.sections,
            comments=summary.comments,
            postings=tuple(p for p in postings if p.article_id == summary.id),
        )
        for summary in await store.articles.list(guild_id)
    ]


async def article(store: Store, article_id: str, guild_id: int | None = None) -> Article:
    """One article as stored: the one with this id in this server, or for ``None`` the one the
    operator names (``ID``, or ``SERVER/ID`` where several servers have that id)."""
    if guild_id is None:
        return await store.articles.named(article_id)
    return await store.articles.in_guild(guild_id, article_id)


async def operator_name(store: Store, key: str) -> str:
    """How the command line names the article stored under ``key``: its id, or ``SERVER/ID``
    where several servers have that id."""
    return (await store.articles.references()).get(key, key)


NO_SERVER = 0
"""The server of a command used outside any server (a DM): no server has id 0, so what is listed
"in" it is the shared library alone."""


async def count(store: Store, guild_id: int | None = None) -> int:
    """How many articles there are: those listed in this server (``/about``: what other servers
    imported is theirs, and their count must not tell when they import); every one for ``None``."""
    if guild_id is None:
        return await store.articles.count()
    return len(await store.articles.list(guild_id))


@dataclass(frozen=True, slots=True)
class Deletion:
    """What deleting an article in a server will do, shown before the admin confirms."""

    article: Article
    postings: tuple[Posting, ...]
    """This server's postings of it; those still going are cancelled by the delete."""
    archive: bool
    shared: bool
    """It is the operator's shared library: the article stays, only this server's part goes."""


async def plan_deletion(store: Store, guild_id: int, article_id: str, *, archive: bool) -> Deletion:
    """Check that the article may be deleted in this server, and say what that would remove.

    Refused, in one line: an article not listed here (worded as unknown); the shared library's
    articles, which no server owns, unless there is this server's posting and archive to remove;
    an article posted here without ``archive`` (its archived discussion is bound to it: the
    sections it quotes, the links it shows)."""
    stored = await store.articles.in_guild(guild_id, article_id)
    postings = tuple(await store.postings.for_guild(guild_id, stored.id))
    shared = not await store.articles.owners(stored.id)
    if postings and not archive:
        raise ReadalongError(
            f"`{stored.slug}` has been posted in this server and its archive depends on it: delete both "
            f"with `/article delete article:{stored.slug} archive:True`, or stop the posting only with "
            f"`/article cancel article:{stored.slug}`. Nothing was deleted."
        )
    if shared and not postings:
        raise ReadalongError(
            f"`{stored.slug}` is in the shared library every server sees (imported with `readalong "
            "import`); only the bot's operator can remove it. Nothing was deleted."
        )
    return Deletion(stored, postings, archive, shared)


async def delete_article(
    store: Store,
    guild_id: int,
    article_id: str,
    *,
    archive: bool,
    settle: Callable[[Sequence[Posting]], Awaitable[None]] | None = None,
    events: ArticleEvents | None = None,
) -> Removed:
    """Delete the article in this server once the admin has confirmed: checked again (it may have
    been posted meanwhile), then its postings here (cancelled if still going: nothing more is
    sent), with ``archive`` their archived messages and questions, and its import here; the
    article itself when no other server holds it (see ``ArticleQueries.remove_from_guild``).

    ``settle`` is awaited between cancelling and removing: the publisher lets a message being
    sent finish and be recorded, so nothing of a deleted posting arrives after the reply.
    ``events`` is told once it is removed, so every cache of the article forgets it."""
    deletion = await plan_deletion(store, guild_id, article_id, archive=archive)
    for posting in deletion.postings:
        await store.postings.cancel(posting.id)
    if settle is not None and deletion.postings:
        await settle(deletion.postings)
    removed = await store.articles.remove_from_guild(deletion.article.id, guild_id, archive=archive)
    if events is not None:
        events.deleted(deletion.article.id)
    return removed
