"""Retrieval on real SQLite files: safe queries, verbatim quotes, refusing what the article does not answer."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers.extractive import answer_question
from bot.articles import Article, parse_article
from bot.articles.passages import article_passages, source_text
from bot.discordfmt.answers import answer_text
from bot.domain.viewer import Viewer
from bot.search.query import match_expression
from bot.store import Store
from tests.conftest import examples, readalong
from tests.messages import reader_message

OPERATOR = Viewer.operator()


def test_passages_are_slices_of_their_source(sample_article: Article) -> None:
    article = sample_article
    passages = article_passages(article)
    assert {p.source for p in passages} == {"body", "bio", "comment"}
    for passage in passages:
        assert (
            source_text(article, passage.source, passage.comment)[passage.start : passage.end] == passage.text
        )


@pytest.mark.parametrize(
    "text",
    [
        '"',
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "col:umn",
        "-x",
        "a*",
        "(((",
        "C++",
        "🙂🙂",
        "",
        "   ",
        "x" * 1000,
        "^start",
    ],
)
async def test_hostile_questions_never_raise(stored: tuple[Store, Article], text: str) -> None:
    store, article = stored
    answer = await answer_question(store, article, text, viewer=OPERATOR)
    assert isinstance(answer.answered, bool)


@settings(
    max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
async def test_any_text_makes_a_valid_match_or_none(stored: tuple[Store, Article], text: str) -> None:
    store, article = stored
    match = match_expression(text)
    if match is not None:
        await store.search.search([article.id], match, 5)  # FTS5 accepts it
        answer = await answer_question(store, article, text, viewer=OPERATOR)
        for quote in answer.quotes:
            assert source_text(article, quote.source, quote.comment)[quote.start : quote.end] == quote.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How many people died?", "16 people died"),
        ("How many new jobs were created in 2012?", "Over 5,000 new jobs"),
        ("How much is being spent on single-industry towns?", "Over $8 billion"),
        ("Who recommended strengthening employment laws?", "International Labour Organisation"),
    ],
)
async def test_answers_quote_the_article_verbatim(
    stored: tuple[Store, Article], question: str, expected: str
) -> None:
    store, article = stored
    answer = dataclasses.replace(
        await answer_question(store, article, question, viewer=OPERATOR),
        section_urls={4: "https://discord.com/channels/1/2/3"},
    )
    assert answer.answered
    assert expected in answer.quotes[0].text
    for quote in answer.quotes:
        assert quote.text in source_text(article, quote.source, quote.comment)
        assert f"> {quote.text.splitlines()[0]}" in answer_text(answer, article)
    assert len(answer_text(answer, article)) <= 2000


@pytest.mark.parametrize(
    "question",
    [
        "What is the capital of France?",
        "Who won the 2018 football world cup?",
        "How do I bake sourdough bread?",
        "and or not",
    ],
)
async def test_unanswerable_questions_are_refused(stored: tuple[Store, Article], question: str) -> None:
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert not answer.answered
    assert answer_text(answer, article).startswith("**Not found in the article.**")


def test_cli_answers_one_json_line_per_question(tmp_path: Path, sample_path: Path) -> None:
    db = str(tmp_path / "cli.db")
    assert readalong("--db", db, "import", str(sample_path), cwd=tmp_path).returncode == 0
    done = readalong(
        "--db",
        db,
        "ask",
        "the-lessons-of-zhanaozen",
        "--json",
        cwd=tmp_path,
        stdin="How many people died?\nWhat is the capital of France?\n",
    )
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert set(first) == {"question", "article", "answered", "answer", "quotes"}
    assert first["answered"] is True and second["answered"] is False
    assert first["quotes"][0] | {"score": 0} == {
        "text": "The result was that 16 people died and many more were injured.",
        "source": "body",
        "section": 1,
        "comment": None,
        "score": 0,
    }
    refused = readalong("--db", db, "ask", "nope", "x", cwd=tmp_path)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "nope" in refused.stderr


async def test_an_over_long_sentence_is_quoted_by_its_best_window(tmp_path: Path) -> None:
    filler = ", ".join(f"clause {n} about nothing in particular" for n in range(60))
    text = f"A long one\n\nIt began {filler}, and then the lighthouse keeper counted 412 gulls.\n"
    async with Store(tmp_path / "long.db") as store:
        article = await store.articles.add(parse_article(text, source="long.txt"))
        answer = await answer_question(
            store, article, "How many gulls did the lighthouse keeper count?", viewer=OPERATOR
        )
    assert answer.answered
    (quote, *_) = answer.quotes
    assert len(quote.text) <= 400 < len(article.body)
    assert article.body[quote.start : quote.end] == quote.text
    assert quote.text.endswith("the lighthouse keeper counted 412 gulls.")


async def test_readers_words_are_quoted_after_the_articles_and_labelled(
    stored: tuple[Store, Article],
) -> None:
    store, article = stored
    said = "I was there. My grandmother knitted forty scarves for the striking oil workers that winter."
    await store.messages.record(
        reader_message(
            9001, said, parent_id=3, article_id=article.id, section=2, author_id=77, author_name="Dana"
        )
    )
    answer = await answer_question(
        store, article, "How many scarves did the grandmother knit?", viewer=OPERATOR
    )
    assert answer.answered
    (quote,) = [q for q in answer.quotes if q.reader is not None]
    assert said[quote.start : quote.end] == quote.text and "forty scarves" in quote.text
    assert quote.to_json()["source"] == "comment" and quote.to_json()["comment"] is None
    assert "Dana, a reader in this discussion (not the article)" in answer_text(answer, article)
    assert "(https://discord.com/channels/1/2/9001)" in answer_text(answer, article)
    # The article's own words still come first when it answers.
    died = await answer_question(store, article, "How many people died in the strike?", viewer=OPERATOR)
    assert died.quotes[0].reader is None and "16 people died" in died.quotes[0].text
