"""A reader's message as archived, and a thread's discussion summed up."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.domain.files import KeptFile
from bot.domain.posting import PostingPlace


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """A message of an article's discussion as recorded from Discord (an original comment posted by our
    webhook included); ``created_at`` is ISO 8601 in UTC, to the second. Reads of these take a Viewer."""

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
    files: tuple[KeptFile, ...] = field(default=(), repr=False)
    """The attachments' bytes (or why not kept) as fetched when recorded; written with the message
    in its transaction. Reads of messages carry only the files *not* kept (no bytes, with why),
    so every rendering can say so; the bytes are read apart (``store.files``), by the exports."""

    def not_kept(self, index: int) -> str | None:
        """Why the archive does not hold attachment ``index``: "over the 8 MiB cap"; None when it
        does (or the message was archived before files were kept)."""
        for file in self.files:
            if file.index == index and file.data is None:
                return file.note or "not fetched"
        return None


def as_shown(message: StoredMessage) -> StoredMessage:
    """The message as anything the bot shows may show it: a deleted one reduced to the fact of its
    deletion (its author, time and place), with no words, attachments, embeds or earlier versions,
    whatever its kind or author. Every reading of the archive (transcripts, reply snippets, every
    export) goes through here, so no output decides for itself what a deleted message still shows;
    where the server purges, the words are gone from the database too."""
    if message.deleted_at is None:
        return message
    return replace(message, content="", attachments=(), embeds="", history=(), files=())


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One channel or thread of an article's discussion as the archive lists it: readers' messages (not bots',
    webhooks' or deleted ones), who took part, when it was last active."""

    channel_id: int
    section: int | None
    messages: int
    participants: tuple[str, ...]
    last_activity: str | None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One thread of a posted article, as ``/archive threads`` lists it."""

    thread_id: int
    label: str
    """The section's label, ``Comments``, or the article's title."""
    summary: ThreadSummary | None
    """None when no reader has written in it yet."""


@dataclass(frozen=True, slots=True)
class PostingThreads:
    """One posting's threads, as ``/archive threads`` groups them: the posting as members see it
    (its channel, how far it went), whether it is the one of the place the command was used in,
    and its threads the viewer can see."""

    place: PostingPlace
    here: bool
    rows: tuple[ThreadRow, ...]


@dataclass(frozen=True, slots=True)
class ThreadListing:
    """``/archive threads``: an article's postings the viewer can see, each with its threads;
    ``others``: the other articles posted where it was used (the article was not named)."""

    article_id: str
    title: str
    groups: tuple[PostingThreads, ...]
    others: tuple[str, ...] = ()
    latest: bool = False
    """Nothing named, used outside every posting: the server's latest article was taken."""
