"""A reader's message as archived."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    guild_id: int | None
    channel_id: int
    parent_id: int | None
    article_id: str | None
    section: int | None
    author_id: int
    author_name: str
    author_bot: bool
    webhook_id: int | None
    content: str
    created_at: str
    reply_to: int | None = None
    attachments: tuple[tuple[str, str, int], ...] = ()
    embeds: str = ""
    edited_at: str | None = None
    deleted_at: str | None = None
    history: tuple[tuple[str, str], ...] = field(default=())
    """Earlier versions as (edited_at, content before the edit)."""
    to_bot: bool = False
    """Addressed to the bot (it mentions it): a question, never quoted as an answer."""
    thread_private: bool = False
    """In a thread: whether the thread is private (kept per thread, in the threads table)."""
