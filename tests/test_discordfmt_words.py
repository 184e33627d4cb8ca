"""Counting words and the intro's source line, as every reply and the posting show them."""

from __future__ import annotations

import dataclasses

from bot.articles import Article
from bot.discordfmt.posting import intro, source_link
from bot.discordfmt.words import count


def test_one_is_singular_and_every_other_number_plural() -> None:
    assert count(1, "section") == "1 section"
    assert count(0, "section") == "0 sections"
    assert count(2, "comment") == "2 comments"
    assert count(1, "reply", "replies") == "1 reply"
    assert count(3, "reply", "replies") == "3 replies"
    assert count(12_500, "message") == "12500 messages"


def test_the_intro_links_the_source_when_the_article_has_an_address(sample_article: Article) -> None:
    article = sample_article
    assert source_link(article) == "the-lessons-of-zhanaozen.txt"  # a file: its name
    online = dataclasses.replace(article, source="https://registan.net/2012/12/18/the-lessons-of-zhanaozen/")
    link = "[registan.net/2012/12/18/the-lessons-of-zhanaozen](https://registan.net/2012/12/18/the-lessons-of-zhanaozen/)"
    assert source_link(online) == link
    shown = intro(online, pace_minutes=0, with_comments=True).embed
    assert shown is not None and ("Source", link) in shown.fields
    assert shown.description.endswith(
        "**About the author:** Erlan Idrissov is the Foreign Minister of the Republic of Kazakhstan. "
        "He has previously served as Kazakhstan's Ambassador to both the United Kingdom and the United States."
    )
    not_a_link = dataclasses.replace(article, source="javascript:alert(1)")
    assert source_link(not_a_link) == "javascript:alert(1)"
