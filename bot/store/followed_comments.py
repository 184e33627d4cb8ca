"""Queries for following a web article's comments after it is posted (issue 27): which postings are
still followed, and new comments appended to the article together with the posting items that send
them, in one transaction, so a comment is either stored and queued in every posting of it or not at
all (a killed poller leaves nothing half done; the publisher's items then send it exactly once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.domain.article import Comment
from bot.store.articles import write_comments
from bot.store.connection import Connection

if TYPE_CHECKING:
    from bot.store.db import Store


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


class FollowedCommentQueries:
    """Postings whose blog comments are followed, and comments that came after the import."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def followed(self, since: dt.datetime) -> list[tuple[int, str, str]]:
        """(posting id, article id, address) of each posting of a web article with its comments that
        is under way, or finished (not cancelled) but started at or after ``since``. Paused and
        cancelled postings are not followed: an admin stopped them."""
        async with self._store.db.execute(
            "SELECT p.id, p.article_id, a.url FROM postings p JOIN articles a ON a.id = p.article_id"
            " WHERE p.with_comments = 1 AND a.url IS NOT NULL"
            " AND (p.state = 'active' OR (p.state = 'done' AND p.cancelled_at IS NULL AND p.created_at >= ?))"
            " ORDER BY p.id",
            (_iso(since),),
        ) as cursor:
            return [(row["id"], row["article_id"], row["url"]) for row in await cursor.fetchall()]

    async def validators(self, article_id: str) -> tuple[str | None, str | None]:
        """The ``ETag`` and ``Last-Modified`` of the article's page when it was last fetched again
        (None, None: not yet)."""
        async with self._store.db.execute(
            "SELECT page_etag, page_last_modified FROM articles WHERE id = ?", (article_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return (None, None) if row is None else (row["page_etag"], row["page_last_modified"])

    async def fetched_again(self, article_id: str, etag: str | None, last_modified: str | None) -> None:
        """Keep the validators of the page's last fetch, once what it showed is stored: the next
        fetch sends them back, and a 304 means nothing changed since."""
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE articles SET page_etag = ?, page_last_modified = ? WHERE id = ?",
                (etag, last_modified, article_id),
            )

    async def identify(self, article_id: str, identified: Sequence[tuple[int, str]]) -> None:
        """Keep the blog's ids (number, id) of comments stored without one, which a fetch found by
        author and time: from then on they are found by id. An id kept already is left as it is."""
        if not identified:
            return
        async with self._store.transaction() as db:
            await db.executemany(
                "UPDATE comments SET blog_id = ? WHERE article_id = ? AND idx = ? AND blog_id IS NULL",
                [(blog_id, article_id, idx) for idx, blog_id in identified],
            )

    async def add(
        self,
        article_id: str,
        posting_ids: Sequence[int],
        comments: Sequence[Comment],
        parts: Sequence[int],
        due: dt.datetime,
    ) -> list[int]:
        """Append ``comments`` (numbered after the article's last) and, in each posting, the items
        that send them (``parts[i]`` messages for comment i, after a comments header if the posting
        had none), due at ``due``; a finished posting is active again until they are sent. Two
        pollers adding the same comment collide on its number and the second one's transaction
        fails whole. A finished posting that cannot be active again, because another posting of
        the article is under way in its channel (one at a time per article and channel), is left
        as it is: returned, so that its admin can be told."""
        async with self._store.transaction() as db:
            blocked = await self._blocked(db, posting_ids)
            posting_ids = [p for p in posting_ids if p not in blocked]
            await write_comments(db, article_id, comments)
            # Found by /ask from the moment they are stored, as the imported comments are.
            await self._store.search.index_comments(db, article_id, [(c.index, c.text) for c in comments])
            for posting_id in posting_ids:
                async with db.execute(
                    "SELECT max(seq) AS last, sum(CASE WHEN kind = 'comments' THEN 1 ELSE 0 END) AS headers"
                    " FROM posting_items WHERE posting_id = ?",
                    (posting_id,),
                ) as cursor:
                    row = await cursor.fetchone()
                seq = int(row["last"] or 0) if row is not None else 0
                rows: list[tuple[int, int, str, int | None, int | None, str]] = []
                if row is None or not row["headers"]:
                    seq += 1
                    rows.append((posting_id, seq, "comments", None, None, _iso(due)))
                for comment, count in zip(comments, parts, strict=True):
                    for part in range(1, count + 1):
                        seq += 1
                        rows.append((posting_id, seq, "comment", comment.index, part, _iso(due)))
                await db.executemany(
                    "INSERT INTO posting_items (posting_id, seq, kind, comment, part, due_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
                await db.execute(
                    "UPDATE postings SET state = 'active' WHERE id = ? AND state = 'done'", (posting_id,)
                )
        return blocked

    async def revise(
        self,
        article_id: str,
        posting_ids: Sequence[int],
        edited: Sequence[tuple[int, str]],
        deleted: Sequence[int],
    ) -> list[int]:
        """Comments the blog edited (their new text) or deleted, in the article and in each posting:
        a sent message of one is made due again (pending with its message id: the publisher edits or
        deletes it, and doing so twice is harmless), an unsent one of a deleted comment dropped. Its
        passages go too, so no answer quotes words the blog no longer shows, and an edited one's
        new words are indexed in their place. A finished posting that another posting of the
        article under way in its channel keeps from being active again is left as it is (its
        messages keep the words they had), and returned, as by :meth:`add`."""
        if not edited and not deleted:
            return []
        async with self._store.transaction() as db:
            blocked = await self._blocked(db, posting_ids)
            posting_ids = [p for p in posting_ids if p not in blocked] or [0]  # 0: no posting
            marks = ",".join("?" for _ in posting_ids)
            for idx, text in edited:
                await db.execute(
                    "UPDATE comments SET text = ? WHERE article_id = ? AND idx = ?", (text, article_id, idx)
                )
            for idx in deleted:
                await db.execute(
                    "DELETE FROM comment_quotes WHERE article_id = ? AND (comment_idx = ? OR quoted_idx = ?)",
                    (article_id, idx, idx),
                )
                await db.execute("DELETE FROM comments WHERE article_id = ? AND idx = ?", (article_id, idx))
                await db.execute(
                    f"DELETE FROM posting_items WHERE posting_id IN ({marks}) AND kind = 'comment'"
                    " AND comment = ? AND message_id IS NULL",
                    (*posting_ids, idx),
                )
            for idx in [i for i, _ in edited] + list(deleted):
                await db.execute(
                    "DELETE FROM passages WHERE article_id = ? AND source = 'comment' AND comment = ?",
                    (article_id, idx),
                )
                await db.execute(
                    f"UPDATE posting_items SET status = 'pending' WHERE posting_id IN ({marks})"
                    " AND kind = 'comment' AND comment = ? AND message_id IS NOT NULL",
                    (*posting_ids, idx),
                )
            # The edited words' passages come as the old ones go: /ask quotes what the blog shows.
            await self._store.search.index_comments(db, article_id, edited)
            await db.execute(
                f"UPDATE postings SET state = 'active' WHERE id IN ({marks}) AND state = 'done'",
                tuple(posting_ids),
            )
        return blocked

    @staticmethod
    async def _blocked(db: Connection, posting_ids: Sequence[int]) -> list[int]:
        """The finished postings among ``posting_ids`` that cannot be active again: another posting
        of the same article is under way (not finished) in the same channel."""
        if not posting_ids:
            return []
        marks = ",".join("?" for _ in posting_ids)
        async with db.execute(
            f"SELECT p.id FROM postings p WHERE p.id IN ({marks}) AND p.state = 'done' AND EXISTS"
            " (SELECT 1 FROM postings o WHERE o.article_id = p.article_id AND o.channel_id = p.channel_id"
            " AND o.state != 'done' AND o.id != p.id) ORDER BY p.id",
            tuple(posting_ids),
        ) as cursor:
            return [int(row["id"]) for row in await cursor.fetchall()]
