"""Postings made straight in the store, as ``/article post`` records them (its whole plan, due
from now), for the tests that need one without going through Discord."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.articles import Article
from bot.domain.posting import Posting
from bot.posting.plan import plan_posting
from bot.store import Store
from bot.store.postings import utcnow


async def record_posting(
    store: Store,
    article: Article,
    *,
    guild_id: int,
    channel_id: int,
    pace_minutes: int = 0,
    with_comments: bool = False,
    created_by: int = 5,
    channel_kind: str = "text",
    article_id: str | None = None,
    start: dt.datetime | None = None,
    **extra: Any,
) -> Posting:
    """The posting of ``article`` (stored as ``article_id`` if given, else as its own id) into a
    channel: every item of its plan, the first due at ``start`` (now by default). ``extra``:
    :meth:`~bot.store.postings.PostingQueries.create`'s optional fields (``notify_channel_id``,
    ``tag_id``)."""
    return await store.postings.create(
        article_id=article_id or article.id,
        guild_id=guild_id,
        channel_id=channel_id,
        channel_kind=channel_kind,
        pace_minutes=pace_minutes,
        with_comments=with_comments,
        created_by=created_by,
        items=plan_posting(article, pace_minutes=pace_minutes, with_comments=with_comments),
        start=start or utcnow(),
        **extra,
    )
