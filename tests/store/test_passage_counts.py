"""PostgreSQL keeps passages' word counts as they are written (issue 26): the triggers of migration
0005 keep, per article and over all, how many passages and words there are and how many passages
hold each lexeme, so a question reads a few rows instead of counting over the table. Whatever is
imported, deleted or imported at once by two stores, the kept counts are what counting the
passages gives, and the answers' statistics are FTS5's."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.articles import Article, parse_article
from bot.domain.database import PostgresUrl
from bot.search.query import match_expression, query_terms
from bot.services import articles as articles_service
from bot.services.articles import import_article
from bot.store import Store, postgres_bm25
from bot.store.connection import Row
from bot.store.errors import StoreError

GUILD = 101
QUESTION = "How many jobs did the oil company's workers lose, and who was the one to blame?"
LONG_QUESTION = (
    "Why did striking oil workers, unemployed youths and their families in Zhanaozen blame police,"
    " company managers, regional government officials and President Nazarbayev for the December deaths?"
)

_RECOUNTED = {
    "article_passage_counts": (
        "SELECT article_id, count(*) AS passages, sum(tokens) AS tokens FROM passages GROUP BY article_id",
        "SELECT article_id, passages, tokens FROM article_passage_counts",
    ),
    "article_lexemes": (
        "SELECT p.article_id, l.lexeme, count(*) AS passages FROM passages p CROSS JOIN unnest(p.tsv) AS l"
        " GROUP BY p.article_id, l.lexeme",
        "SELECT article_id, lexeme, passages FROM article_lexemes",
    ),
    "passage_lexemes": (
        "SELECT l.lexeme, count(*) AS passages FROM passages p CROSS JOIN unnest(p.tsv) AS l GROUP BY l.lexeme",
        "SELECT lexeme, passages FROM passage_lexemes",
    ),
    "passage_counts": (
        "SELECT count(*) AS passages, COALESCE(sum(tokens), 0) AS tokens FROM passages",
        "SELECT passages, tokens FROM passage_counts",
    ),
}


async def _rows(store: Store, sql: str, parameters: tuple[object, ...] = ()) -> list[Row]:
    return list(await store.db.execute_fetchall(sql, parameters))


async def assert_counts_kept(store: Store) -> int:
    """Each kept table holds what counting the passages gives; how many passages there are."""
    for table, (counted, kept) in _RECOUNTED.items():
        expected = sorted(tuple(r) for r in await _rows(store, counted))
        actual = sorted(tuple(r) for r in await _rows(store, kept))
        assert actual == expected, table
    rows = await _rows(store, "SELECT count(*) FROM passages")
    return int(rows[0][0])


def memo(title: str, words: str) -> Article:
    return parse_article(
        f"# {title}\n\nBy Someone\n\n{words} This paragraph is long enough to be one.\n\n"
        "The oil company sacked one hundred workers; the workers said the company was to blame.\n",
        source=f"{title}.md",
    )


async def test_counts_follow_imports_and_deletions(
    migrated_postgres_url: PostgresUrl, sample_article: Article
) -> None:
    async with Store(migrated_postgres_url) as store:
        assert await assert_counts_kept(store) == 0
        sample = await store.articles.add(sample_article)
        first = await import_article(store, memo("Walruses", "Walruses lost their jobs."), guild_id=GUILD)
        second = await import_article(store, memo("Narwhals", "Narwhals kept them."), guild_id=GUILD)
        assert await assert_counts_kept(store) > 64

        removed = await articles_service.delete_article(store, GUILD, first.article.id, archive=True)
        assert removed.article_deleted
        await assert_counts_kept(store)
        lexemes = await _rows(
            store, "SELECT count(*) FROM article_lexemes WHERE article_id = ?", (first.article.id,)
        )
        assert lexemes[0][0] == 0  # an article gone leaves no row behind
        assert not await _rows(
            store, "SELECT 1 FROM passage_lexemes WHERE lexeme = 'walrus'"
        )  # nor a word only it held

        # The kept counts are what a question reads: FTS5's counts, within the article and over all.
        terms = query_terms(QUESTION)
        for scope in ([sample.id], [sample.id, second.article.id], None):
            counted = await _rows(
                store,
                "SELECT count(*) FROM passages x WHERE (CAST(?1 AS TEXT[]) IS NULL OR x.article_id = ANY(?1))",
                (scope,),
            )
            total, frequencies = await store.search.document_frequencies(scope, terms)
            assert total == counted[0][0]
            for term, frequency in zip(terms, frequencies, strict=True):
                held = await _rows(
                    store,
                    "SELECT count(*) FROM passages x WHERE (CAST(?1 AS TEXT[]) IS NULL OR x.article_id = ANY(?1))"
                    " AND x.tsv @@ plainto_tsquery('readalong_porter', ?2)",
                    (scope, term),
                )
                assert frequency == held[0][0], term
            assert 0 < max(frequencies) < total


async def test_the_same_counts_as_fts5(
    tmp_path: Path, migrated_postgres_url: PostgresUrl, sample_article: Article
) -> None:
    """Porter without stop words, as FTS5's porter: "one" is "on" (held by many passages), and
    "the" is counted, where PostgreSQL's english kept "one" and dropped "the"."""
    terms = [*query_terms(QUESTION), "the", "one", "on"]
    counts = []
    for database in (tmp_path / "r.db", migrated_postgres_url):
        async with Store(database) as store:
            article = await store.articles.add(sample_article)
            counts.append(await store.search.document_frequencies([article.id], terms))
    assert counts[0] == counts[1]
    total, frequencies = counts[1]
    held = dict(zip(terms, frequencies, strict=True))
    assert held["one"] == held["on"] > 1 and held["the"] > total // 2


