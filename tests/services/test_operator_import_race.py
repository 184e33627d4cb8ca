"""Two imports of the same file at once (two admins uploading it, or a double click) store it
once: the second is told it is already there, not given a copy under `…-2`."""

from __future__ import annotations

import asyncio

import pytest

from bot.articles import parse_article
from bot.domain.database import Database
from bot.services.articles import import_article
from bot.store import Store
from tests.conftest import both_backends

TEXT = "# A title\n\nBy Someone\n\nThe first paragraph of the article, long enough to be one.\n"


@both_backends
@pytest.mark.parametrize("guild_id", [5, None])
async def test_operator_two_imports_of_the_same_file_at_once_store_it_once(
    database: Database, guild_id: int | None
) -> None:
    """In a server (`/article import`) and as the operator (`readalong import`)."""
    store = Store(database)
    await store.open()
    try:
        article = parse_article(TEXT, source="a.md")
        results = await asyncio.gather(*(import_article(store, article, guild_id=guild_id) for _ in range(3)))
        assert sorted(r.created for r in results) == [False, False, True]
        assert {r.article.id for r in results} == {"a-title"}
        assert [a.id for a in await store.articles.list()] == ["a-title"]
    finally:
        await store.close()
