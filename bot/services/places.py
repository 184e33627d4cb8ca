"""Where members are: the posting a command is used in, resolved before the article.

Members do not live in an article but in a posting of it (an article in a channel, with its
threads); a server posts one article twice (a channel and a forum, a second read-along, a
cancelled try) and keeps several going. Every command used in a posting's channel or threads
comes here first, so that what it shows (spoilers, links, threads, exports) follows the posting
where it is used, and a cancelled or paused posting elsewhere never decides for it.

The rules, in order: a posting named (``article:SLUG#N``, or a ``posting:`` option) is that one;
an article named is its postings in the place used (else its postings in the server); nothing
named is the place's postings (the thread's one, or the channel's, the newest article first,
the others offered as choices); outside any posting, the latest article posted in the server.
Only postings in channels the viewer can see are ever considered.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.discordfmt.links import jump_url
from bot.domain.posting import Posting, PostingPlace
from bot.domain.viewer import Viewer
from bot.errors import NotFoundError, ReadalongError
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Resolved:
    """The article a command is about, and which of its postings: those of the place it was
    used in (or the one named); empty when it has none the viewer can see."""

    article_id: str
    postings: tuple[Posting, ...]
    """Newest first."""
    settled: bool
    """Named by the member, or the only article of the place: nothing to say about the choice."""
    others: tuple[str, ...] = ()
    """The other articles posted in the place (their ids as members type them), newest first."""
    in_place: bool = True
    """False when the place holds no posting and the latest of the server was taken."""


def split_reference(reference: str) -> tuple[str | None, int | None]:
    """``SLUG`` → (slug, None); ``SLUG#N`` (what the ``article:`` suggestions put in) → (slug,
    posting N); ``#N`` or ``N`` alone (a ``posting:`` value) → (None, N)."""
    text = reference.strip()
    head, sep, tail = text.rpartition("#")
    if sep and tail.isdigit():
        return (head.strip() or None), int(tail)
    if text.isdigit():
        return None, int(text)
    return text, None


async def visible_postings(store: Store, viewer: Viewer, article_id: str | None = None) -> list[Posting]:
    """The postings of the viewer's server (of one article if given) in channels they can see, newest first."""
    assert viewer.guild_id is not None
    return [
        p
        for p in await store.postings.for_guild(viewer.guild_id, article_id)
        if viewer.sees(p.guild_id, p.channel_id)
    ]


async def postings_here(store: Store, viewer: Viewer, channel_id: int) -> list[Posting]:
    """The postings of the place a command is used in, newest first: a posting's thread (or
    forum post) is that posting's alone; a channel is every posting made in it, and so is a
    thread a reader opened in that channel."""
    if not viewer.sees(viewer.guild_id, channel_id):
        return []
    placement = await store.postings.placement_of_thread(channel_id)
    if placement is not None:
        posting = await store.postings.get(placement)
        return [posting] if viewer.sees(posting.guild_id, posting.channel_id) else []
    postings = await visible_postings(store, viewer)
    here = [p for p in postings if p.channel_id == channel_id]
    if here or viewer.guild_id is None:
        return here
    parent = next(
        (t.parent_id for t in await store.guilds.threads(viewer.guild_id) if t.id == channel_id), None
    )
    return [p for p in postings if p.channel_id == parent]


async def posting(store: Store, viewer: Viewer, posting_id: int) -> Posting:
    """Posting ``posting_id``, if it is of the viewer's server and in a channel they can see;
    else the same refusal as for one that does not exist."""
    try:
        found = await store.postings.get(posting_id)
    except NotFoundError:
        found = None
    if (
        found is None
        or found.guild_id != viewer.guild_id
        or not viewer.sees(found.guild_id, found.channel_id)
    ):
        raise NotFoundError(f"There is no posting #{posting_id} in a channel you can see.")
    return found


async def resolve(
    store: Store,
    viewer: Viewer,
    channel_id: int | None,
    reference: str | None,
    *,
    posting_id: int | None = None,
    fallback: bool = True,
) -> Resolved:
    """The article and postings a command used in ``channel_id`` is about (see the module's
    rules). ``reference``: the ``article:`` typed or picked; ``posting_id``: a ``posting:``
    option. ``fallback`` False: outside any posting, with nothing named, refuse rather than
    take the server's latest."""
    assert viewer.guild_id is not None
    named, from_reference = (None, None) if reference is None else split_reference(reference)
    posting_id = posting_id if posting_id is not None else from_reference
    key = None if named is None else await store.articles.resolve(viewer.guild_id, named)
    if posting_id is not None:
        chosen = await posting(store, viewer, posting_id)
        if key is not None and key != chosen.article_id:
            raise ReadalongError(f"Posting #{posting_id} is of `{chosen.article_slug}`, not of `{named}`.")
        return Resolved(chosen.article_id, (chosen,), settled=True)
    here = [] if channel_id is None else await postings_here(store, viewer, channel_id)
    if key is not None:
        mine = [p for p in here if p.article_id == key] or await visible_postings(store, viewer, key)
        return Resolved(key, tuple(mine), settled=True)
    if here:
        articles = list(dict.fromkeys(p.article_id for p in here))
        others = tuple(next(p.article_slug for p in here if p.article_id == a) for a in articles[1:])
        return Resolved(
            articles[0],
            tuple(p for p in here if p.article_id == articles[0]),
            settled=not others,
            others=others,
        )
    latest = await visible_postings(store, viewer)
    if not latest or not fallback:
        raise ReadalongError(
            "No article has been posted in this server yet: name one with `article:`."
            if not latest
            else "This is not a posting's channel or thread: name the article with `article:`."
        )
    key = latest[0].article_id
    return Resolved(key, tuple(p for p in latest if p.article_id == key), settled=False, in_place=False)


async def posted_sections(store: Store, postings: tuple[Posting, ...]) -> frozenset[int] | None:
    """The sections that may be quoted without spoiling what these postings have still to
    post: those any of them sent; None (the whole article) when there is no posting, or one of
    them sent every section. A cancelled posting is only what it sent: it never holds back
    another."""
    if not postings:
        return None
    sent: set[int] = set()
    for each in postings:
        posted, total = await store.postings.posted_sections(each.id)
        if len(posted) >= total:
            return None
        sent |= posted
    return frozenset(sent)


async def section_urls(store: Store, viewer: Viewer, postings: tuple[Posting, ...]) -> dict[int, str]:
    """Where each section is posted in these postings (the newest that posted it), for the
    answer's "jump to it" links (the postings are in channels the viewer can see)."""
    urls: dict[int, str] = {}
    for each in postings:
        for section, (container, message) in (await store.postings.section_links(each.id)).items():
            urls.setdefault(section, jump_url(each.guild_id, container, message))
    return urls


async def places(store: Store, viewer: Viewer, article_id: str | None = None) -> list[PostingPlace]:
    """The postings the viewer can see in their server (of one article if given), newest first,
    each with its title and how far it went: what the ``article:`` and ``posting:`` suggestions
    and ``/archive threads`` show."""
    titles: dict[str, tuple[str, int]] = {}
    found = []
    for each in await visible_postings(store, viewer, article_id):
        if each.article_id not in titles:
            article = await store.articles.get(each.article_id)
            titles[each.article_id] = (article.display_title, len(article.sections))
        title, total = titles[each.article_id]
        posted, _ = await store.postings.posted_sections(each.id)
        found.append(PostingPlace(each, title, tuple(sorted(posted)), total))
    return found
