"""New comments come along (issue 27): while a posting of a web article is under way, and for
``READALONG_COMMENT_FOLLOW_HOURS`` after it started, its blog post's page is fetched again with the
feeds' polls and the comments it shows that the stored article lacks are appended to it and queued in
the posting's Comments thread, under their authors' names, by the publisher's own items (so each is
sent exactly once, whatever restarts happen).

A comment is known by its author and time as the blog shows them (by its author and words when the
blog shows no time): the stored article keeps no page ids, and a comment's number changes as older
ones are deleted. Edited and deleted comments are not followed yet: only new ones are posted.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from bot.discordfmt.posting import split_comment
from bot.domain.article import Comment, CommentQuote
from bot.errors import ReadalongError
from bot.services.articles import fetch_article
from bot.services.posting import PostingChange, PostingEvents
from bot.services.webfetch import Fetcher
from bot.store import Store
from bot.store.errors import DatabaseUnavailableError

log = logging.getLogger(__name__)

CommentKey = tuple[str, str]


def comment_key(comment: Comment) -> CommentKey:
    """What a comment is known by from one fetch to the next: its author and time, else its words."""
    return (comment.author, comment.posted.isoformat() if comment.posted else "\0" + comment.text)


def new_comments(stored: Sequence[Comment], fetched: Sequence[Comment]) -> list[Comment]:
    """The fetched comments the stored ones lack, in the blog's order, numbered after the last stored
    one; a quote of a comment is kept pointing at its stored number (dropped if it has none)."""
    numbers = {comment_key(c): c.index for c in stored}
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
    ``due`` (the publisher's clock; ``now`` by default); how many comments were added. A page that
    cannot be fetched now is tried at the next poll."""
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
            fetched = await fetch_article(fetcher, url, target_chars)
            stored = await store.articles.get(article_id)
            fresh = new_comments(stored.comments, fetched.comments)
            if not fresh:
                continue
            parts = [len(split_comment(c.text)) for c in fresh]
            await store.followed_comments.add(article_id, posting_ids, fresh, parts, due or now)
        except ReadalongError as error:
            log.info("comments of %s not fetched: %s", url, error)
            continue
        except DatabaseUnavailableError:
            raise
        except Exception:
            # One page's surprise (or a poller that added the same comments first) never stops the others.
            log.exception("comments of %s not followed", url)
            continue
        added += len(fresh)
        log.info("%d new comments of %s queued in postings %s", len(fresh), url, posting_ids)
        events.announce(PostingChange("resumed", article_id, tuple(posting_ids)))
    return added
