"""Recording the discussion: which article a message belongs to, and under whose name.

The discussion cog turns each Discord message into a few ids and asks :class:`Discussions` where
it belongs; recording then goes through :class:`bot.archive.recorder.BatchRecorder`. Kept apart
from the cog so that the rule of what counts as an article's discussion is written once, without
Discord, and tested without it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass

from bot.discordfmt.answers import QUOTE_DELETED, QUOTE_EDITED, render_redacted
from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.discordfmt.posting import commenter_names
from bot.domain.article import Article
from bot.domain.posting import Placement
from bot.errors import NotFoundError
from bot.store import Store


class Discussions:
    """Where messages belong, remembered: a thread's or posted message's place in an article
    never changes once known, and a burst of replies in one thread shares one lookup instead of
    queueing a query each."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._placements: dict[int, asyncio.Future[Placement | None]] = {}
        self._commenters: dict[str, dict[str, str]] = {}
        """Per article: webhook username → the original commenter's name."""

    async def placement(
        self, channel_id: int, *, thread_parent_id: int | None = None, replied_to: int | None = None
    ) -> Placement | None:
        """Where a message belongs, or None if it is not part of an article's discussion.

        ``thread_parent_id``: the channel of the thread the message is in (None outside a thread).
        ``replied_to``: the message it replies to, if any."""
        if thread_parent_id is not None:
            placed = await self._remembered(channel_id)
            if placed is None:
                # Readers' own threads (private ones too) under the article's channel are part of
                # its discussion: placed at the posting, in no section.
                parent = await self._store.postings.placement(thread_parent_id)
                if parent is not None:
                    return Placement(parent.posting_id, parent.article_id, None)
            return placed
        if replied_to is not None:
            placed = await self._remembered(replied_to)
            if placed is not None:
                return placed
        # Not remembered: a newer posting in the same channel takes its messages over.
        return await self._store.postings.placement(channel_id)

    async def commenter(self, placement: Placement, webhook_name: str) -> str | None:
        """The original commenter's own name for a comment posted under ``webhook_name`` (Discord
        shows the webhook name, which may have been changed to one Discord accepts); None if the
        article is gone or has no such commenter."""
        names = self._commenters.get(placement.article_id)
        if names is None:
            try:
                article = await self._store.articles.get(placement.article_id)
            except NotFoundError:  # deleted meanwhile: the name as shown is all there is
                return None
            names = self._commenters[placement.article_id] = commenter_names(article)
        return names.get(webhook_name)

    def forget(self, article_id: str) -> None:
        """The article was deleted in a server (its postings there gone): where its threads and
        messages belonged is no longer known, and its commenters are read afresh, so a reader
        going on in a deleted posting's thread is not recorded as part of it. Lookups under way
        are dropped too: they may have read the posting before it went."""
        self._commenters.pop(article_id, None)
        for key, lookup in list(self._placements.items()):
            if not lookup.done() or lookup.cancelled() or lookup.exception() is not None:
                self._placements.pop(key, None)
                continue
            placed = lookup.result()
            if placed is None or placed.article_id == article_id:
                self._placements.pop(key, None)

    async def _remembered(self, channel_or_message_id: int) -> Placement | None:
        lookup = self._placements.get(channel_or_message_id)
        if lookup is None:
            lookup = asyncio.ensure_future(self._store.postings.placement(channel_or_message_id))
            self._placements[channel_or_message_id] = lookup
        try:
            found = await asyncio.shield(lookup)
        except Exception:
            self._placements.pop(channel_or_message_id, None)
            raise
        if found is None:
            self._placements.pop(channel_or_message_id, None)  # not part of an article yet; may become one
        return found


@dataclass(frozen=True, slots=True)
class AnswerEdit:
    """A posted answer to edit on Discord: the bot's message and what it now reads."""

    channel_id: int
    message_id: int
    content: str


async def redact_answers(store: Store, message_id: int, *, now_reads: str | None = None) -> list[AnswerEdit]:
    """A reader's message was deleted (``now_reads`` None) or edited to ``now_reads``: every
    logged answer that quotes it and no longer may (deleted, or the quoted words edited away) is
    rendered again from the log without that quote, and the log and the archived copy of the
    bot's message changed to match, before Discord is. Returns the edits to make there (answers
    whose posted message is known). Called once the deletion or edit is recorded, so nothing
    shown later reads the words. Where the server purged the words, the log no longer has what
    to render from: the answer becomes the note alone."""
    edits = []
    note = QUOTE_DELETED if now_reads is None else QUOTE_EDITED
    for posted in await store.search.answers_quoting(message_id):
        rendering = posted.rendering
        redone = None
        if rendering is not None:
            kept = tuple(
                q
                for q in rendering.quotes
                if q.reader is None
                or q.reader.message_id != message_id
                or (now_reads is not None and q.text in now_reads)
            )
            if len(kept) == len(rendering.quotes):
                continue  # edited, and the quoted words still stand
            redone = dataclasses.replace(rendering, quotes=kept, written=False)
        article: Article | None = None
        if redone is not None:
            try:
                article = await store.articles.get(posted.article_id)
            except NotFoundError:
                article = None  # deleted since: the note alone
        answer = render_redacted(
            article,
            list(redone.quotes) if redone is not None else [],
            answered=redone.answered if redone is not None else False,
            section_urls=redone.section_urls if redone is not None else {},
            note=note,
            max_chars=redone.max_chars if redone is not None else MESSAGE_LIMIT,
            unposted_section=redone.unposted_section if redone is not None else None,
        )
        content = posted.head + answer
        await store.search.redact_answer(posted, redone, answer, content)
        if posted.channel_id is not None and posted.message_id is not None:
            edits.append(AnswerEdit(posted.channel_id, posted.message_id, content))
    return edits
