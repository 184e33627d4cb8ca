"""An article the asker did not name is said in the answer (issue 22, finding 2), on Discord and
on a terminal alike: the answer carries it as data (:class:`Chosen`), each front end renders it."""

from __future__ import annotations

import dataclasses

from bot.articles import Article
from bot.cli.ask import plain_text
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Answer, Chosen


def not_found(article: Article, chosen: Chosen | None) -> Answer:
    return Answer("Who drove the ferry?", article.id, False, (), 1.0, chosen=chosen)


def test_the_article_chosen_is_said_with_the_others_as_choices(sample_article: Article) -> None:
    article = dataclasses.replace(sample_article, id="the-lessons-of-zhanaozen")
    chosen = Chosen(article.id, article.display_title, ("the-frozen-harbour",))
    shown = answer_text(not_found(article, chosen), article, head="**Q:** Who drove the ferry?\n")
    first, rest = shown.split("\n", 1)
    assert first == (
        "-# Answered from **The Lessons of Zhanaozen** (`the-lessons-of-zhanaozen`), the latest of 2"
        " articles posted here; also here: `the-frozen-harbour`. Name one with `article:`."
    )
    assert rest.startswith("**Not found in the article.**")
    terminal = plain_text(not_found(article, chosen), article)
    assert terminal.startswith(
        "Answered from The Lessons of Zhanaozen (the-lessons-of-zhanaozen); also posted there: the-frozen-harbour."
    )
    assert "**" not in terminal.split("\n\n", 1)[0]
    assert not_found(article, chosen).to_json()["chosen"] == {
        "others": ["the-frozen-harbour"],
        "in_place": True,
    }


def test_an_article_named_or_settled_by_the_place_is_not_announced(sample_article: Article) -> None:
    article = dataclasses.replace(sample_article, id="the-lessons-of-zhanaozen")
    assert "Answered from" not in answer_text(not_found(article, None), article)
    assert "Answered from" not in plain_text(not_found(article, None), article)
    assert "chosen" not in not_found(article, None).to_json()


def test_the_latest_of_the_server_is_said_as_such(sample_article: Article) -> None:
    article = dataclasses.replace(sample_article, id="the-lessons-of-zhanaozen")
    chosen = Chosen(article.id, article.display_title, (), in_place=False)
    assert "the latest article posted in this server (none is posted here)" in answer_text(
        not_found(article, chosen), article
    )
    assert "none is posted where it was asked" in plain_text(not_found(article, chosen), article)
