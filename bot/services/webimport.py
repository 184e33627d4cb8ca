"""An article brought in from its address: the page fetched (its Wayback Machine capture read as the page
it was), read into an :class:`Article` with its comment section, whose other pages are followed up to
:data:`~bot.articles.web.MAX_COMMENT_PAGES`. The fetcher is passed in: the CLI and the cog each make one
with the settings' address guard, tests one whose resolver routes names to a local server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.articles.parse import parse_article
from bot.articles.web import (
    MAX_COMMENT_PAGES,
    WaybackCapture,
    WebPage,
    build_article,
    page_name,
    read_page,
    refuse_non_article,
    unwrap_wayback,
    wayback_capture,
)
from bot.domain.article import Article
from bot.errors import ArticleFormatError, FetchError
from bot.services.webfetch import Fetched, Fetcher

log = logging.getLogger(__name__)

Progress = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """An article's page as fetched: the article as it reads now (None when asked conditionally
    and the site answered 304, not modified since the validators given); the validators to send
    next time."""

    article: Article | None
    etag: str | None
    last_modified: str | None
    """The validators are None where a comment page could not be had: the next fetch is then a
    whole one, not a 304 that would keep that page's comments unread until the post's page
    changed."""
    complete: bool = False
    """Whether every comment page linked was read (none failed, none left past the tenth): a
    comment not shown is only taken for deleted if so, since comments move between pages as
    others are added and deleted."""


async def fetch_article_page(
    fetcher: Fetcher, url: str, target_chars: int, progress: Progress | None = None
) -> ArticlePage:
    """Fetch and read the article at ``url`` (its ``article`` is never None: asked unconditionally),
    with the validators of the post's page (``ETag``, ``Last-Modified``) for an import to keep, so
    that the first fetch for the article's new comments is a conditional one; a one-line error (a
    :class:`FetchError` or an :class:`ArticleFormatError`) for anything that is not an article,
    before anything is stored."""
    return await _fetch(fetcher, url, target_chars, progress)


async def fetch_article_again(
    fetcher: Fetcher, url: str, target_chars: int, *, etag: str | None, last_modified: str | None
) -> ArticlePage:
    """The article at ``url`` fetched again (comment follow), asked conditionally with the
    validators of the last fetch: a 304 means the post's page has not changed, and nothing else is
    fetched. Errors as :func:`fetch_article_page`'s."""
    return await _fetch(fetcher, url, target_chars, None, etag=etag, last_modified=last_modified)


async def _fetch(
    fetcher: Fetcher,
    url: str,
    target_chars: int,
    progress: Progress | None,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> ArticlePage:
    async def say(text: str) -> None:
        if progress is not None:
            await progress(text)

    url = url.strip()
    capture = wayback_capture(url)
    address = capture.original if capture is not None else url
    fetcher.check_url(url)  # a refused address is refused before anything is said or sent
    await say(f"fetching {page_name(address)}…")
    fetched = await fetcher.get(
        capture.raw if capture is not None else url, etag=etag, last_modified=last_modified
    )
    name = page_name(address)
    if fetched.status == 304 and (etag or last_modified):
        return ArticlePage(None, fetched.etag or etag, fetched.last_modified or last_modified)
    article, complete, failed = await _read_article(
        fetcher, fetched, capture=capture, address=address, name=name, target_chars=target_chars, say=say
    )
    if capture is not None or failed:  # the archive's validators, or a fetch to make whole next time
        return ArticlePage(article, None, None, complete)
    return ArticlePage(article, fetched.etag, fetched.last_modified, complete)


async def _read_article(
    fetcher: Fetcher,
    fetched: Fetched,
    *,
    capture: WaybackCapture | None,
    address: str,
    name: str,
    target_chars: int,
    say: Progress,
) -> tuple[Article, bool, bool]:
    """The article, whether every comment page linked was read, and whether one could not be had."""
    if fetched.status >= 400:
        # A 403 or 503 with a page: a challenge says so; any other page is the site's refusal.
        refuse_non_article(fetched.text, name=name, status=fetched.status)
        raise FetchError(f"{name}: the site answered HTTP {fetched.status}, not the page")
    if fetched.kind != "html":
        source = _file_name(address, fetched.kind)
        article = await asyncio.to_thread(
            parse_article, fetched.text, source=source, target_chars=target_chars
        )
        return _with_url(article, address), True, False
    html = unwrap_wayback(fetched.text) if capture is not None else fetched.text
    final = capture.original if capture is not None else fetched.url
    first = await asyncio.to_thread(read_page, html, url=final, name=name)
    more: list[tuple[str, WebPage]] = []
    queue = list(first.comment_pages)
    seen = {final.split("#")[0].rstrip("/")}
    complete, failed = True, False
    if first.comments:
        await say(f"found {len(first.comments)} comments…")
    while queue and len(more) < MAX_COMMENT_PAGES:
        page_url = queue.pop(0)
        if page_url.rstrip("/") in seen or not _same_site(page_url, final):
            continue
        seen.add(page_url.rstrip("/"))
        try:
            page = await _comment_page(fetcher, page_url, capture.raw_of(page_url) if capture else page_url)
        except (FetchError, ArticleFormatError) as error:
            # A comment page that cannot be had leaves the comments already read: say so in the log.
            log.warning("comment page %s not read: %s", page_url, error)
            complete, failed = False, True
            continue
        more.append((page_url, page))
        queue.extend(p for p in page.comment_pages if p.rstrip("/") not in seen)
        total = len(first.comments) + sum(len(p.comments) for _, p in more)
        await say(f"found {total} comments…")
    if queue and len(more) >= MAX_COMMENT_PAGES:
        log.info("%s: stopped after %d comment pages", name, MAX_COMMENT_PAGES)
        complete = False
    kept_url = first.url if capture is None and first.url and _same_site(first.url, final) else final
    article = await asyncio.to_thread(
        build_article, first, more, url=kept_url, source=name, target_chars=target_chars
    )
    return article, complete, failed


async def _comment_page(fetcher: Fetcher, address: str, fetch_url: str) -> WebPage:
    fetched: Fetched = await fetcher.get(fetch_url)
    if fetched.kind != "html" or fetched.status >= 400:
        raise FetchError(f"{page_name(address)}: not a comment page (HTTP {fetched.status})")
    html = unwrap_wayback(fetched.text) if fetch_url != address else fetched.text
    return await asyncio.to_thread(read_page, html, url=address, name=page_name(address))


def _same_site(a: str, b: str) -> bool:
    return (urlsplit(a).hostname or "").removeprefix("www.") == (urlsplit(b).hostname or "").removeprefix(
        "www."
    )


def _file_name(address: str, kind: str) -> str:
    """A name the file parsers read the format from: a Markdown page ends in ``.md``."""
    last = urlsplit(address).path.rstrip("/").rpartition("/")[2] or (urlsplit(address).hostname or "page")
    if kind == "markdown" and not last.lower().endswith((".md", ".markdown")):
        return last + ".md"
    return last


def _with_url(article: Article, address: str) -> Article:
    from dataclasses import replace

    return article if article.url else replace(article, url=address)
