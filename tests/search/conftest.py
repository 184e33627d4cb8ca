"""The sample article imported into a real SQLite file and indexed, for the search tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.articles import Article, parse_article, read_article_file
from bot.store import Store


@pytest.fixture
async def stored(tmp_path: Path, sample_path: Path) -> AsyncIterator[tuple[Store, Article]]:
    async with Store(tmp_path / "r.db") as store:
        article = await store.articles.add(
            parse_article(read_article_file(sample_path), source=sample_path.name)
        )
        yield store, article
