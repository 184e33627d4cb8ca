"""Pausing and resuming a posting (``/article pause|resume``). Posting itself needs Discord and
is the publisher's (:mod:`bot.discord.publisher`); it is woken after a change here."""

from __future__ import annotations

from bot.domain.posting import Posting, PostingState
from bot.errors import ReadalongError
from bot.store import Store


async def find_posting(store: Store, guild_id: int, article: str | None, *, want: PostingState) -> Posting:
    """The latest posting in this server in state ``want``, of ``article`` if given."""
    if article is not None:
        await store.articles.in_guild(guild_id, article)
    postings = [p for p in await store.postings.for_guild(guild_id, article) if p.state == want]
    if not postings:
        what = f"`{article}`" if article else "any article"
        raise ReadalongError(f"There is no {want} posting of {what} in this server.")
    return postings[0]


async def pause(store: Store, guild_id: int, article: str | None) -> Posting:
    """Stop posting further sections of the latest active posting until it is resumed."""
    posting = await find_posting(store, guild_id, article, want="active")
    await store.postings.set_state(posting.id, "paused")
    return posting


async def resume(store: Store, guild_id: int, article: str | None) -> Posting:
    """Resume the latest paused posting: the next section is due now, the rest at its pace."""
    posting = await find_posting(store, guild_id, article, want="paused")
    await store.postings.set_state(posting.id, "active", reschedule_pace=posting.pace_minutes)
    return posting
