"""New comments come along (issue 27): while a posting of a web article is under way, and for
``READALONG_COMMENT_FOLLOW_HOURS`` after it started, its blog post's page is fetched again with the
feeds' polls and the comments it shows that the stored article lacks are appended to it and queued in
the posting's Comments thread, under their authors' names, by the publisher's own items (so each is
sent exactly once, whatever restarts happen).

A comment is known by the blog's own id for it, else by its author and time as the blog shows them
(by its author and words when the blog shows no time), never by its number, which changes as older
ones are deleted: see :func:`matched`. A comment whose words changed is edited in the thread; one
the page no longer shows is deleted there, if the fetch read every page of the comment section
(unless the page shows no comments at all: a changed theme, not a purge): see
:func:`comment_changes`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.discordfmt.posting import split_comment
from bot.domain.article import Comment, CommentQuote
from bot.errors import ReadalongError
from bot.services.posting import PostingChange, PostingEvents
from bot.services.webfetch import Fetcher
from bot.services.webimport import fetch_article_again
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

CommentKey = tuple[str, str]


def comment_key(comment: Comment) -> CommentKey:
    """What a comment without the blog's own id is known by from one fetch to the next: its author
    and time, else its words."""
    return (comment.author, comment.posted.isoformat() if comment.posted else "\0" + comment.text)


def matched(stored: Sequence[Comment], fetched: Sequence[Comment]) -> list[Comment | None]:
    """The stored comment each fetched one is (None: a new one), in ``fetched``'s order. By the
    blog's own id where both have one, so a commenter renamed or a time shown differently is the
    same comment; else by :func:`comment_key`, the first stored comment with it not already taken
    (two alike are two comments), but never two comments whose ids differ."""
    by_id = {c.blog_id: c for c in stored if c.blog_id}
    by_key: dict[CommentKey, list[Comment]] = {}
    for comment in stored:
        by_key.setdefault(comment_key(comment), []).append(comment)
    taken: set[int] = set()
    found: list[Comment | None] = []
    for comment in fetched:
        same = by_id.get(comment.blog_id) if comment.blog_id else None
        if same is None or same.index in taken:
            same = next(
                (
                    c
                    for c in by_key.get(comment_key(comment), ())
                    if c.index not in taken and not (c.blog_id and comment.blog_id)
                ),
                None,
            )
        if same is not None:
            taken.add(same.index)
        found.append(same)
    return found


@dataclass(frozen=True, slots=True)
class CommentChanges:
    """What the blog post's comments became since the stored article: comments added, edited (number
    and new words) and deleted (numbers), and the blog's ids of comments stored without one
    (number and id: known by author and time until this fetch)."""

    added: list[Comment]
    edited: list[tuple[int, str]]
    deleted: list[int]
    identified: list[tuple[int, str]] = field(default_factory=list)


def comment_changes(
    stored: Sequence[Comment], fetched: Sequence[Comment], *, complete: bool = True
) -> CommentChanges:
    """The changes from ``stored`` to ``fetched`` (matched by :func:`matched`). An edit that changes
    how many messages a comment takes is a deletion and a new comment (its messages cannot be
    edited into more or fewer).

    A stored comment the fetch does not show is deleted only if the fetch read every page of the
    comment section (``complete``). Comments move between pages: a blog that shows its newest at
    the post's address (WordPress's default with paged comments) moves the oldest of them to a
    numbered page as that page fills, and a deletion moves the comment at a page's edge onto the
    page before, an addition onto the page after (which way depends on the blog's order). So a
    comment not shown where it was may be on any page that failed to load or lay past the tenth,
    whichever page it was read on: it is kept until a fetch reads them all."""
    now_of = {was.index: now for now, was in zip(fetched, matched(stored, fetched), strict=True) if was}
    edited: list[tuple[int, str]] = []
    gone: list[Comment] = []
    identified: list[tuple[int, str]] = []
    for comment in stored:
        now = now_of.get(comment.index)
        if now is None:
            if fetched and complete:
                gone.append(comment)
            continue
        if now.text != comment.text:
            if len(split_comment(now.text)) != len(split_comment(comment.text)):
                gone.append(comment)
                continue
            edited.append((comment.index, now.text))
        if now.blog_id and not comment.blog_id:
            identified.append((comment.index, now.blog_id))
    kept = [c for c in stored if c not in gone]
    after = max((c.index for c in stored), default=-1) + 1
    added = new_comments(kept, fetched, after)
    return CommentChanges(added, edited, [c.index for c in gone], identified)


def new_comments(
    stored: Sequence[Comment], fetched: Sequence[Comment], after: int | None = None
) -> list[Comment]:
    """The fetched comments the stored ones lack (:func:`matched`), in the blog's order, numbered
    from ``after`` (after the last stored one by default); a quote of a comment is kept pointing at
    its stored number (dropped if it has none)."""
    if after is None:
        after = max((c.index for c in stored), default=-1) + 1
    numbers: dict[int, int] = {}
    added: list[Comment] = []
    for comment, was in zip(fetched, matched(stored, fetched), strict=True):
        if was is not None:
            numbers[comment.index] = was.index
            continue
        numbers[comment.index] = after
        after += 1
        added.append(comment)
    return [
        Comment(
            index=numbers[c.index],
            author=c.author,
            posted=c.posted,
            text=c.text,
            quotes=tuple(CommentQuote(numbers[q.comment], q.text) for q in c.quotes if q.comment in numbers),
            page=c.page,
            blog_id=c.blog_id,
        )
        for c in added
    ]


async def follow_comments(
    store: Store,
    fetcher: Fetcher,
    events: PostingEvents,
    *,
    target_chars: int,
    hours: int,
    now: dt.datetime,
    due: dt.datetime | None = None,
) -> int:
    """Fetch each followed posting's blog post again and queue the comments it gained, due at
    ``due`` (the publisher's clock; ``now`` by default); how many comments were added. The page is
    asked for conditionally with the validators of its last fetch (``ETag``, ``Last-Modified``), so
    an unchanged page costs a 304 and nothing else is fetched. A page that cannot be fetched now is
    tried at the next poll."""
    if hours <= 0:
        return 0
    postings: dict[tuple[str, str], list[int]] = {}
    for posting_id, article_id, url in await store.followed_comments.followed(
        now - dt.timedelta(hours=hours)
    ):
        postings.setdefault((article_id, url), []).append(posting_id)
    added = 0
    for (article_id, url), posting_ids in postings.items():
        try:
            etag, last_modified = await store.followed_comments.validators(article_id)
            refetched = await fetch_article_again(
                fetcher, url, target_chars, etag=etag, last_modified=last_modified
            )
            if refetched.article is None:
                continue  # 304: the page has not changed since the last fetch
            stored = await store.articles.get(article_id)
            changes = comment_changes(
                stored.comments, refetched.article.comments, complete=refetched.complete
            )
            fresh = changes.added
            blocked: set[int] = set()
            if fresh or changes.edited or changes.deleted:
                blocked.update(
                    await store.followed_comments.revise(
                        article_id, posting_ids, changes.edited, changes.deleted
                    )
                )
                if fresh:
                    parts = [len(split_comment(c.text)) for c in fresh]
                    blocked.update(
                        await store.followed_comments.add(article_id, posting_ids, fresh, parts, due or now)
                    )
            await store.followed_comments.identify(article_id, changes.identified)
            # Only once what the page showed is stored: a failure above fetches it whole again.
            await store.followed_comments.fetched_again(article_id, refetched.etag, refetched.last_modified)
            if not (fresh or changes.edited or changes.deleted):
                continue
        except ReadalongError as error:
            log.info("comments of %s not fetched: %s", url, error)
            continue
        except DatabaseUnavailableError:
            raise
        except Exception:
            # One page's surprise (or a poller that added the same comments first) never stops the others.
            log.exception("comments of %s not followed", url)
            continue
        added += len(fresh) + len(changes.edited) + len(changes.deleted)
        log.info(
            "comments of %s: %d new, %d edited, %d deleted, in postings %s",
            url,
            len(fresh),
            len(changes.edited),
            len(changes.deleted),
            [p for p in posting_ids if p not in blocked],
        )
        if blocked:
            # Finished postings another posting of the article keeps from reopening in their
            # channel: their admins are told in one line (by the publisher); nothing failed.
            log.info("comments of %s: finished postings %s not reopened", url, sorted(blocked))
            events.announce(PostingChange("refused", article_id, tuple(sorted(blocked))))
        going = tuple(p for p in posting_ids if p not in blocked)
        if going:
            events.announce(PostingChange("resumed", article_id, going))
    return added
