"""New comments come along (issue 27): while a posting of a web article is under way, and for
``READALONG_COMMENT_FOLLOW_HOURS`` after it started, its blog post's page is fetched again with the
feeds' polls and the comments it shows that the stored article lacks are appended to it and queued in
the posting's Comments thread, under their authors' names, by the publisher's own items (so each is
sent exactly once, whatever restarts happen).

A comment is known by its author and time as the blog shows them (by its author and words when the
blog shows no time): a comment's number changes as older ones are deleted. A comment whose words
changed is edited in the thread; one the page no longer shows is deleted there, if the fetch read
every page of the comment section (unless the page shows no comments at all: a changed theme, not
a purge): see :func:`comment_changes`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

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
    """What a comment is known by from one fetch to the next: its author and time, else its words."""
    return (comment.author, comment.posted.isoformat() if comment.posted else "\0" + comment.text)


@dataclass(frozen=True, slots=True)
class CommentChanges:
    """What the blog post's comments became since the stored article: comments added, edited (number
    and new words) and deleted (numbers)."""

    added: list[Comment]
    edited: list[tuple[int, str]]
    deleted: list[int]


def comment_changes(
    stored: Sequence[Comment], fetched: Sequence[Comment], *, complete: bool = True
) -> CommentChanges:
    """The changes from ``stored`` to ``fetched``. An edit that changes how many messages a comment
    takes is a deletion and a new comment (its messages cannot be edited into more or fewer).

    A stored comment the fetch does not show is deleted only if the fetch read every page of the
    comment section (``complete``). Comments move between pages: a blog that shows its newest at
    the post's address (WordPress's default with paged comments) moves the oldest of them to a
    numbered page as that page fills, and a deletion moves the comment at a page's edge onto the
    page before, an addition onto the page after (which way depends on the blog's order). So a
    comment not shown where it was may be on any page that failed to load or lay past the tenth,
    whichever page it was read on: it is kept until a fetch reads them all."""
    by_key = {comment_key(c): c for c in fetched}
    edited: list[tuple[int, str]] = []
    gone: list[Comment] = []
    for comment in stored:
        now = by_key.get(comment_key(comment))
        if now is None:
            if fetched and complete:
                gone.append(comment)
        elif now.text != comment.text:
            if len(split_comment(now.text)) == len(split_comment(comment.text)):
                edited.append((comment.index, now.text))
            else:
                gone.append(comment)
    kept = [c for c in stored if c not in gone]
    after = max((c.index for c in stored), default=-1) + 1
    return CommentChanges(new_comments(kept, fetched, after), edited, [c.index for c in gone])


def new_comments(
    stored: Sequence[Comment], fetched: Sequence[Comment], after: int | None = None
) -> list[Comment]:
    """The fetched comments the stored ones lack, in the blog's order, numbered from ``after`` (after
    the last stored one by default); a quote of a comment is kept pointing at its stored number
    (dropped if it has none)."""
    numbers = {comment_key(c): c.index for c in stored}
    if after is None:
        after = max((c.index for c in stored), default=-1) + 1
    added: list[Comment] = []
    for comment in fetched:
        key = comment_key(comment)
        if key in numbers:
            continue
        numbers[key] = after
        after += 1
        added.append(comment)
    by_fetched = {c.index: numbers[comment_key(c)] for c in fetched}
    return [
        Comment(
            index=numbers[comment_key(c)],
            author=c.author,
            posted=c.posted,
            text=c.text,
            quotes=tuple(
                CommentQuote(by_fetched[q.comment], q.text) for q in c.quotes if q.comment in by_fetched
            ),
            page=c.page,
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
