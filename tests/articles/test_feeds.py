"""Reading feeds (issue 27): RSS 2.0 and Atom, entries without dates or links, entries repeated, a
blog page naming its feed, and documents that are refused in one line (entity declarations)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.articles.feeds import FeedFormatError, discover_feed, looks_like_feed, parse_feed

BASE = "https://blog.example.org/feed/"

ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Notes</title>
  <entry><title>Older</title><id>tag:notes,2026:1</id>
    <link rel="alternate" href="/2026/01/older/"/><updated>2026-01-02T10:00:00Z</updated></entry>
  <entry><title>Newer</title><id>tag:notes,2026:2</id>
    <link rel="edit" href="/edit/2"/><link href="https://blog.example.org/2026/02/newer/"/>
    <published>2026-02-03T10:00:00+01:00</published></entry>
</feed>"""


def test_atom_entries_by_id_newest_first_with_relative_links_resolved() -> None:
    feed = parse_feed(ATOM_FEED, url=BASE)
    assert feed.title == "Notes"
    assert [(e.key, e.link, e.title) for e in feed.entries] == [
        ("tag:notes,2026:2", "https://blog.example.org/2026/02/newer/", "Newer"),
        ("tag:notes,2026:1", "https://blog.example.org/2026/01/older/", "Older"),
    ]
    assert feed.entries[0].published == dt.datetime(2026, 2, 3, 9, 0, tzinfo=dt.UTC)


def test_rss_without_dates_keeps_the_feeds_order_repeats_count_once_and_linkless_items_are_left_out() -> None:
    text = (
        "<rss version='2.0'><channel><title>Blog</title>"
        "<item><title>B</title><link>https://blog.example.org/b</link></item>"
        "<item><title>A</title><guid>https://blog.example.org/a</guid></item>"
        "<item><title>B again</title><link>https://blog.example.org/b</link></item>"
        "<item><title>No link</title><description>x</description></item>"
        "<item><title>C</title><link>/c</link><pubDate>not a date</pubDate></item>"
        "</channel></rss>"
    )
    feed = parse_feed(text, url=BASE)
    assert [e.link for e in feed.entries] == [
        "https://blog.example.org/b",
        "https://blog.example.org/a",
        "https://blog.example.org/c",
    ]
    assert all(e.published is None for e in feed.entries)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>'
            "<rss><channel><title>&b;</title></channel></rss>",
            "declares XML entities",
        ),
        ("<html><body>hello</body></html>", "neither an RSS 2.0 nor an Atom feed"),
        ("<rss><channel>", "not a readable feed"),
        ("<rss version='2.0'></rss>", "without a <channel>"),
    ],
)
def test_what_is_not_a_feed_is_refused_in_one_line(text: str, said: str) -> None:
    with pytest.raises(FeedFormatError) as error:
        parse_feed(text, url=BASE)
    assert said in str(error.value) and "\n" not in str(error.value)


def test_a_blog_page_names_its_feed() -> None:
    html = (
        '<html><head><link rel="stylesheet" href="/s.css">'
        '<link rel="alternate" type="application/atom+xml" title="Notes" href="/feed.atom">'
        '<link rel="alternate" type="application/rss+xml" href="/feed.rss"></head></html>'
    )
    assert discover_feed(html, url="https://blog.example.org/") == "https://blog.example.org/feed.atom"
    assert discover_feed("<html><head></head></html>", url="https://blog.example.org/") is None
    assert not looks_like_feed(html) and looks_like_feed(ATOM_FEED)


@given(st.text(max_size=300))
def test_any_text_is_a_feed_or_one_line_refusal(text: str) -> None:
    try:
        feed = parse_feed(text, url=BASE)
    except FeedFormatError as error:
        assert "\n" not in str(error)
    else:
        assert len({e.key for e in feed.entries}) == len(feed.entries)
