"""Following a blog post's comments (issue 27) on both backends, below Discord: which comments are new
(known by author and time, else by author and words), and that they are stored and queued in every
posting of the article in one transaction, so the same comments added twice (two pollers, a retry)
fail whole rather than being queued twice."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.utils
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import lxml.html
import pytest

from bot.articles import Article
from bot.domain.article import Comment, CommentQuote
from bot.services.articles import import_article, import_from_web
from bot.services.comment_follow import comment_changes, follow_comments, new_comments
from bot.services.posting import PostingEvents
from bot.services.webfetch import Fetcher
from bot.store import Store
from bot.store.postings import utcnow
from tests.articles.test_web_pages import LEMIRE, NETZ, numbered_pages, split_comment_pages
from tests.articles.web_server import Site, fetch_article, page, serving
from tests.conftest import both_backends
from tests.e2e.test_comment_follow import NEW_COMMENT, POST
from tests.postings import record_posting

pytestmark = both_backends

AT = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def comment(index: int, author: str, text: str, posted: dt.datetime | None = AT) -> Comment:
    return Comment(index=index, author=author, posted=posted, text=text)


def follower(store: Store, fetcher: Fetcher) -> Callable[[], Awaitable[int]]:
    """One poll of the comment follow, as the feeds' poller runs it, now: how many changes it made."""
    return functools.partial(
        follow_comments, store, fetcher, PostingEvents(), target_chars=1500, hours=48, now=utcnow()
    )


def test_new_comments_are_known_by_author_and_time_else_by_words() -> None:
    stored = [comment(0, "ann", "First."), comment(1, "bob", "No date.", posted=None)]
    fetched = [
        comment(0, "zed", "Newest, shown first.", posted=AT + dt.timedelta(days=1)),
        comment(1, "ann", "First, edited."),  # same author and time: the same comment
        comment(2, "bob", "No date."),
        dataclasses.replace(comment(3, "cy", "Replying to zed."), quotes=(CommentQuote(0, "Newest"),)),
    ]
    fetched[2] = dataclasses.replace(fetched[2], posted=None)
    added = new_comments(stored, fetched)
    assert [(c.index, c.author) for c in added] == [(2, "zed"), (3, "cy")]
    assert added[1].quotes == (CommentQuote(2, "Newest"),)  # the quoted comment's stored number
    assert new_comments(stored, []) == [] and new_comments([], fetched[:1])[0].index == 0


async def test_added_comments_are_queued_once_in_every_posting(store: Store, sample_article: Article) -> None:
    article = await store.articles.add(
        dataclasses.replace(
            sample_article, url="https://blog.example/post/", comments=(comment(0, "ann", "First."),)
        )
    )
    one = await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
    other = await record_posting(store, article, guild_id=1, channel_id=11, with_comments=True)
    plain = await record_posting(store, article, guild_id=1, channel_id=12)  # without comments: not followed
    followed = await store.followed_comments.followed(utcnow() - dt.timedelta(hours=1))
    assert sorted(p for p, _, _ in followed) == [one.id, other.id] and plain.id not in {
        p for p, _, _ in followed
    }

    last = {p.id: len(await store.postings.items(p.id)) for p in (one, other)}
    fresh = new_comments(article.comments, [comment(0, "ann", "First."), comment(1, "zed", "Late.")])
    await store.followed_comments.add(article.id, [one.id, other.id], fresh, [2], utcnow())
    stored = await store.articles.get(article.id)
    assert [(c.index, c.author, c.text) for c in stored.comments] == [
        (0, "ann", "First."),
        (1, "zed", "Late."),
    ]
    for posting in (one, other):
        items = await store.postings.items(posting.id)
        assert [(i.kind, i.comment, i.part) for i in items[last[posting.id] :]] == [
            ("comment", 1, 1),
            ("comment", 1, 2),
        ]

    with pytest.raises(Exception):  # noqa: B017 - each backend's own integrity error
        await store.followed_comments.add(article.id, [one.id], fresh, [1], utcnow())
    assert len((await store.articles.get(article.id)).comments) == 2
    assert len(await store.postings.items(one.id)) == last[one.id] + 2


