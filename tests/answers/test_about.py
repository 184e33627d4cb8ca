"""Questions about the article itself (issue 13): who wrote it, when it was published and who its
author is are answered from the stored byline and bio, quoted exactly; questions about people and
things in the article still go to its text; an article without a byline or bio says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.about import about_kinds
from bot.answers.extractive import answer_question
from bot.articles import Article, parse_article
from bot.articles.passages import quoted_text
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Answer
from bot.domain.viewer import Viewer
from bot.store import Store

OPERATOR = Viewer.operator()
BIO_START = "Erlan Idrissov is the Foreign Minister of the Republic of Kazakhstan."


def assert_verbatim(article: Article, answer: Answer) -> None:
    for quote in answer.quotes:
        assert quoted_text(article, quote)[quote.start : quote.end] == quote.text
        assert f"> {quote.text.splitlines()[0]}" in answer_text(answer, article)


@pytest.mark.parametrize(
    "question",
    [
        "Who is the writer of this piece?",
        "Who wrote this?",
        "who wrote the article",
        "Who’s the author of this post?",
        "Who penned this piece?",
        "What's the byline?",
        "Who is the author?",
    ],
)
async def test_who_wrote_it_is_answered_from_the_byline(stored: tuple[Store, Article], question: str) -> None:
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert answer.answered
    byline = next(q for q in answer.quotes if q.source == "byline")
    assert byline.text == article.author == "Erlan Idrissov"
    assert "> Erlan Idrissov\n-# — the article's byline" in answer_text(answer, article)
    assert_verbatim(article, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What does the author do for a living?",
        "What is the author's job?",
        "What does the writer do?",
        "Who is Erlan Idrissov?",
        "Who is Idrissov?",
        "Is the author a politician?",
        "What is the author’s background?",
        "Tell me about the author",
    ],
)
async def test_who_the_author_is_is_answered_from_the_bio(
    stored: tuple[Store, Article], question: str
) -> None:
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert answer.answered
    bio = next(q for q in answer.quotes if q.source == "bio")
    assert bio.text.startswith(BIO_START) and article.author_bio is not None
    assert bio.text in article.author_bio
    assert "-# — the author's bio, on the article's page" in answer_text(answer, article)
    assert "policy" not in answer_text(
        answer, article
    )  # not the sentence about policy retrieval found before
    assert_verbatim(article, answer)


@pytest.mark.parametrize(
    "question",
    [
        "When was this published?",
        "When was this article written?",
        "What's the publication date?",
        "What year was this written?",
        "When did the author write this?",
        "How old is this article?",
    ],
)
async def test_when_it_was_published_is_answered_from_the_byline(
    stored: tuple[Store, Article], question: str
) -> None:
    store, article = stored
    answer = await answer_question(store, article, question, viewer=OPERATOR)
    assert answer.answered and "Published on **18 December 2012** (the article's byline)." in answer_text(
        answer, article
    )


async def test_who_and_when_together(stored: tuple[Store, Article]) -> None:
    store, article = stored
    answer = await answer_question(store, article, "Who wrote this and when?", viewer=OPERATOR)
    assert "> Erlan Idrissov" in answer_text(answer, article) and "18 December 2012" in answer_text(
        answer, article
    )


@pytest.mark.parametrize(
    "question",
    [
        "Who settled the wrangling in secret meetings?",
        "What does the author say about jobs?",
        "According to the author, what started the violence?",
        "Who wrote the report of the commission?",
        "What is the author's position on decentralisation?",
        "Who is the president?",
        "Were foreign journalists allowed at the hearings?",
        "What did President Nazabayev say last year?",
        "When were the jail sentences handed out?",
        "How many people died?",
        "In what year was it declared that no Roman numerals would be used?",
    ],
)
def test_questions_about_the_text_are_not_taken_for_questions_about_the_article(question: str) -> None:
    assert about_kinds(question, "Erlan Idrissov") == frozenset()


async def test_a_question_about_the_text_still_quotes_the_text(stored: tuple[Store, Article]) -> None:
    store, article = stored
    answer = await answer_question(
        store, article, "What did President Nazabayev say last year?", viewer=OPERATOR
    )
    assert answer.answered and answer.quotes[0].source == "body"
    assert "tragic events in Zhanaozen were a trial for our whole country" in answer.quotes[0].text


async def test_an_article_without_byline_or_bio_says_it_does_not_say(tmp_path: Path) -> None:
    text = "Notes on the steppe\n\nThe wind blows across the steppe every spring. Herders move north.\n"
    async with Store(tmp_path / "r.db") as store:
        article = await store.articles.add(parse_article(text, source="notes.txt"))
        assert article.author is None and article.author_bio is None and article.published is None
        who = await answer_question(store, article, "Who is the writer of this piece?", viewer=OPERATOR)
        when = await answer_question(store, article, "When was this published?", viewer=OPERATOR)
    assert not who.answered and who.quotes == ()
    assert answer_text(who, article) == "**The article does not say who wrote it.**"
    assert (
        not when.answered
        and answer_text(when, article) == "**The article does not say when it was published.**"
    )


async def test_a_byline_without_a_bio_gives_the_name_and_says_no_more(tmp_path: Path) -> None:
    text = "# Notes on the steppe\n\nby Aigerim Sadykova\n\nThe wind blows across the steppe every spring.\n"
    async with Store(tmp_path / "r.db") as store:
        article = await store.articles.add(parse_article(text, source="notes.md"))
        answer = await answer_question(
            store, article, "What does the author do for a living?", viewer=OPERATOR
        )
    assert answer.answered and [q.source for q in answer.quotes] == ["byline"]
    assert "> Aigerim Sadykova" in answer_text(answer, article)
    assert "-# The article does not say more about its author than their name." in answer_text(
        answer, article
    )
    assert_verbatim(article, answer)


def test_sample_bio_is_stored_from_the_scrape(sample_article: Article, sample_text: str) -> None:
    """The bio quoted above is the text the blog's page shows under "This post was written by…"."""
    article = sample_article
    assert article.author_bio is not None and article.author_bio.startswith(BIO_START)
    assert article.author_bio in sample_text
