"""The ask service reads the article and searches it at once, by the article's key (issue 26: on
PostgreSQL, one trip's wait where there were two). The operator's ``ID`` is searched as the key
before the article is found; when the article turns out to be keyed otherwise (a server's, keyed
``SERVER/ID``), that search is dropped and the right article searched: the answer is always the
one :func:`answer_question` gives the article found."""

from __future__ import annotations

from bot.answers.extractive import answer_question
from bot.articles import Article, parse_article
from bot.discordfmt.answers import answer_text
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.services.articles import delete_article, import_article
from bot.services.ask import Asker, Question
from bot.store import Store
from tests.conftest import both_backends

pytestmark = both_backends

OPERATOR = Viewer.operator()
SAME_TITLE = parse_article(
    "# The Lessons of Zhanaozen\n\nBy Someone Else\n\nWalruses lost their jobs on the beach in 2012."
    " This paragraph is long enough to be one.\n\nThe narwhals kept theirs, and swam away.\n",
    source="walruses.md",
)


async def test_the_operator_s_id_is_searched_as_its_key(database: Database, sample_article: Article) -> None:
    question = "How many new jobs were created in 2012?"
    async with Store(database) as store:
        stored = await store.articles.add(sample_article)
        asked = await Asker(store).ask(Question(question, OPERATOR, article=stored.id), answer_text)
        alone = await answer_question(store, stored, question, viewer=OPERATOR)
        assert asked.article.id == stored.id
        assert asked.answer.answered and asked.answer.quotes == alone.quotes


async def test_a_server_s_article_named_by_its_id_is_searched_again(
    database: Database, sample_article: Article
) -> None:
    question = "When did the walruses lose their jobs on the beach?"
    async with Store(database) as store:
        first = await import_article(store, sample_article, guild_id=1)
        second = await import_article(store, SAME_TITLE, guild_id=2)
        assert second.article.id == f"2/{first.article.id}"  # the id was taken: keyed by its server
        assert (await delete_article(store, 1, first.article.id, archive=True)).article_deleted

        # The operator's ID now names the second server's article alone, keyed otherwise.
        asked = await Asker(store).ask(Question(question, OPERATOR, article=first.article.id), answer_text)
        alone = await answer_question(store, second.article, question, viewer=OPERATOR)
        assert asked.article.id == second.article.id
        assert asked.answer.answered and asked.answer.quotes == alone.quotes
        assert "Walruses lost their jobs" in asked.answer.quotes[0].text