def test_changes_edit_in_place_delete_what_the_page_no_longer_shows() -> None:
    stored = [comment(0, "ann", "First."), comment(1, "bob", "Second.", posted=AT + dt.timedelta(hours=1))]
    fetched = [
        comment(0, "ann", "First, edited."),
        comment(1, "zed", "New.", posted=AT + dt.timedelta(hours=2)),
    ]
    changes = comment_changes(stored, fetched)
    assert changes.edited == [(0, "First, edited.")] and changes.deleted == [1]
    assert [(c.index, c.author) for c in changes.added] == [(2, "zed")]
    # A page showing no comments at all deletes none (a changed theme, not a purge).
    assert comment_changes(stored, []).deleted == []
    # An edit into more messages: the old one deleted, the new words a new comment.
    long = comment_changes(stored[:1], [comment(0, "ann", "word " * 2000)])
    assert long.deleted == [0] and [c.index for c in long.added] == [1] and long.edited == []


async def test_revised_comments_make_sent_messages_due_again(store: Store, sample_article: Article) -> None:
    article = await store.articles.add(
        dataclasses.replace(
            sample_article,
            url="https://blog.example/post/",
            comments=(comment(0, "ann", "First."), comment(1, "bob", "Second.", posted=None)),
        )
    )
    posting = await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
    items = await store.postings.items(posting.id)
    sent = next(i for i in items if i.kind == "comment" and i.comment == 0)
    await store.postings.mark_sending(posting.id, sent.seq)
    await store.postings.record_message(posting.id, sent.seq, 555, 77)
    await store.postings.mark_done(posting.id, sent.seq, None)

    await store.followed_comments.revise(article.id, [posting.id], [(0, "First, edited.")], [1])
    stored = await store.articles.get(article.id)
    assert [(c.index, c.text) for c in stored.comments] == [(0, "First, edited.")]
    after = {(i.kind, i.comment): i for i in await store.postings.items(posting.id)}
    assert after[("comment", 0)].status == "pending" and after[("comment", 0)].message_id == 555
    assert ("comment", 1) not in after  # never sent: dropped, nothing to delete in Discord


async def test_the_post_page_is_fetched_again_conditionally_and_a_304_changes_nothing(store: Store) -> None:
    async with serving() as site:
        site.html("lemire.me", POST, page("lemire.me.json.html"))
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        imported = await import_from_web(store, fetcher, LEMIRE, 1500, guild_id=1)
        article = imported.article
        posting = await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
        follow = follower(store, fetcher)
        # The import kept the page's ETag and Last-Modified.
        etag, modified = await store.followed_comments.validators(article.id)
        assert etag and modified and site.not_modified == []

        # Unchanged: from the first fetch again, the site answers 304 to the validators sent
        # back, and nothing is read.
        items = len(await store.postings.items(posting.id))
        hits = len(site.hits)
        assert await follow() == 0
        assert site.not_modified == [f"lemire.me{POST}"] and len(site.hits) == hits + 1
        assert await store.followed_comments.validators(article.id) == (etag, modified)
        # A new comment changes the page: fetched whole, the comment found, new validators kept.
        site.html("lemire.me", POST, page("lemire.me.json.html").replace(
            '<ol class="comment-list">', '<ol class="comment-list">' + NEW_COMMENT, 1
        ))  # fmt: skip
        assert await follow() == 1
        assert len(site.not_modified) == 1
        assert (await store.articles.get(article.id)).comments[-1].author == "Zed Newcomer"
        assert len(await store.postings.items(posting.id)) > items
        assert (await store.followed_comments.validators(article.id))[0] not in (None, etag)


