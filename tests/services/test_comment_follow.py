"""Following a blog post's comments (issue 27) on both backends, below Discord: which comments are new
(known by author and time, else by author and words), and that they are stored and queued in every
posting of the article in one transaction, so the same comments added twice (two pollers, a retry)
fail whole rather than being queued twice."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from bot.articles import Article
from bot.domain.article import Comment, CommentQuote
from bot.services.comment_follow import comment_changes, new_comments
from bot.store import Store
from bot.store.postings import utcnow
from tests.conftest import both_backends
from tests.postings import record_posting

pytestmark = both_backends

AT = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def comment(index: int, author: str, text: str, posted: dt.datetime | None = AT) -> Comment:
    return Comment(index=index, author=author, posted=posted, text=text)


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
