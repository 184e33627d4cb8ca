"""The viewer in the store's queries, and readers' quotes: what is searched, what is quoted, how
it is shown (issue 11, findings 1, 3 and 11), on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from bot.answers.extractive import ANSWER_COVERAGE, answer_question, best_of
from bot.articles import Article
from bot.articles.passages import quoted_text
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Quote, Reader
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.errors import NotFoundError
from bot.markup import defang, neutralise
from bot.search.query import match_expression
from bot.store import Store
from tests.messages import reader_message

GUILD, OTHER_GUILD = 10, 20
GENERAL, STAFF, THREAD, PRIVATE, LOUNGE = 100, 200, 101, 102, 300
ASKER, READER = 7, 8


def said(mid: int, guild: int, channel: int, content: str, **extra: object) -> StoredMessage:
    fields: dict[str, object] = {
        "guild_id": guild,
        "channel_id": channel,
        "parent_id": GENERAL if channel in (THREAD, PRIVATE) else None,
        "article_id": ARTICLE_ID,
        "section": 1,
        "author_id": READER,
        "author_name": "Reader",
        "created_at": f"2026-11-20T10:{mid % 60:02d}:00+00:00",
    }
    return reader_message(mid, content, **{**fields, **extra})


ARTICLE_ID = "the-lessons-of-zhanaozen"


async def _store(stored: tuple[Store, Article]) -> Store:
    store, _ = stored
    await store.messages.record_many(
        [
            said(1, GUILD, GENERAL, "The zebra committee met in the general channel."),
            said(2, GUILD, STAFF, "The zebra committee met in the staff room."),
            said(3, GUILD, THREAD, "The zebra committee met in a public thread."),
            said(4, GUILD, PRIVATE, "The zebra committee met in a private thread.", thread_private=True),
            said(5, OTHER_GUILD, LOUNGE, "The zebra committee met in another server."),
        ]
    )
    return store


async def test_every_read_of_readers_words_is_filtered_by_the_viewer(stored: tuple[Store, Article]) -> None:
    store = await _store(stored)
    match = match_expression("zebra committee")
    assert match is not None
    member = Viewer.member(GUILD, ASKER, {GENERAL, THREAD})
    found = await store.search.search_messages(match, viewer=member)
    assert sorted(h.id for h in found) == [1, 3]
    assert [m.id for m in await store.messages.in_article(ARTICLE_ID, member)] == [1, 3]
    assert await store.messages.in_channel(STAFF, member) == []
    assert await store.messages.get(4, member) is None and await store.messages.get(5, member) is None
    assert (await store.messages.get(3, member)) is not None
    # The same channel ids in another server show nothing: the server is part of the filter.
    elsewhere = Viewer.member(OTHER_GUILD, ASKER, {GENERAL, THREAD, STAFF, PRIVATE, LOUNGE})
    assert [h.id for h in await store.search.search_messages(match, viewer=elsewhere)] == [5]
    nobody = Viewer.member(GUILD, ASKER, set())
    assert await store.search.search_messages(match, viewer=nobody) == []
    everything = await store.search.search_messages(match, viewer=Viewer.operator())
    assert sorted(h.id for h in everything) == [1, 2, 3, 4, 5]
    private = await store.messages.get(4, Viewer.operator())
    assert private is not None and private.thread_private


async def test_the_threads_table_knows_private_threads(stored: tuple[Store, Article]) -> None:
    store = await _store(stored)
    known = {t.id: t for t in await store.guilds.threads(GUILD)}
    assert known[PRIVATE].private and known[PRIVATE].parent_id == GENERAL
    assert not known[THREAD].private
    assert LOUNGE not in known and await store.guilds.threads(OTHER_GUILD) == []


async def test_answers_quote_only_what_the_asker_may_see(stored: tuple[Store, Article]) -> None:
    store = await _store(stored)
    _, article = stored
    question = "Where has the zebra committee met?"
    seen = await answer_question(store, article, question, viewer=Viewer.member(GUILD, ASKER, {GENERAL}))
    assert [q.reader.message_id for q in seen.quotes if q.reader] == [1]
    assert "staff room" not in answer_text(seen, article) and "another server" not in answer_text(
        seen, article
    )


async def test_questions_own_messages_and_messages_to_the_bot_are_not_quoted(
    stored: tuple[Store, Article],
) -> None:
    store, article = stored
    await store.messages.record_many(
        [
            said(11, GUILD, GENERAL, "Did the zebra committee meet in the barn?"),
            said(12, GUILD, GENERAL, "<@1> The zebra committee met in the barn, right", to_bot=True),
            said(13, GUILD, GENERAL, "The zebra committee met in the barn.", author_id=ASKER),
            said(14, GUILD, GENERAL, "Why ask? The zebra committee met in the barn at dawn."),
        ]
    )
    viewer = Viewer.member(GUILD, ASKER, {GENERAL})
    answer = await answer_question(store, article, "Where has the zebra committee met?", viewer=viewer)
    readers = [q for q in answer.quotes if q.reader is not None]
    assert [q.reader.message_id for q in readers if q.reader] == [14]
    assert readers[0].text == "The zebra committee met in the barn at dawn."
    assert readers[0].text in quoted_text(article, readers[0])
    # Someone else asking may be quoted the asker's statement; never the question or the mention.
    other = await answer_question(
        store, article, "Where has the zebra committee met?", viewer=Viewer.member(GUILD, 99, {GENERAL})
    )
    assert {q.reader.message_id for q in other.quotes if q.reader} <= {13, 14}


def _quote(coverage: float, score: float, reader: Reader | None = None) -> Quote:
    return Quote("text", "comment" if reader else "body", 1, None, 0, 4, score, coverage, "a", reader)


def test_a_readers_quote_never_displaces_the_articles_answer() -> None:
    reader = Reader(1, 2, 3, "Reader", "text")
    loud = _quote(1.0, 2.0, reader)
    own = _quote(ANSWER_COVERAGE, 1.0)
    assert best_of([loud, own], 1) == [own]
    assert best_of([loud, own], 3)[0] is own
    weak = _quote(ANSWER_COVERAGE - 0.1, 1.0)
    assert best_of([loud, weak], 1) == [loud]  # the article does not answer: the reader may


async def test_readers_markup_is_neutralised_in_the_rendering_only(stored: tuple[Store, Article]) -> None:
    store, article = stored
    content = "[jump](https://evil.example) The zebra committee met in the barn <@&5> @everyone"
    await store.messages.record(said(21, GUILD, GENERAL, content, author_name="**Bold** <@1>"))
    viewer = Viewer.member(GUILD, ASKER, {GENERAL})
    answer = await answer_question(store, article, "Where has the zebra committee met?", viewer=viewer)
    (quote,) = [q for q in answer.quotes if q.reader is not None]
    assert quote.text in content  # verbatim
    assert "](https://evil" not in answer_text(answer, article) and "https://evil" not in answer_text(
        answer, article
    )
    assert (
        "<@&5>" not in answer_text(answer, article)
        and "@everyone" not in answer_text(answer, article)
        and "<@1>" not in answer_text(answer, article)
    )
    assert "**Bold**" not in answer_text(answer, article) and neutralise("**Bold** <@1>") in answer_text(
        answer, article
    )
    assert neutralise("[jump](https://evil.example)") == r"\[jump\]\(https:\/\/evil.example\)"


async def test_articles_are_listed_per_server(tmp_path: Path, sample_article: Article) -> None:
    article = sample_article
    async with Store(tmp_path / "r.db") as store:
        shared = await store.articles.add(article, "shared")
        ours = await store.articles.add(article, "ours", guild_id=GUILD)
        assert {a.id for a in await store.articles.list(GUILD)} == {"shared", "ours"}
        assert {a.id for a in await store.articles.list(OTHER_GUILD)} == {"shared"}
        assert {a.id for a in await store.articles.list()} == {"shared", "ours"}
        assert (await store.articles.in_guild(OTHER_GUILD, shared.id)).id == "shared"
        assert (await store.articles.in_guild(GUILD, ours.id)).id == "ours"
        errors = []
        for article_id in ("ours", "missing"):
            try:
                await store.articles.in_guild(OTHER_GUILD, article_id)
            except NotFoundError as error:
                errors.append(str(error).replace(article_id, "X"))
        assert len(errors) == 2 and errors[0] == errors[1] and "unknown article" in errors[0]


def test_a_models_prose_keeps_emphasis_but_loses_readers_links_and_mentions() -> None:
    prose = "**Yes**: see [jump](https://evil.example), <@1>, <#2> and @everyone."
    shown = defang(prose)
    assert "**Yes**" in shown
    for leaked in ("](", "://", "<@", "<#", "@everyone"):
        assert leaked not in shown