async def test_two_imports_at_once_both_count(migrated_postgres_url: PostgresUrl) -> None:
    """Two stores (two processes' worth) import many articles at the same moment: the shared rows
    of counts are updated one import after the other, never lost, never deadlocked."""
    async with Store(migrated_postgres_url) as one, Store(migrated_postgres_url) as other:

        async def imports(store: Store, prefix: str) -> None:
            for n in range(6):
                await store.articles.add(
                    memo(f"{prefix} {n}", f"{prefix} words number {n}."), f"{prefix}-{n}"
                )

        await asyncio.gather(imports(one, "left"), imports(other, "right"))
        assert await assert_counts_kept(one) == 12 * 3


async def test_a_passage_is_never_changed_in_place(
    migrated_postgres_url: PostgresUrl, sample_article: Article
) -> None:
    """The counts follow inserts and deletes; an update would leave them wrong, so it is refused."""
    async with Store(migrated_postgres_url) as store:
        await store.articles.add(sample_article)
        with pytest.raises(StoreError, match="never updated"):
            async with store.transaction() as db:
                await db.execute("UPDATE passages SET text = 'changed' WHERE position = 0")
        await assert_counts_kept(store)


async def test_a_question_is_planned_once(
    migrated_postgres_url: PostgresUrl, sample_article: Article
) -> None:
    """The question's statement is planned once per connection and its plan kept (a generic plan)
    after PostgreSQL's five first plans for the values: planning it again for every question took
    three quarters of its time. The kept plan answers as the plans made for the values did."""
    async with Store(migrated_postgres_url) as store:
        article = await store.articles.add(sample_article)
        await store.articles.add(memo("Walruses", "Walruses lost their jobs."), "walruses")
        terms, match = query_terms(QUESTION), match_expression(QUESTION)
        assert match is not None
        answers = [await store.search.candidates([article.id], terms, match, 20) for _ in range(9)]
        assert all(answer == answers[0] for answer in answers)
        total, frequencies, hits = answers[0]
        assert total > 60 and max(frequencies) > 0 and hits
        assert {hit.article_id for hit in hits} == {article.id}
        # A long question is a long statement (16 KB): kept prepared all the same, its plan kept.
        terms, match = query_terms(LONG_QUESTION), match_expression(LONG_QUESTION)
        assert len(terms) > 16 and match is not None
        long = [await store.search.candidates([article.id], terms, match, 20) for _ in range(7)]
        assert all(answer == long[0] for answer in long) and long[0][2]
        # The pool hands the last connection given back to the next statement: the one that ran them.
        plans = await _rows(
            store,
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE '%df_total%'"
            " AND statement NOT LIKE '%pg_prepared_statements%'",
        )
        assert sorted((r["generic_plans"], r["custom_plans"]) for r in plans) == [(2, 5), (4, 5)]


async def test_both_ways_to_an_article_s_rows_find_the_same(
    tmp_path: Path,
    migrated_postgres_url: PostgresUrl,
    sample_article: Article,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A question finds an article's matching passages through the GIN index, or (its words held
    by many more passages of the library than the article has) by testing the article's own: the
    same passages, scored the same, as FTS5 finds them."""
    questions = [QUESTION, LONG_QUESTION, "How many people died?", "the one"]
    async with Store(tmp_path / "r.db") as lite:
        article = await lite.articles.add(sample_article)
        await lite.articles.add(memo("Walruses", "Walruses lost their jobs."), "walruses")
        expected = [await _found(lite, article.id, question) for question in questions]
    found = []
    async with Store(migrated_postgres_url) as store:
        await store.articles.add(sample_article)
        await store.articles.add(memo("Walruses", "Walruses lost their jobs."), "walruses")
        for reads_per_row in (0, 10**9):  # 0: always the article's rows; 10**9: always the index
            monkeypatch.setattr(postgres_bm25, "INDEX_READS_PER_ROW", reads_per_row)
            found.append([await _found(store, article.id, question) for question in questions])
    assert found[0] == found[1] == expected
    assert all(hits for _, _, hits in expected)


async def _found(
    store: Store, article_id: str, question: str
) -> tuple[int, list[int], list[tuple[object, ...]]]:
    """What the index gives a question: the counts, and each hit's place, text and score."""
    match = match_expression(question)
    assert match is not None
    total, frequencies, hits = await store.search.candidates([article_id], query_terms(question), match, 20)
    return (
        total,
        frequencies,
        [(h.passage.source, h.passage.position, h.passage.text, round(h.score, 6)) for h in hits],
    )
