"""Near misses (issue 25): a question about something the article mentions but does not state is
refused, and its answerable twin answered, by words alone and with meaning. The sample article in
a real SQLite file; meaning from the local fake embeddings server (tests/openai_server.py), which
scores the near miss's passage above the old threshold, so that the verdict, not the embedder,
is what refuses it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.answers.embeddings import Embedder
from bot.answers.extractive import ANSWER_COVERAGE, answer_question, ranked_quotes
from bot.answers.verdict import asked_kind, kind_distance
from bot.articles import Article
from bot.articles.passages import source_text
from bot.domain.viewer import Viewer
from bot.search.ranking import Stems
from bot.settings import Secret, Settings
from bot.store import Store
from tests.openai_server import FakeOpenAI

OPERATOR = Viewer.operator()

PAIRS = [
    # (kind, near miss, its answerable twin, words of the sentence that answers the twin)
    (
        "person",
        "Who led the special public commission?",
        "Who carried out a three-month investigation into the disturbances?",
        "A special public commission carried out a three-month investigation",
    ),
    (
        "time",
        "When were the jail sentences handed out?",
        "When were over 5,000 new jobs created?",
        "in 2012 alone",
    ),
    (
        "number",
        "How much money was provided in emergency funds?",
        "How much was provided in new loans for businesses?",
        "$64 million in new loans",
    ),
    (
        "place",
        "Where were the prisoners held?",
        "Where were the problems common?",
        "common in those towns dependent on a single industry or company",
    ),
]


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as running:
        yield running


@pytest.fixture
async def embedder(server: FakeOpenAI) -> AsyncIterator[Embedder]:
    settings = Settings(
        openai_api_key=Secret("sk-test-near-miss"),
        openai_base_url=server.url,
        semantic=True,
        embedding_model="test-embedder",
        embedding_timeout_seconds=5.0,
    )
    made = Embedder.from_settings(settings)
    assert made is not None
    yield made
    await made.close()


def verbatim(
    article: Article, quote_text: str, source: str, comment: int | None, start: int, end: int
) -> bool:
    return source_text(article, source, comment)[start:end] == quote_text


@pytest.mark.parametrize(("kind", "near", "twin", "expect"), PAIRS, ids=[p[0] for p in PAIRS])
async def test_a_near_miss_is_refused_and_its_twin_answered_by_words(
    stored: tuple[Store, Article], kind: str, near: str, twin: str, expect: str
) -> None:
    store, article = stored
    assert asked_kind(near) == asked_kind(twin) == kind
    refused = await answer_question(store, article, near, viewer=OPERATOR)
    answered = await answer_question(store, article, twin, viewer=OPERATOR)
    assert not refused.answered
    assert refused.quotes  # "not found", with the closest passage
    assert answered.answered and expect in answered.quotes[0].text
    for answer in (refused, answered):
        for q in answer.quotes:
            assert verbatim(article, q.text, q.source, q.comment, q.start, q.end)
            assert near not in q.text and twin not in q.text


@pytest.mark.parametrize(("kind", "near", "twin", "expect"), PAIRS, ids=[p[0] for p in PAIRS])
async def test_meaning_never_lowers_the_bar(
    stored: tuple[Store, Article], embedder: Embedder, kind: str, near: str, twin: str, expect: str
) -> None:
    store, article = stored
    closest = (await ranked_quotes(store, [article], near, embedder=embedder))[0]
    # The embedder vouches for the near miss's closest passage: the old rule would answer it.
    assert closest.coverage >= ANSWER_COVERAGE
    refused = await answer_question(store, article, near, viewer=OPERATOR, embedder=embedder)
    answered = await answer_question(store, article, twin, viewer=OPERATOR, embedder=embedder)
    assert not refused.answered
    assert answered.answered and expect in answered.quotes[0].text
    for answer in (refused, answered):
        for q in answer.quotes:
            assert verbatim(article, q.text, q.source, q.comment, q.start, q.end)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who was the head of the oil company?", "person"),
        ("In what year did the riots start?", "time"),
        ("How much was spent?", "number"),
        ("Which region was it in?", "place"),
        ("What did the crowd shout when the police came?", None),  # the first question word decides
        ("Why did the workers strike?", None),
    ],
)
def test_the_first_question_word_says_what_is_asked(question: str, kind: str | None) -> None:
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("question", "text", "holds"),
    [
        # A length is not a time; a relative time is.
        ("When did the commission investigate?", "The commission held a three-month investigation.", False),
        ("When did the commission investigate?", "The commission investigated last year.", True),
        # An acronym starting a sentence is a name (who), not a place (where).
        ("Who visited the detainees?", "NGOs visited the detainees.", True),
        ("Where were the detainees?", "NGOs visited the detainees.", False),
        # The question's own words are never what it asks for.
        ("Who visited Zhanaozen?", "They visited Zhanaozen.", False),
        ("How many workers found jobs?", "Employers found jobs for all the 2,000 workers.", True),
    ],
)
def test_what_is_asked_must_be_in_the_quote(question: str, text: str, holds: bool) -> None:
    terms = [w.strip("?").lower() for w in question.split()[2:]]
    stems = Stems(terms, question=question)
    assert (kind_distance(stems, text) < float("inf")) is holds
