"""Readers' messages as the archive stores them, for the tests that record some: one builder, so
that a test names only the fields its point rests on (and a field added to
:class:`~bot.domain.message.StoredMessage` is added here once, not in each test's own copy)."""

from __future__ import annotations

from typing import Any

from bot.domain.message import StoredMessage

_PLAIN: dict[str, Any] = {
    "guild_id": 1,
    "channel_id": 2,
    "parent_id": None,
    "article_id": None,
    "section": None,
    "author_id": 5,
    "author_name": "Ben",
    "author_bot": False,
    "webhook_id": None,
    "created_at": "2026-12-01T10:00:00+00:00",
}
"""What a test does not name: Ben (user 5), a reader, in channel 2 of server 1, about no article."""


def reader_message(message_id: int, content: str, **fields: Any) -> StoredMessage:
    """A message ``message_id`` saying ``content``; ``fields`` set any other field of
    :class:`StoredMessage` (the rest as :data:`_PLAIN`)."""
    return StoredMessage(**{**_PLAIN, "id": message_id, "content": content, **fields})
