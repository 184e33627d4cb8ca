"""The store's side of issue 15 on a real database: original comments found by archive search
where their article is listed (and nowhere else), comments of databases made before migration
0011 found too, and the question log read back for exports by who may see each question (on SQLite and
PostgreSQL; the searches stay on SQLite until PostgreSQL's full-text search lands)."""

from __future__ import annotations

from pathlib import Path

from bot.articles import Article
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.search.query import match_expression
from bot.services import archive as archive_service
from bot.store import Store, load_migrations
from tests.conftest import both_backends

GUILD, OTHER = 10, 20
GENERAL, STAFF, THREAD = 100, 200, 101
BEN, CAT = 7, 8


def match(words: str) -> str:
    expression = match_expression(words)
    assert expression is not None
    return expression


@both_backends
async def test_comments_are_found_where_their_article_is_listed(
    database: Database, sample_article: Article
) -> None:
    async with Store(database) as store:
        article = sample_article
        # Imported with /article import in GUILD: listed there only.
        added = await store.articles.add(article, guild_id=GUILD)
        here = Viewer.member(GUILD, BEN, {GENERAL})
        elsewhere = Viewer.member(OTHER, BEN, {GENERAL})
        found = await store.search.search_comments(match("bleeding obvious"), viewer=here)
        assert sorted((h.author_name, h.comment, h.place) for h in found) == [
            ("Kuda", 1, "Comments"),
            ("Nathan Hamm", 2, "Comments"),
        ]
        assert found[0].score >= found[1].score
        comments = {c.index: c for c in added.comments}
        for hit in found:
            assert hit.comment is not None
            assert (
                hit.content == comments[hit.comment].text and hit.author_name == comments[hit.comment].author
            )
            assert hit.message_id is None  # not posted anywhere yet: no link
        assert await store.search.search_comments(match("bleeding obvious"), viewer=elsewhere) == []
        operator = await store.search.search_comments(match("bleeding obvious"), viewer=Viewer.operator())
        assert len(operator) == 2
        # Through the service: merged with readers' messages; a search by member leaves them out.
        merged = await archive_service.search(
            store, "bleeding obvious", viewer=here, article_id=added.id, limit=10
        )
        assert {h.author_name for h in merged} == {"Kuda", "Nathan Hamm"}
        by_member = await archive_service.search(
            store, "bleeding obvious", viewer=here, article_id=None, limit=10, author_id=BEN
        )
        assert by_member == []


async def test_comments_imported_before_migration_0011_are_searchable(
    tmp_path: Path, sample_article: Article
) -> None:
    db = tmp_path / "old.db"
    before = load_migrations()[:10]
    article = sample_article
    async with Store(db, before) as store, store.transaction() as connection:  # as that version wrote it
        await connection.execute(
            "INSERT INTO articles (id, source, format, body, imported_at) VALUES ('zh', 'zh.txt', 'blog', ?, ?)",
            (article.body, "2026-01-01T00:00:00+00:00"),
        )
        await connection.executemany(
            "INSERT INTO comments (article_id, idx, author, text) VALUES ('zh', ?, ?, ?)",
            [(c.index, c.author, c.text) for c in article.comments],
        )
    async with Store(db) as store:
        assert await store.schema_version() == len(load_migrations())
        found = await store.search.search_comments(match("embarassed"), viewer=Viewer.operator())
        assert {h.author_name for h in found} == {"Kuda", "Nathan Hamm"}
        # Deleting the article takes its comments out of the index in the same transaction.
        async with store.transaction() as connection:
            await connection.execute("DELETE FROM articles")
        assert await store.search.search_comments(match("embarassed"), viewer=Viewer.operator()) == []


@both_backends
async def test_questions_are_exported_to_those_who_saw_them_asked(database: Database) -> None:
    async with Store(database) as store:

        async def log(question: str, **where: object) -> None:
            await store.asks.record(
                article_id="a", question=question, answered=True, quotes=[{"text": "Quoted."}], latency_ms=1.0,
                **where,  # type: ignore[arg-type]
            )  # fmt: skip

        await log("in general?", guild_id=GUILD, user_id=BEN, channel_id=GENERAL, public=True, user_name="Ben",
                  answer="In general.")  # fmt: skip
        await log("in a thread?", guild_id=GUILD, user_id=BEN, channel_id=THREAD, public=True, user_name="Ben",
                  answer="In a thread.")  # fmt: skip
        await log("in staff?", guild_id=GUILD, user_id=CAT, channel_id=STAFF, public=True, user_name="Cat",
                  answer="In staff.")  # fmt: skip
        await log("only to me?", guild_id=GUILD, user_id=BEN, channel_id=GENERAL, public=False, user_name="Ben",
                  answer="Private.")  # fmt: skip
        await log("other server?", guild_id=OTHER, user_id=BEN, channel_id=GENERAL, public=True, user_name="Ben",
                  answer="Elsewhere.")  # fmt: skip
        await log("old row?", guild_id=GUILD, user_id=BEN)  # logged before channels were kept
        await log("command line?")  # the operator's readalong ask

        ben = Viewer.member(GUILD, BEN, {GENERAL, THREAD})
        cat = Viewer.member(GUILD, CAT, {GENERAL, THREAD, STAFF})
        seen_by_ben = await store.asks.asked_about("a", ben)
        assert [a.question for a in seen_by_ben] == ["in general?", "in a thread?"]
        assert [(a.asker, a.answer, a.channel_id) for a in seen_by_ben] == [
            ("Ben", "In general.", GENERAL),
            ("Ben", "In a thread.", THREAD),
        ]
        assert all(a.asked_at.endswith("+00:00") for a in seen_by_ben)
        seen_by_cat = await store.asks.asked_about("a", cat)
        assert [a.question for a in seen_by_cat] == ["in general?", "in a thread?", "in staff?"]
        everything = await store.asks.asked_about("a", Viewer.operator())
        assert len(everything) == 7
        old = next(a for a in everything if a.question == "old row?")
        assert old.asker is None and old.channel_id is None and old.answer == "> Quoted."
        assert await store.asks.asked_about("b", Viewer.operator()) == []