async def test_the_test_site_answers_conditional_requests_as_a_server_does() -> None:
    """``If-None-Match`` decides when sent (a stale tag: the page, even with a recent date);
    ``If-Modified-Since`` alone: 304 from the last modification on."""
    async with serving() as site:
        site.html("lemire.me", POST, "<p>hello</p>")
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        first = await fetcher.get(LEMIRE)
        assert first.status == 200 and first.etag and first.last_modified
        assert (await fetcher.get(LEMIRE, etag=first.etag)).status == 304
        assert (await fetcher.get(LEMIRE, etag=f"W/{first.etag}")).status == 304
        assert (await fetcher.get(LEMIRE, last_modified=first.last_modified)).status == 304
        stale = await fetcher.get(LEMIRE, etag='"other"', last_modified=first.last_modified)
        assert stale.status == 200 and stale.text == "<p>hello</p>"
        earlier = email.utils.format_datetime(
            email.utils.parsedate_to_datetime(first.last_modified) - dt.timedelta(seconds=1), usegmt=True
        )
        assert (await fetcher.get(LEMIRE, last_modified=earlier)).status == 200


async def finish(store: Store, posting_id: int) -> None:
    """Every item of the posting sent: it is done."""
    for n, item in enumerate(await store.postings.items(posting_id)):
        await store.postings.mark_sending(posting_id, item.seq)
        await store.postings.record_message(posting_id, item.seq, 9000 + n, 77)
        await store.postings.mark_done(posting_id, item.seq, None)


async def test_a_finished_posting_another_keeps_from_reopening_is_left_and_returned(
    store: Store, sample_article: Article
) -> None:
    """One posting under way per article and channel: new or edited comments reach the posting
    under way and the others, and leave a finished posting of the same channel as it is (returned,
    so its admin is told), rather than failing the whole change. Cancelled postings are not
    followed at all."""
    article = await store.articles.add(
        dataclasses.replace(
            sample_article, url="https://blog.example/post/", comments=(comment(0, "ann", "First."),)
        )
    )
    finished = await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
    await finish(store, finished.id)
    elsewhere = await record_posting(store, article, guild_id=1, channel_id=11, with_comments=True)
    await finish(store, elsewhere.id)
    going = await record_posting(
        store, article, guild_id=1, channel_id=10, with_comments=True, pace_minutes=60
    )
    cancelled = await record_posting(store, article, guild_id=1, channel_id=12, with_comments=True)
    assert await store.postings.cancel(cancelled.id)
    followed = [p for p, _, _ in await store.followed_comments.followed(utcnow() - dt.timedelta(hours=1))]
    assert followed == [finished.id, elsewhere.id, going.id]

    before = {p: len(await store.postings.items(p)) for p in followed}
    fresh = new_comments(article.comments, [comment(0, "ann", "First."), comment(1, "zed", "Late.")])
    assert await store.followed_comments.add(article.id, followed, fresh, [1], utcnow()) == [finished.id]
    states = {p: (await store.postings.get(p)).state for p in followed}
    assert states == {finished.id: "done", elsewhere.id: "active", going.id: "active"}
    grown = {p: len(await store.postings.items(p)) - before[p] for p in followed}
    assert grown == {finished.id: 0, elsewhere.id: 1, going.id: 1}

    assert await store.followed_comments.revise(article.id, followed, [(0, "First, edited.")], []) == [
        finished.id
    ]
    first_of = {p: next(i for i in await store.postings.items(p) if i.comment == 0) for p in followed}
    assert first_of[finished.id].status == "done"  # its message keeps the words it had
    assert first_of[elsewhere.id].status == "pending"
    assert (await store.articles.get(article.id)).comments[0].text == "First, edited."


def test_a_comment_is_taken_for_deleted_only_if_every_page_was_read() -> None:
    own = comment(0, "ann", "On the post's page.")
    paged = dataclasses.replace(
        comment(1, "bob", "On page 2.", posted=AT + dt.timedelta(hours=1)), page="/p/2"
    )
    unknown = dataclasses.replace(comment(2, "cy", "Imported before pages were kept."), posted=None)
    own, later = (
        dataclasses.replace(own, page=""),
        comment(3, "dee", "Still here.", posted=AT + dt.timedelta(days=1)),
    )
    stored = [own, paged, unknown, dataclasses.replace(later, page="")]
    fetched = [later]
    # A page failed to load, or lay past the tenth: each comment not shown may be on it, whichever
    # page it was read on (comments move between pages as others are added and deleted).
    assert comment_changes(stored, fetched, complete=False).deleted == []
    # Every page read: each comment not shown is gone.
    assert comment_changes(stored, fetched, complete=True).deleted == [0, 1, 2]


