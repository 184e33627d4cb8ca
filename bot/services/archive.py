"""Reading the archive back: an article's visible discussion, its threads and transcripts, and
search of readers' messages. ``/archive`` and ``readalong archive`` both come here; the viewer
decides what either may see (the operator sees everything). Exporting is :mod:`bot.services.export`'s."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass

from bot.discordfmt.posting import thread_label
from bot.discordfmt.transcripts import summarise
from bot.domain.article import Article
from bot.domain.message import PostingThreads, StoredMessage, ThreadListing, ThreadRow
from bot.domain.passage import ArchiveHit, MessageHit
from bot.domain.posting import Posting
from bot.domain.viewer import Viewer
from bot.errors import NotFoundError, ReadalongError
from bot.search.query import match_expression
from bot.services import places
from bot.shown import Names, mentioned
from bot.store import Store


async def visible_postings(store: Store, viewer: Viewer, article: str | None) -> tuple[str, list[Posting]]:
    """The article's key (given by its id there, else the latest posted in the viewer's server)
    and its postings the viewer can see."""
    assert viewer.guild_id is not None
    key = None if article is None else await store.articles.resolve(viewer.guild_id, article)
    postings = [
        p
        for p in await store.postings.for_guild(viewer.guild_id, key)
        if viewer.sees(p.guild_id, p.channel_id)
    ]
    if key is None:
        if not postings:
            raise ReadalongError("No article has been posted in this server yet.")
        key = postings[0].article_id
        postings = [p for p in postings if p.article_id == key]
    if not postings:
        raise ReadalongError(f"`{article}` has no discussion in a channel you can see.")
    return key, postings


async def names_in(
    store: Store, viewer: Viewer, messages: list[StoredMessage], *, known: Names | None = None
) -> Names:
    """The names of the members, roles and channels these messages mention: ``known`` first (what
    Discord knows now, when asked on Discord), then the name each mentioned member last wrote
    under in what the viewer may see; a mention of anyone else shows as ``@unknown-user``."""
    known = known or Names()
    users: set[int] = set()
    for message in messages:
        users |= mentioned(message.content)[0]
    wanted = users - set(known.users)
    archived = await store.messages.author_names(wanted, viewer) if wanted else {}
    return known.over(Names(users=archived))


async def discussion(store: Store, viewer: Viewer, postings: list[Posting]) -> list[StoredMessage]:
    """The discussion of these postings that the viewer may see (filtered in the query)."""
    channels = {p.channel_id for p in postings}
    rows = await store.messages.in_article(postings[0].article_id, viewer)
    return [m for m in rows if m.channel_id in channels or m.parent_id in channels]


@dataclass(frozen=True, slots=True)
class Tracked:
    """A channel or thread whose messages belong to a posting's discussion."""

    channel_id: int
    since: dt.datetime | None
    """Only what came after this (the article's own channel: from the posting on); None: all."""


async def tracked_channels(store: Store, guild_id: int) -> list[Tracked]:
    """What the archive follows in a server, posting by posting (newest first), each posting's
    channels in id order: the article's channel from the posting on, its threads and the threads
    readers opened under it in full. A channel shared by two postings comes once for each."""
    known = await store.guilds.threads(guild_id)
    tracked: list[Tracked] = []
    for posting in await store.postings.for_guild(guild_id):
        containers: dict[int, dt.datetime | None] = {
            posting.channel_id: dt.datetime.fromisoformat(posting.created_at)
        }
        for item in await store.postings.items(posting.id):
            for container in (item.thread_id, item.container_id):
                if container is not None and container != posting.channel_id:
                    containers[container] = None
        for thread in known:
            if thread.parent_id == posting.channel_id:
                containers.setdefault(thread.id, None)
        tracked.extend(
            Tracked(channel_id, since) for channel_id, since in sorted(containers.items(), key=lambda c: c[0])
        )
    return tracked


def check_query(query: str, empty_query: str = "the query has no words to search for") -> str:
    """The FTS5 expression for ``query``; refused (``empty_query``) when it has no words to search for."""
    match = match_expression(query)
    if match is None:
        raise ReadalongError(empty_query)
    return match


