"""Indexes are built when an article is stored, never by a question (issue 24): the passages go in
with the article, and a database from before that (articles never asked about had none) gets them
when it is opened for writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.answers.extractive import answer_question
from bot.articles import parse_article, read_article_file
from bot.articles.passages import article_passages
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.store import Store
from tests.conftest import both_backends

QUESTION = "How many people died in Zhanaozen?"


async def _passages(store: Store, article_id: str) -> int:
    rows = await store.db.execute_fetchall(
        "SELECT count(*) AS n FROM passages WHERE article_id = ?", (article_id,)
    )
    return int(next(iter(rows))["n"])


@both_backends
async def test_an_article_is_indexed_in_the_transaction_that_stores_it(
    database: Database, sample_path: Path
) -> None:
    parsed = parse_article(read_article_file(sample_path), source=sample_path.name)
    async with Store(database) as store:
        article = await store.articles.add(parsed, guild_id=1)
        assert await _passages(store, article.id) == len(article_passages(article)) > 50
        assert await store.search.unindexed() == []
        answer = await answer_question(store, article, QUESTION, viewer=Viewer.operator())
        assert answer.answered and "16 people died" in answer.quotes[0].text


async def test_an_older_database_is_indexed_when_opened(tmp_path: Path, sample_path: Path) -> None:
    """A database from before indexing at import: an article never asked about has no passages.
    Opening it for writing indexes it, before any question."""
    path = tmp_path / "old.db"
    parsed = parse_article(read_article_file(sample_path), source=sample_path.name)
    async with Store(path) as store:
        article = await store.articles.add(parsed)
    with sqlite3.connect(path) as db:  # as the database was before: the article without passages
        db.execute("DELETE FROM passages")
    async with Store(path) as store:
        assert await _passages(store, article.id) == len(article_passages(article))
        assert await store.search.unindexed() == []


async def test_a_question_never_writes_the_index(tmp_path: Path, sample_path: Path) -> None:
    """The question's path only reads: an article without passages (taken away behind the
    store's back here) stays without them, where a question used to index it on the spot."""
    path = tmp_path / "r.db"
    parsed = parse_article(read_article_file(sample_path), source=sample_path.name)
    async with Store(path) as store:
        article = await store.articles.add(parsed)
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM passages")
        answer = await answer_question(store, article, QUESTION, viewer=Viewer.operator())
        assert not answer.answered and answer.quotes == ()
        assert await _passages(store, article.id) == 0
