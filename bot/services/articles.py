"""Importing an article (``/article import`` an uploaded file, ``readalong import`` a path), and
the articles there are (``/article list``, ``readalong list|show``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.articles.parse import decode_article_bytes, parse_article, read_article_file
from bot.domain.article import Article
from bot.domain.posting import ArticleListing
from bot.store import Store


async def import_article(
    store: Store, article: Article, *, article_id: str | None = None, guild_id: int | None = None
) -> Article:
    """Store a parsed article and index it now rather than at the first question, which may come
    when the database can no longer be written (a read-only copy)."""
    stored = await store.articles.add(article, article_id, guild_id=guild_id)
    await store.search.ensure_index(stored)
    return stored


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


async def listing(store: Store, guild_id: int | None = None) -> list[ArticleListing]:
    """The articles listed in a server with where each is posted there, newest import first;
    every article, without postings, for ``None`` (the operator)."""
    postings = await store.postings.for_guild(guild_id) if guild_id is not None else []
    return [
        ArticleListing(
            id=summary.id,
            title=summary.title,
            sections=summary.sections,
            comments=summary.comments,
            postings=tuple(p for p in postings if p.article_id == summary.id),
        )
        for summary in await store.articles.list(guild_id)
    ]


async def article(store: Store, article_id: str, guild_id: int | None = None) -> Article:
    """One article as stored: one listed in this server, or any for ``None`` (the operator)."""
    if guild_id is None:
        return await store.articles.get(article_id)
    return await store.articles.in_guild(guild_id, article_id)


async def count(store: Store) -> int:
    """How many articles are stored, in every server (``/about``)."""
    return await store.articles.count()
