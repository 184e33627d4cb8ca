"""Comments known by the blog's own ids (``comment-123``, a schema.org ``@id``): a commenter renamed
or a time shown differently is the same comment on the next fetch, two comments alike but for their
ids are two, and an id the layout does not give (the reader's own numbering) names nothing. On both
backends, against a real blog over HTTP where the blog is the point."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import lxml.html
import pytest

from bot.articles.web_comments import page_comments
from bot.domain.article import Comment
from bot.services.articles import import_from_web
from bot.services.comment_follow import comment_changes
from bot.services.webfetch import Fetcher
from bot.store import Store
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import page, serving
from tests.conftest import both_backends
from tests.e2e.test_comment_follow import POST
from tests.postings import record_posting
from tests.services.test_comment_follow import follower

pytestmark = both_backends

AT = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def comment(index: int, author: str, text: str, blog_id: str | None, posted: dt.datetime = AT) -> Comment:
    return Comment(index=index, author=author, posted=posted, text=text, blog_id=blog_id)


def test_a_renamed_commenter_or_a_time_shown_otherwise_is_the_same_comment_by_its_id() -> None:
    stored = [comment(0, "ann", "First.", "comment-1"), comment(1, "bob", "Second.", "comment-2")]
    fetched = [
        comment(0, "Ann Smith", "First.", "comment-1"),
        comment(1, "bob", "Second.", "comment-2", posted=AT + dt.timedelta(hours=1)),
    ]
    changes = comment_changes(stored, fetched)
    assert (changes.added, changes.edited, changes.deleted) == ([], [], [])
    # Its words changed too: an edit of the same comment, not a deletion and a new one.
    fetched[0] = dataclasses.replace(fetched[0], text="First, edited.")
    assert comment_changes(stored, fetched).edited == [(0, "First, edited.")]


def test_two_comments_alike_but_for_their_ids_are_two() -> None:
    stored = [comment(0, "ann", "Yes.", "comment-1")]
    fetched = [comment(0, "ann", "Yes.", "comment-1"), comment(1, "ann", "Yes.", "comment-2")]
    changes = comment_changes(stored, fetched)
    assert [(c.index, c.blog_id) for c in changes.added] == [(1, "comment-2")] and changes.deleted == []
    # Without ids, two alike are two as well: the second stored one is the second fetched one.
    plain = [dataclasses.replace(c, blog_id=None) for c in fetched]
    assert comment_changes(plain, plain) == comment_changes(plain, plain[::-1])
    assert comment_changes(plain, plain).added == []


def test_a_comment_stored_without_an_id_is_found_by_author_and_time_and_gets_its_id() -> None:
    stored = [comment(0, "ann", "First.", None), comment(1, "bob", "Second.", None)]
    fetched = [comment(0, "ann", "First.", "comment-1"), comment(1, "bob", "Second.", "comment-2")]
    changes = comment_changes(stored, fetched)
    assert (changes.added, changes.edited, changes.deleted) == ([], [], [])
    assert changes.identified == [(0, "comment-1"), (1, "comment-2")]
    # A stored id never goes to another comment with the same author and time.
    other = [comment(0, "ann", "First.", "comment-9")]
    taken = comment_changes([stored[0], dataclasses.replace(stored[1], blog_id="comment-2")], other)
    assert taken.identified == [(0, "comment-9")] and taken.deleted == [1]


CLASSIC = """<html><body><dl id="comments-block">
<dt class="comment-author"{anchor}>Ann said...</dt><dd class="comment-body"><p>Hello.</p></dd>
<dd class="comment-footer">December 1, 2026 10:00 AM</dd></dl></body></html>"""


@pytest.mark.parametrize(
    ("html", "blog_id"),
    [
        (CLASSIC.format(anchor=""), None),
        (CLASSIC.format(anchor=' id="c1234567"'), "c1234567"),
        (
            '<script type="application/ld+json">'
            + json.dumps({"@type": "Comment", "text": "Hello.", "author": {"name": "Ann"}})
            + "</script>",
            None,
        ),
        (
            '<script type="application/ld+json">'
            + json.dumps({"@type": "Comment", "@id": "#c-7", "text": "Hello.", "author": {"name": "Ann"}})
            + "</script>",
            "#c-7",
        ),
    ],
    ids=["classic Blogger", "classic Blogger with anchors", "schema.org", "schema.org with @id"],
)
def test_only_an_id_the_page_gives_is_the_comments_id(html: str, blog_id: str | None) -> None:
    [read] = page_comments(lxml.html.document_fromstring(html))
    assert read.author == "Ann" and read.key and read.blog_id == blog_id


def renamed_and_retimed(html: str, renamed: str | None, retimed: str | None) -> str:
    """The page with one comment's author named otherwise and another's time shown two hours later."""
    tree = lxml.html.document_fromstring(html)
    [name] = tree.xpath(f'//*[@id="div-{renamed}"]//*[contains(@class, "fn")]')
    name.text = "A. Renamed"
    for anchor in name:
        anchor.text = "A. Renamed"
    [time] = tree.xpath(f'//*[@id="div-{retimed}"]//time[@datetime]')
    shown = dt.datetime.fromisoformat(time.get("datetime"))
    time.set("datetime", (shown + dt.timedelta(hours=2)).isoformat())
    changed: str = lxml.html.tostring(tree, encoding="unicode")
    return changed


async def test_a_commenter_renamed_on_the_blog_is_neither_deleted_nor_posted_again(store: Store) -> None:
    """lemire.me's post: its five comments are stored with their ids. The first commenter's name
    changes on the blog (an account renamed), and so does the time shown for the second: the next
    fetch finds both by id, and nothing is deleted, edited or added."""
    html = page("lemire.me.json.html")
    async with serving() as site:
        site.html("lemire.me", POST, html)
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        article = (await import_from_web(store, fetcher, LEMIRE, 1500, guild_id=1)).article
        posting = await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
        stored = (await store.articles.get(article.id)).comments
        assert all(c.blog_id and c.blog_id.startswith("comment-") for c in stored)
        items = await store.postings.items(posting.id)

        site.html("lemire.me", POST, renamed_and_retimed(html, stored[0].blog_id, stored[1].blog_id))
        follow = follower(store, fetcher)
        assert await follow() == 0
        assert (await store.articles.get(article.id)).comments == stored
        assert await store.postings.items(posting.id) == items


async def test_comments_stored_before_ids_were_kept_get_them_at_the_next_fetch(store: Store) -> None:
    async with serving() as site:
        site.html("lemire.me", POST, page("lemire.me.json.html"))
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        article = (await import_from_web(store, fetcher, LEMIRE, 1500, guild_id=1)).article
        await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
        ids = [c.blog_id for c in (await store.articles.get(article.id)).comments]
        async with store.transaction() as db:  # as an import before ids were kept left them
            await db.execute("UPDATE comments SET blog_id = NULL WHERE article_id = ?", (article.id,))
            await db.execute("UPDATE articles SET page_etag = NULL, page_last_modified = NULL")
        follow = follower(store, fetcher)
        assert await follow() == 0
        assert [c.blog_id for c in (await store.articles.get(article.id)).comments] == ids
