"""Bringing the archive level with a channel's history after downtime.

The caller fetches the full history of a tracked channel or thread (Discord keeps archived
threads' history too) and passes it here as stored-message rows: messages the archive lacks are
added, changed ones get an edit entry (the old text kept), and ones Discord no longer has are
marked deleted. Running it twice changes nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.store import Store


@dataclass(frozen=True, slots=True)
class SyncCounts:
    """What a catch-up pass changed in the stored discussion; counts of several channels add up with ``+``."""

    added: int = 0
    edited: int = 0
    deleted: int = 0
    gone: tuple[int, ...] = field(default=(), compare=False)
    """The messages found deleted, and those found edited with what they now read: the bot's
    posted answers quoting them are rendered again, as for a live deletion or edit."""
    rewritten: tuple[tuple[int, str], ...] = field(default=(), compare=False)

    def __add__(self, other: SyncCounts) -> SyncCounts:
        return SyncCounts(
            self.added + other.added,
            self.edited + other.edited,
            self.deleted + other.deleted,
            self.gone + other.gone,
            self.rewritten + other.rewritten,
        )


async def reconcile_channel(
    store: Store, channel_id: int, history: list[StoredMessage], *, after_id: int = 0
) -> SyncCounts:
    """``history`` is everything the channel holds after message ``after_id`` (0: all of it)."""
    # The bot's own bookkeeping: it reconciles what it archived, so it sees everything.
    known = {
        m.id: m for m in await store.messages.in_channel(channel_id, Viewer.operator()) if m.id > after_id
    }
    seen = {m.id for m in history}
    added = await store.messages.record_many([m for m in history if m.id not in known])
    rewritten = []
    for message in history:
        before = known.get(message.id)
        if before is not None and before.deleted_at is None and before.content != message.content:
            stamp = message.edited_at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            if await store.messages.record_edit(message.id, message.content, stamp):
                rewritten.append((message.id, message.content))
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    gone = []
    for message_id, before in known.items():
        if (
            message_id not in seen
            and before.deleted_at is None
            and await store.messages.mark_deleted(message_id, now)
        ):
            gone.append(message_id)
    return SyncCounts(added, len(rewritten), len(gone), tuple(gone), tuple(rewritten))