@dataclasses.dataclass(frozen=True)
class PagedPost:
    """netzpolitik.org's post with its comments on two pages, imported and posted with its comments."""

    site: Site
    path: str
    older: str
    """Comment page 1's HTML, the oldest comments."""
    newest: str
    """The post's own page's HTML, the newest comments."""
    article: Article
    follow: Callable[[], Awaitable[int]]

    def serve(self, where: str, html: str, status: int = 200) -> None:
        """Serve ``html`` at the post's address plus ``where`` (``""``, ``"comment-page-1/"``)."""
        self.site.html("netzpolitik.org", self.path + where, html, status=status)


@contextlib.asynccontextmanager
async def paged_post(store: Store) -> AsyncIterator[PagedPost]:
    older, newest = split_comment_pages(page("netzpolitik.org.abmahnungen.html"), NETZ, NETZ)
    path = NETZ.removeprefix("https://netzpolitik.org")
    async with serving() as site:
        site.html("netzpolitik.org", path, newest)
        site.html("netzpolitik.org", path + "comment-page-1/", older)
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        imported = await import_article(store, await fetch_article(fetcher, NETZ, 1500), guild_id=1)
        article = await store.articles.get(imported.article.id)
        await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
        follow = follower(store, fetcher)
        yield PagedPost(site, path, older, newest, article, follow)


def comment_list(html: str) -> tuple[Any, Any]:
    """The page's parsed tree and its list of comment threads."""
    tree = lxml.html.document_fromstring(html)
    [threads] = tree.xpath('//ol[contains(@class, "comment-list")]')
    return tree, threads


def first_thread_taken(html: str) -> tuple[str, Any, int]:
    """``html`` without its first comment thread, the thread, and how many comments it holds."""
    tree, threads = comment_list(html)
    thread = next(li for li in threads if li.tag == "li")
    threads.remove(thread)
    return (
        lxml.html.tostring(tree, encoding="unicode"),
        thread,
        len(thread.xpath('.//*[contains(@class, "comment-body")]')),
    )


async def test_comments_on_a_comment_page_that_failed_to_load_are_not_taken_for_deleted(store: Store) -> None:
    async with paged_post(store) as post:
        article = post.article
        assert len(article.comments) == 74
        on_page_one = [c for c in article.comments if c.page == post.path + "comment-page-1"]
        assert on_page_one and on_page_one == list(article.comments[: len(on_page_one)])
        assert {c.page for c in article.comments[len(on_page_one) :]} == {""}

        # Page 1 fails to load: its comments are not shown, and not taken for deleted.
        post.serve("comment-page-1/", "down", status=500)
        assert await post.follow() == 0
        assert (await store.articles.get(article.id)).comments == article.comments

        # Read again, without its first thread (the post's page changed too, or it would be a
        # 304): those comments are deleted, and only those.
        older, _, in_thread = first_thread_taken(post.older)
        post.serve("comment-page-1/", older)
        post.serve("", post.newest + "<!-- changed -->")
        assert await post.follow() == in_thread
        after = await store.articles.get(article.id)
        assert [c.index for c in after.comments] == [c.index for c in article.comments[in_thread:]]