async def search(
    store: Store,
    query: str,
    *,
    viewer: Viewer,
    article_id: str | None,
    limit: int,
    author_id: int | None = None,
    empty_query: str = "the query has no words to search for",
) -> list[ArchiveHit]:
    """Readers' messages the viewer may see and the original comments of the articles listed in
    their server, matching ``query``, best first, each with where it was said (``§N``,
    ``Comments``, ``discussion``); ``author_id`` (a member) leaves the comments out.
    ``empty_query`` is the refusal when the query has no words to search for."""
    match = check_query(query, empty_query)
    if article_id is not None:
        if viewer.everything:
            article_id = await store.articles.find(article_id)
        else:
            assert viewer.guild_id is not None
            article_id = await store.articles.resolve(viewer.guild_id, article_id)

    async def readers() -> tuple[list[MessageHit], set[int]]:
        said = await store.search.search_messages(
            match, viewer=viewer, article_id=article_id, author_id=author_id, limit=limit
        )
        return said, await store.search.comments_threads(h.channel_id for h in said)

    # Readers' messages and the comments are searched at once: on PostgreSQL, two connections of
    # the read pool, each its own server process (SQLite's one connection takes them in turn). A
    # search that fails fails the whole, with its own error (not a group), the other cancelled.
    try:
        async with asyncio.TaskGroup() as searches:
            reading = searches.create_task(readers())
            commenting = (
                None
                if author_id is not None
                else searches.create_task(
                    store.search.search_comments(match, viewer=viewer, article_id=article_id, limit=limit)
                )
            )
    except ExceptionGroup as failed:
        raise failed.exceptions[0] from None
    said, in_comments = reading.result()
    comments = [] if commenting is None else commenting.result()
    hits = [
        ArchiveHit(
            article_id=h.article_id,
            author_name=h.author_name,
            content=h.content,
            created_at=h.created_at,
            place=f"§{h.section}"
            if h.section
            else "Comments"
            if h.channel_id in in_comments
            else "discussion",
            score=h.score,
            guild_id=h.guild_id,
            channel_id=h.channel_id,
            message_id=h.id,
        )
        for h in said
    ]
    # BM25 from the two indexes is on the same scale (same tokenizer, similar documents): merged
    # by score, the best of either first.
    return sorted([*hits, *comments], key=lambda h: h.score, reverse=True)[:limit]


async def transcript(store: Store, viewer: Viewer, thread_id: int) -> list[StoredMessage]:
    """A posted article's thread's messages the viewer may see; the same refusal whether the
    thread does not exist, is not an article's, or may not be seen."""
    unknown = NotFoundError(f"<#{thread_id}> is not the thread of a posted article.")
    if not viewer.sees(viewer.guild_id, thread_id):
        raise unknown
    messages = await store.messages.in_channel(thread_id, viewer)
    if not messages and await store.postings.placement(thread_id) is None:
        raise unknown
    return messages


async def labelled_threads(
    store: Store, viewer: Viewer, postings: list[Posting], *, titled: bool
) -> list[tuple[int, str]]:
    """The threads of these postings the viewer can see, in posting order, each with its label
    (:func:`thread_label`; ``titled`` where threads of several articles are listed together)."""
    articles: dict[str, Article] = {}
    found = []
    for posting in postings:
        if not viewer.sees(posting.guild_id, posting.channel_id):
            continue
        if posting.article_id not in articles:
            articles[posting.article_id] = await store.articles.get(posting.article_id)
        for item in await store.postings.items(posting.id):
            if item.thread_id is not None and viewer.sees(posting.guild_id, item.thread_id):
                found.append(
                    (item.thread_id, thread_label(articles[posting.article_id], item, titled=titled))
                )
    return found


async def threads(
    store: Store,
    viewer: Viewer,
    article: str | None,
    *,
    channel_id: int | None = None,
    posting_id: int | None = None,
) -> ThreadListing:
    """The article's threads the viewer can see, grouped by posting (the place's own postings
    first, then the rest, newest first), each labelled, with who took part and when. The article
    is the one named, else the one of the place used in (``channel_id``,
    :func:`bot.services.places.resolve`); a posting named shows that posting alone."""
    resolved = await places.resolve(store, viewer, channel_id, article, posting_id=posting_id)
    shown = await places.places(store, viewer, resolved.article_id)
    if posting_id is not None or (article is not None and places.split_reference(article)[1] is not None):
        shown = [p for p in shown if p.posting in resolved.postings]
    here = (
        set() if channel_id is None else {p.id for p in await places.postings_here(store, viewer, channel_id)}
    )
    if not shown:
        raise ReadalongError(f"`{article}` has no discussion in a channel you can see.")
    shown.sort(key=lambda p: p.posting.id not in here)
    postings = [p.posting for p in shown]
    summaries = {s.channel_id: s for s in summarise(await discussion(store, viewer, postings))}
    groups = []
    for place in shown:
        labelled = await labelled_threads(store, viewer, [place.posting], titled=False)
        rows = tuple(ThreadRow(thread_id, label, summaries.get(thread_id)) for thread_id, label in labelled)
        groups.append(PostingThreads(place, place.posting.id in here, rows))
    return ThreadListing(
        resolved.article_id, shown[0].title, tuple(groups), resolved.others, latest=not resolved.in_place
    )


async def thread_choices(store: Store, viewer: Viewer, typed: str, *, limit: int) -> list[tuple[int, str]]:
    """The threads of every posting in the viewer's server whose label contains ``typed`` (any
    case), at most ``limit``: the suggestions of ``/archive show``."""
    assert viewer.guild_id is not None
    postings = await store.postings.for_guild(viewer.guild_id)
    needle = typed.lower()
    labelled = await labelled_threads(store, viewer, postings, titled=True)
    return [(thread_id, label) for thread_id, label in labelled if needle in label.lower()][:limit]
