"""The ask service during a posting (issue 13, no spoilers), over a real database: only the
sections posted in the asker's server are quoted, a later section is named instead, the model is
offered posted passages only, and the original comments wait for the last section."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answers.llm import AnswerWriter
from bot.articles import Article
from bot.articles.passages import quoted_text
from bot.discordfmt.answers import answer_text
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.services import places
from bot.services.ask import Asked, Asker, Question
from bot.settings import Secret, Settings
from bot.store import Store
from tests.conftest import both_backends
from tests.openai_server import FakeOpenAI
from tests.postings import record_posting

pytestmark = both_backends

GUILD, CHANNEL, OTHER_CHANNEL, SECTION_THREAD = 1, 10, 11, 500
MEMBER = Viewer.member(GUILD, 7, {CHANNEL, SECTION_THREAD})
JOBS = "How many new jobs were created in 2012?"


async def ask_in_channel(
    store: Store,
    question: str,
    *,
    viewer: Viewer,
    channel_id: int,
    article: str | None,
    writer: AnswerWriter | None,
    ahead: bool = False,
) -> Asked:
    """The question put as ``/ask`` puts it, and the answer shown as Discord shows it."""
    asker = Asker(store, writer=writer)
    request = Question(question, viewer, article=article, ahead=ahead, channel_id=channel_id)
    return await asker.ask(request, answer_text)


@pytest.fixture
async def posting(database: Database, sample_article: Article) -> AsyncIterator[tuple[Store, Article, int]]:
    """The sample imported in GUILD and posted into CHANNEL at a 60-minute pace: the intro and
    §1 sent, the rest pending."""
    parsed = sample_article
    async with Store(database) as store:
        article = await store.articles.add(parsed, guild_id=GUILD)
        created = await record_posting(
            store, article, guild_id=GUILD, channel_id=CHANNEL, pace_minutes=60, with_comments=True
        )
        for item in await store.postings.items(created.id):
            if item.kind == "intro" or (item.kind == "section" and item.section == 1):
                await store.postings.record_message(created.id, item.seq, 9000 + item.seq, CHANNEL)
                await store.postings.mark_done(created.id, item.seq, SECTION_THREAD if item.section else None)
        yield store, article, created.id


async def test_a_later_section_is_named_not_quoted(posting: tuple[Store, Article, int]) -> None:
    store, _, _ = posting
    asked = await ask_in_channel(store, JOBS, viewer=MEMBER, channel_id=CHANNEL, article=None, writer=None)
    answer = asked.answer
    assert not answer.answered and answer.quotes == () and answer.unposted_section == 4
    assert asked.shown.startswith("**§4 answers this; it has not been posted here yet.**")
    assert "5,000" not in asked.shown
    ahead = (
        await ask_in_channel(
            store, JOBS, viewer=MEMBER, channel_id=CHANNEL, article=None, writer=None, ahead=True
        )
    ).answer
    assert ahead.answered and ahead.quotes[0].section == 4 and ahead.unposted_section is None
    assert "5,000 new jobs" in ahead.quotes[0].text


async def test_a_posted_answer_names_a_later_section_that_ranks_higher(
    posting: tuple[Store, Article, int],
) -> None:
    store, article, _ = posting
    asked = await ask_in_channel(
        store, "What were the riots about?", viewer=MEMBER, channel_id=CHANNEL, article=None, writer=None
    )
    answer = asked.answer
    assert answer.answered and {q.section for q in answer.quotes} == {1}
    assert "industrial dispute between oil workers" in answer.quotes[0].text
    assert f"/{GUILD}/{CHANNEL}/" in asked.shown  # §1's link
    assert asked.shown.endswith("-# §4, not posted yet, may say more on this.")
    for quote in answer.quotes:
        assert quoted_text(article, quote)[quote.start : quote.end] == quote.text


async def test_the_original_comments_wait_for_the_last_section(
    posting: tuple[Store, Article, int],
) -> None:
    store, _, posting_id = posting
    question = "Which Registan reader would not need telling the bleeding obvious?"
    during = await ask_in_channel(
        store, question, viewer=MEMBER, channel_id=CHANNEL, article=None, writer=None
    )
    assert all(q.source != "comment" for q in during.answer.quotes) and "bleeding obvious" not in during.shown
    assert await places.posted_sections(store, (await store.postings.get(posting_id),)) == frozenset({1})
    for item in await store.postings.items(posting_id):
        if item.kind == "section" and item.status != "done":
            await store.postings.record_message(posting_id, item.seq, 9000 + item.seq, CHANNEL)
            await store.postings.mark_done(posting_id, item.seq, None)
    assert (
        await places.posted_sections(store, (await store.postings.get(posting_id),)) is None
    )  # every section is out
    after = (
        await ask_in_channel(store, question, viewer=MEMBER, channel_id=CHANNEL, article=None, writer=None)
    ).answer
    assert after.answered and after.quotes[0].source == "comment"


async def test_the_model_is_offered_posted_passages_only(posting: tuple[Store, Article, int]) -> None:
    store, article, _ = posting
    async with FakeOpenAI(behaviour="honest") as model:
        writer = AnswerWriter.from_settings(
            Settings(
                db_path=Path("unused.db"),
                openai_api_key=Secret("sk-test"),
                openai_base_url=model.url,
                openai_model="m",
                openai_timeout_seconds=5,
            )
        )
        assert writer is not None
        try:
            answer = (
                await ask_in_channel(
                    store,
                    "What were the riots about?",
                    viewer=MEMBER,
                    channel_id=CHANNEL,
                    article=None,
                    writer=writer,
                )
            ).answer
        finally:
            await writer.close()
    (request,) = model.requests
    offered = [p["text"] for p in request.document["passages"]]
    first_section = article.sections[0].text
    assert offered and all(text in first_section or text in (article.author_bio or "") for text in offered)
    assert answer.written_by == "m" and all(q.section == 1 for q in answer.quotes)


async def test_an_article_not_posted_in_the_server_is_quoted_whole(
    posting: tuple[Store, Article, int],
) -> None:
    """Seen from a server where it is not posted (here: the asker cannot see the posting's
    channel), nobody is reading it along: the whole article is quoted."""
    store, article, _ = posting
    elsewhere = Viewer.member(GUILD, 8, {OTHER_CHANNEL})
    answer = (
        await ask_in_channel(
            store, JOBS, viewer=elsewhere, channel_id=OTHER_CHANNEL, article=article.id, writer=None
        )
    ).answer
    assert answer.answered and answer.quotes[0].section == 4 and answer.unposted_section is None
