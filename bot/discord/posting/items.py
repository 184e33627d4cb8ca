"""A posting's items as the worker runs them: its own copy of the stored rows, and what an item
stands for (the plan item it renders as, whether it opens a thread, a comment's link). Kept apart
from the worker's loop so that what an item is can be read without how it is sent."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from bot.discordfmt.links import jump_url
from bot.domain.posting import ItemRow, ItemStatus, PlanItem, Posting


class Items:
    """A posting's items as one worker's run knows them: read from the store once, then changed
    here as the worker records each item in the store. Reading them afresh for every item made a
    posting of n comments read n² rows."""

    def __init__(self, rows: Sequence[ItemRow]) -> None:
        self.rows = list(rows)
        self._index = {row.seq: i for i, row in enumerate(self.rows)}

    def __contains__(self, seq: object) -> bool:
        return seq in self._index

    def update(
        self,
        seq: int,
        *,
        status: ItemStatus | None = None,
        message_id: int | None = None,
        container_id: int | None = None,
        thread_id: int | None = None,
    ) -> None:
        """Record in this copy what was just written to the store for item ``seq``."""
        i = self._index[seq]
        row = self.rows[i]
        self.rows[i] = dataclasses.replace(
            row,
            status=status if status is not None else row.status,
            message_id=message_id if message_id is not None else row.message_id,
            container_id=container_id if container_id is not None else row.container_id,
            thread_id=thread_id if thread_id is not None else row.thread_id,
        )


def opens_thread(posting: Posting, item: ItemRow) -> bool:
    """In a text channel a section (and the Comments heading) gets a thread of its own; in a forum
    the post is the thread."""
    return posting.channel_kind == "text" and item.kind in ("section", "comments")


def comment_url(posting: Posting, items: Sequence[ItemRow], comment: int) -> str | None:
    """The link to where original comment ``comment`` was posted (its first part), so a reply
    quoting it can point there; None until it is sent."""
    for row in items:
        if row.kind == "comment" and row.comment == comment and row.part == 1 and row.message_id:
            return jump_url(posting.guild_id, row.container_id or posting.channel_id, row.message_id)
    return None


def item_plan(item: ItemRow) -> PlanItem:
    """The plan item a stored posting item stands for, so rendering reads the same whether planned or
    stored."""
    return PlanItem(item.seq, item.kind, section=item.section, comment=item.comment, part=item.part)
