"""Following a posting (``/article status``), pausing, resuming and cancelling it
(``/article pause|resume|cancel``). Posting itself needs Discord and
is the publisher's (:mod:`bot.discord.publisher`); it is woken after a change here."""

from __future__ import annotations

from bot.domain.article import Article
from bot.domain.posting import Posting, PostingState, PostingStatus
from bot.errors import ReadalongError
from bot.store import Store


async def find_posting(store: Store, guild_id: int, article: str | None, *, want: PostingState) -> Posting:
    """The latest posting in this server in state ``want``, of ``article`` if given."""
    key = None if article is None else await store.articles.resolve(guild_id, article)
    postings = [p for p in await store.postings.for_guild(guild_id, key) if p.state == want]
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
    """Resume the latest paused posting at its pace: the next section is due one interval from
    now (at once for an unpaced posting), the rest an interval apart."""
    posting = await find_posting(store, guild_id, article, want="paused")
    await store.postings.set_state(posting.id, "active", reschedule_pace=posting.pace_minutes)
    return posting


async def cancel(store: Store, guild_id: int, article: str | None) -> Posting:
    """Stop the latest posting that is still going (active or paused), of ``article`` if given,
    for good: nothing more of it is sent, after a restart either. What was sent stays, and so does
    its archive; the article can be posted again elsewhere, or deleted."""
    key = None if article is None else await store.articles.resolve(guild_id, article)
    going = [p for p in await store.postings.for_guild(guild_id, key) if p.state != "done"]
    if not going:
        what = f"`{article}`" if article else "any article"
        raise ReadalongError(f"There is no active or paused posting of {what} in this server to cancel.")
    posting = going[0]
    await store.postings.cancel(posting.id)
    return await store.postings.get(posting.id)


async def status(store: Store, guild_id: int, article: str | None) -> tuple[Article, list[PostingStatus]]:
    """The article and each of its postings in this server, newest first; refused when it has
    not been posted here. Without ``article``: the article of the latest posting here."""
    if article is None:
        latest = await store.postings.for_guild(guild_id)
        if not latest:
            raise ReadalongError("Nothing has been posted in this server yet: use /article post.")
        article = latest[0].article_id
    stored = await store.articles.in_guild(guild_id, article)
    postings = await store.postings.for_guild(guild_id, stored.id)
    if not postings:
        raise ReadalongError(f"{stored.slug!r} has not been posted in this server yet: use /article post.")
    statuses = []
    for posting in postings:
        items = await store.postings.items(posting.id)
        pending = [row for row in items if row.status != "done"]
        statuses.append(
            PostingStatus(
                posting=posting,
                posted=tuple(row for row in items if row.kind == "section" and row.status == "done"),
                total_sections=len(stored.sections),
                next_due=pending[0].due_at if pending and posting.state != "done" else None,
            )
        )
    return stored, statuses
