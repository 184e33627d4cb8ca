"""The embedder forgets a deleted article's vectors (issue 24, item 4: every cache of an article
hears ``/article delete``): an article imported later under the same id is ranked by its own
passages, not the deleted one's, without a restart. The real ``openai`` client to the embeddings
server on 127.0.0.1, vectors in a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answers.embeddings import Embedder
from bot.articles import parse_article
from bot.services import articles as articles_service
from bot.services.articles import import_article
from bot.services.events import ArticleEvents
from bot.settings import Secret, Settings
from bot.store import Store
from tests.openai_server import FakeOpenAI

GUILD = 101


def memo(words: str) -> str:
    return f"# Layoffs Plan Q3\n\nBy Someone\n\n{words} This paragraph is long enough to be one.\n"


@pytest.fixture
async def embedder() -> AsyncIterator[Embedder]:
    async with FakeOpenAI() as server:
        made = Embedder.from_settings(
            Settings(
                openai_api_key=Secret("sk-test-embed-77aa"),
                openai_base_url=server.url,
                semantic=True,
                embedding_model="test-embedder",
            )
        )
        assert made is not None
        try:
            yield made
        finally:
            await made.close()


async def test_an_article_under_a_deleted_ones_id_is_ranked_by_its_own_passages(
    tmp_path: Path, embedder: Embedder
) -> None:
    events = ArticleEvents()
    events.on_deleted(embedder.forget)
    async with Store(tmp_path / "r.db") as store:
        first = (
            await import_article(store, parse_article(memo("Walruses."), source="a.md"), guild_id=GUILD)
        ).article
        before = await embedder.passage_vectors(store, first)
        assert "Walruses." in {p.text for p in before.passages}
        await articles_service.delete_article(store, GUILD, first.id, archive=True, events=events)

        again = (
            await import_article(store, parse_article(memo("Narwhals."), source="b.md"), guild_id=GUILD)
        ).article
        assert again.id == first.id
        after = await embedder.passage_vectors(store, again)
        texts = {p.text for p in after.passages}
        assert "Narwhals." in texts and "Walruses." not in texts
