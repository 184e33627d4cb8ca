"""Importing an article: ``/article import`` (an uploaded file) and ``readalong import`` (a path)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.articles.parse import decode_article_bytes, parse_article, read_article_file
from bot.domain.article import Article
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
