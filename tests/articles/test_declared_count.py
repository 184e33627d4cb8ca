"""A byline's comment count that no database column holds is not taken for a count."""

from __future__ import annotations

from pathlib import Path

from bot.articles import Article
from bot.articles.parse import parse_article
from bot.domain.database import Database
from bot.store import Store
from tests.conftest import both_backends


@both_backends
async def test_an_absurd_comment_count_imports_without_it(
    database: Database, sample_path: Path, sample_article: Article, sample_text: str
) -> None:
    text = sample_text.replace("· 2 comments", "· 99999999999999999999 comments", 1)
    article = parse_article(text, source=sample_path.name)
    assert article.declared_comments is None
    async with Store(database) as store:
        stored = await store.articles.add(article)
        assert (await store.articles.get(stored.id)).declared_comments is None
    normal = sample_article
    assert normal.declared_comments == 2
