"""An article deleted and imported again under the same id is indexed afresh (issue 24, item 4:
every cache of an article forgets it when it is deleted). The store remembered which articles it
had indexed as if an article could never go; a new article taking a deleted one's id (the same
title in the same server) was taken for indexed and had no passages: ``/ask`` found nothing in it
until the bot restarted."""

from __future__ import annotations

from bot.articles import parse_article
from bot.domain.database import Database
from bot.search.query import match_expression
from bot.services import articles as articles_service
from bot.services.articles import import_article
from bot.services.events import ArticleEvents
from bot.store import Store
from tests.conftest import both_backends

GUILD = 101


def memo(words: str) -> str:
    return f"# Layoffs Plan Q3\n\nBy Someone\n\n{words} This paragraph is long enough to be one.\n"


@both_backends
async def test_an_article_imported_again_under_a_deleted_ones_id_is_searchable(database: Database) -> None:
    async with Store(database) as store:
        first = await import_article(store, parse_article(memo("Walruses."), source="a.md"), guild_id=GUILD)
        told: list[str] = []
        events = ArticleEvents()
        events.on_deleted(told.append)
        removed = await articles_service.delete_article(
            store, GUILD, first.article.id, archive=True, events=events
        )
        assert removed.article_deleted and told == [first.article.id]

        again = await import_article(store, parse_article(memo("Narwhals."), source="b.md"), guild_id=GUILD)
        assert again.created and again.article.id == first.article.id
        match = match_expression("narwhals")
        assert match is not None
        hits = await store.search.search([again.article.id], match, 5)
        assert [h.passage.text for h in hits] == ["Narwhals."]
