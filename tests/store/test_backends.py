"""The same store on SQLite and PostgreSQL: articles, postings and the archive round-trip alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.articles import Article
from bot.domain.database import Database, PostgresUrl, parse_database
from bot.domain.viewer import Viewer
from bot.errors import DatabaseError, SettingsError
from bot.store import Store
from tests.conftest import both_backends
from tests.messages import reader_message


@both_backends
async def test_an_article_and_its_discussion_round_trip(database: Database, sample_article: Article) -> None:
    article = sample_article
    async with Store(database) as store:
        stored = await store.articles.add(article, guild_id=7)
        again = await store.articles.get(stored.id)
        assert (again.body, again.sections, again.comments) == (
            article.body,
            article.sections,
            article.comments,
        )
        message = reader_message(
            1 << 60,
            "The strike began in May \x00 2011",
            guild_id=7,
            channel_id=70,
            article_id=stored.id,
            section=1,
        )
        assert await store.messages.record_many([message, message]) == 1
        assert await store.messages.record_edit(message.id, "edited", "2026-11-25T20:01:00+00:00")
        seen = await store.messages.get(message.id, Viewer.member(7, 5, {70}))
        assert seen is not None and seen.content == "edited" and len(seen.history) == 1
        assert await store.messages.get(message.id, Viewer.member(8, 5, {70})) is None
        assert await store.messages.get(message.id, Viewer.member(7, 5, {71})) is None
        assert await store.schema_version() >= 1


@both_backends
async def test_a_newer_schema_is_refused(database: Database) -> None:
    async with Store(database) as store:
        known = await store.schema_version()
        async with store.transaction() as db:
            if isinstance(database, PostgresUrl):
                await db.execute("UPDATE readalong_schema SET version = ?", (known + 1,))
            else:
                await db.execute(f"PRAGMA user_version = {known + 1}")
    with pytest.raises(DatabaseError, match="newer Readalong"):
        async with Store(database):
            pass


async def test_a_postgres_schema_holding_other_tables_is_refused(postgres_url: PostgresUrl) -> None:
    import asyncpg

    connection = await asyncpg.connect(postgres_url.reveal())
    await connection.execute("CREATE TABLE invoices (id INTEGER)")
    await connection.close()
    with pytest.raises(DatabaseError, match=r"not a Readalong database \(it holds other tables: invoices\)"):
        async with Store(postgres_url):
            pass


async def test_an_unreachable_server_is_one_line_without_the_password() -> None:
    url = PostgresUrl("postgresql://ada:hunter2@127.0.0.1:1/test")
    with pytest.raises(DatabaseError) as refused:
        async with Store(url):
            pass
    assert "cannot connect to PostgreSQL at postgresql://ada:***@127.0.0.1:1/test" in str(refused.value)
    assert "hunter2" not in str(refused.value) and "hunter2" not in repr(url)


def test_database_urls_are_told_apart() -> None:
    assert parse_database("sqlite:///r.db") == Path("r.db")
    assert parse_database("sqlite:////tmp/r.db") == Path("/tmp/r.db")
    assert parse_database("./r.db") == Path("r.db")
    assert isinstance(parse_database("postgresql://u@h/db"), PostgresUrl)
    assert str(parse_database("postgres://u:pw@h:5/db?password=x")) == "postgres://u:***@h:5/db?password=***"
    with pytest.raises(SettingsError, match="unknown database scheme 'mysql'"):
        parse_database("mysql://h/db")


@both_backends
async def test_purging_deleted_words_works_on_both(database: Database) -> None:
    async with Store(database) as store:
        message = reader_message(42, "to be forgotten", guild_id=7, channel_id=70)
        await store.messages.record(message)
        assert await store.messages.mark_deleted(42, "2026-11-25T20:05:00+00:00")
        assert await store.guilds.set_purge_deleted(7, True) == 1
        gone = await store.messages.get(42, Viewer.operator())
        assert gone is not None and gone.content == "" and gone.deleted_at is not None


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://bob:ab#cd@127.0.0.1:5432/test",
        "postgresql://bob:S3cret@[::1/test",
        "postgresql://bob:a/b?c@h/db",
        "postgresql://bob:12#34@h:5/db",
    ],
)
def test_a_password_the_url_cannot_hold_is_refused_without_showing_it(url: str) -> None:
    """Unencoded / ? # in a password end the URL's authority early: refused in one line that
    never shows the password, whichever piece of it the parser took for a host or a port."""
    with pytest.raises(SettingsError) as refused:
        PostgresUrl(url)
    secret = url.split("://", 1)[1].rsplit("@", 1)[0].split(":", 1)[1]
    assert secret not in str(refused.value) and "bob:***@" in str(refused.value)


def test_another_database_on_the_same_server_keeps_the_user_password_and_settings() -> None:
    url = PostgresUrl("postgresql://u:pw@h:5/test?sslmode=disable").in_database("run_1").in_schema("s")
    assert url.reveal() == "postgresql://u:pw@h:5/run_1?sslmode=disable&search_path=s"
    assert str(url) == "postgresql://u:***@h:5/run_1?sslmode=disable&search_path=s"


def test_every_password_parameter_is_hidden_and_given_to_the_log_filter() -> None:
    url = PostgresUrl("postgresql://b%40b:p%2Fw@h/db?sslpassword=KeyS3cret&password=x1")
    assert str(url) == "postgresql://b%40b:***@h/db?sslpassword=***&password=***"
    assert set(url.secrets()) == {"p%2Fw", "p/w", "KeyS3cret", "x1"}
