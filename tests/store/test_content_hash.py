"""Re-importing the same article finds it by its content hash (migration 0010), per server."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.articles.parse import decode_article_bytes, parse_article, read_article_file
from bot.domain.article import Article
from bot.domain.database import Database
from bot.services.articles import import_article
from bot.store import Store
from bot.store.article_ids import content_hash
from tests.conftest import both_backends

GUILD, OTHER = 1, 2


def test_the_hash_is_of_what_the_article_says_not_of_its_file(sample_path: Path, sample_text: str) -> None:
    text = sample_text
    article = parse_article(text, source=sample_path.name)
    utf16 = parse_article(decode_article_bytes(text.encode("utf-16"), "copy.txt"), source="copy.txt")
    resectioned = parse_article(text, source="x.txt", target_chars=400)
    assert content_hash(article) == content_hash(utf16) == content_hash(resectioned)
    edited = dataclasses.replace(article, body=article.body.replace("Zhanaozen", "Zhanaozen.", 1))
    assert content_hash(edited) != content_hash(article)
    other_comment = dataclasses.replace(article, comments=article.comments[:1])
    assert content_hash(other_comment) != content_hash(article)


@both_backends
async def test_importing_again_finds_the_article_the_importer_can_see(
    database: Database, sample_article: Article
) -> None:
    article = sample_article
    async with Store(database) as store:
        first = await import_article(store, article, guild_id=GUILD)
        again = await import_article(store, article, guild_id=GUILD)
        assert first.created and not again.created and again.article.id == first.article.id
        # Another server cannot see the first one's import: its own is a new article, under the
        # same plain id (ids are per server; a `-2` would tell it the title exists elsewhere).
        elsewhere = await import_article(store, article, guild_id=OTHER)
        assert elsewhere.created and elsewhere.article.id != first.article.id
        assert elsewhere.article.slug == first.article.slug == "the-lessons-of-zhanaozen"
        assert [a.slug for a in await store.articles.list(OTHER)] == ["the-lessons-of-zhanaozen"]
        # The operator sees every article: the command line finds the oldest.
        operator = await import_article(store, article)
        assert not operator.created and operator.article.id == first.article.id
        assert await store.articles.count() == 2


@both_backends
async def test_articles_stored_before_the_hash_get_one_at_the_next_import(
    database: Database, sample_article: Article
) -> None:
    article = sample_article
    async with Store(database) as store:
        stored = await store.articles.add(article, "older")
        async with store.transaction() as db:
            await db.execute("UPDATE articles SET content_hash = NULL")
        assert await store.articles.unhashed() == ("older",)
        again = await import_article(store, article)
        assert not again.created and again.article.id == "older"
        assert await store.articles.unhashed() == ()
        assert stored.id == "older"


@dataclasses.dataclass(frozen=True, slots=True)
class _ArticleWithMore(Article):
    """An article with a field the store does not know of (as a field added to Article tomorrow)."""

    reading_minutes: int = 0


async def test_add_returns_the_article_whole_with_its_key(tmp_path: Path, sample_path: Path) -> None:
    """``ArticleQueries.add`` gives back the article it was given with its key set, every field
    kept: not a copy that lists the fields it knew of when it was written."""
    article = parse_article(read_article_file(sample_path), source=sample_path.name)
    richer = _ArticleWithMore(
        **{f.name: getattr(article, f.name) for f in dataclasses.fields(article)}, reading_minutes=7
    )
    async with Store(tmp_path / "readalong.db") as store:
        stored = await store.articles.add(richer, "lessons", guild_id=GUILD)
    assert stored == dataclasses.replace(richer, id="lessons")
    assert isinstance(stored, _ArticleWithMore) and stored.reading_minutes == 7