async def test_comments_moved_from_the_post_page_to_one_that_failed_are_not_taken_for_deleted(
    store: Store,
) -> None:
    """WordPress's default with paged comments: the newest at the post's address, and as a page
    fills, the oldest of them move to a numbered page. Moved there while that page fails to load,
    they are not shown anywhere, and stay; once it loads, they are found there, unchanged."""
    async with paged_post(store) as post:
        article = post.article
        # The post page's first thread moves to page 1, which fails to load.
        newest, moved, in_thread = first_thread_taken(post.newest)
        first_on_post = sum(1 for c in article.comments if c.page != "")
        assert {c.page for c in article.comments[first_on_post : first_on_post + in_thread]} == {""}
        post.serve("", newest)
        post.serve("comment-page-1/", "down", status=500)
        assert await post.follow() == 0
        assert (await store.articles.get(article.id)).comments == article.comments

        # Page 1 loads again, the moved thread last on it: found, nothing added or deleted.
        first, threads = comment_list(post.older)
        threads.append(moved)
        post.serve("comment-page-1/", lxml.html.tostring(first, encoding="unicode"))
        post.serve("", newest + "<!-- changed -->")
        assert await post.follow() == 0
        assert [c.text for c in (await store.articles.get(article.id)).comments] == [
            c.text for c in article.comments
        ]


async def test_a_comment_moved_onto_a_numbered_page_that_failed_is_not_taken_for_deleted(
    store: Store,
) -> None:
    """Three pages of threads: 6 on page 1, 6 on page 2, the rest at the post's address. The
    oldest thread is deleted on the blog, so page 2's first moves onto page 1, which then fails
    to load: not shown where it was read (page 2, read), it is kept. Once page 1 loads, the
    deleted thread's comments go, and only those."""
    whole = page("netzpolitik.org.abmahnungen.html")
    path = NETZ.removeprefix("https://netzpolitik.org")
    async with serving() as site:

        def serve(pages: Sequence[str], failing: str | None = None) -> None:
            *numbered, own = pages
            site.html("netzpolitik.org", path, own)
            for number, html in enumerate(numbered, 1):
                where = f"comment-page-{number}/"
                down = where == failing
                site.html(
                    "netzpolitik.org", path + where, "down" if down else html, status=500 if down else 200
                )

        serve(numbered_pages(whole, NETZ, (6, 12)))
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        imported = await import_article(store, await fetch_article(fetcher, NETZ, 1500), guild_id=1)
        article = await store.articles.get(imported.article.id)
        await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)
        follow = follower(store, fetcher)
        assert {c.page for c in article.comments} == {path + "comment-page-1", path + "comment-page-2", ""}

        deleted, _, in_thread = first_thread_taken(whole)
        serve(numbered_pages(deleted, NETZ, (6, 12)), failing="comment-page-1/")
        # Page 2's first thread, read there, is on page 1 now: kept, as is everything else.
        assert await follow() == 0
        assert (await store.articles.get(article.id)).comments == article.comments

        serve(numbered_pages(deleted, NETZ, (6, 12)))
        assert await follow() == in_thread
        after = await store.articles.get(article.id)
        assert [c.index for c in after.comments] == [c.index for c in article.comments[in_thread:]]


async def test_an_import_that_could_not_read_a_comment_page_keeps_no_validators(store: Store) -> None:
    """A comment page that failed at the import: its comments are missing, so the first fetch for
    new comments is a whole one, not a 304 (the post's page unchanged) that would leave them out
    until the post's page changed."""
    older, newest = split_comment_pages(page("netzpolitik.org.abmahnungen.html"), NETZ, NETZ)
    path = NETZ.removeprefix("https://netzpolitik.org")
    async with serving() as site:
        site.html("netzpolitik.org", path, newest)
        site.html("netzpolitik.org", path + "comment-page-1/", "down", status=500)
        fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
        imported = await import_from_web(store, fetcher, NETZ, 1500, guild_id=1)
        article = imported.article
        assert 0 < len(article.comments) < 74
        assert await store.followed_comments.validators(article.id) == (None, None)
        await record_posting(store, article, guild_id=1, channel_id=10, with_comments=True)

        site.html("netzpolitik.org", path + "comment-page-1/", older)  # the post's page unchanged
        follow = follower(store, fetcher)
        assert await follow() == 74 - len(article.comments)
        assert site.not_modified == []
        assert len((await store.articles.get(article.id)).comments) == 74
        assert all(await store.followed_comments.validators(article.id))
