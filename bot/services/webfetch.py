"""Fetching an article's page for ``/article import url:`` and ``readalong import URL``: safe to offer
every admin of every server the bot is in.

Any admin can make the bot fetch an address, so the bot must not become a way into the network it runs
in (server-side request forgery): every host is resolved and each of its addresses checked before the
connection is made (:mod:`bot.services.resolver` is the connector's resolver, so what is checked is what is
connected to, and a redirect is checked again the same way); loopback, private, link-local (cloud
metadata), multicast, reserved and unspecified addresses are refused in IPv4, IPv6 and IPv4-mapped forms,
and so are the spellings a browser reads as an address (``http://2130706433/``, ``http://0x7f.1/``):
the rules are :mod:`bot.services.addresses`.
``READALONG_ALLOW_PRIVATE_URLS=1`` lifts that for the sandbox and hand tests.

The rest bounds what one fetch may cost: 10 s in all, the 2 MB of files (counted while reading, not
from ``Content-Length``), 5 redirects, HTML, Markdown and plain text only, no credentials in the URL.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urljoin, urlsplit

from bot.articles.parse import MAX_ARTICLE_BYTES
from bot.errors import FetchError
from bot.services.addresses import Resolve, literal_address, refused_address, system_resolve

if TYPE_CHECKING:
    import aiohttp

log = logging.getLogger(__name__)

_T = TypeVar("_T")

TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 5
PAGE_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}


FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.5"
)


@dataclass(frozen=True, slots=True)
class FeedFetched:
    """A feed asked for: ``status`` 304 (not modified), 404/410 (gone) or 2xx with ``text``;
    the validators to ask with next time; the final address if every redirect was permanent."""

    url: str
    status: int
    text: str
    etag: str | None
    last_modified: str | None
    moved_to: str | None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A page as fetched: the address it ended at (after redirects), what kind it is, its text."""

    url: str
    kind: str
    """``html``, ``markdown`` or ``text``."""
    text: str
    status: int = 200
    """304 (asked conditionally, not modified: no text), 200, or a refusal's 401/403/429/503."""
    etag: str | None = None
    last_modified: str | None = None
    """The validators to ask with next time (``If-None-Match``, ``If-Modified-Since``)."""


def user_agent() -> str:
    """``Readalong/<version>``, so a site's operator can see who fetched and why."""
    try:
        own = version("readalong")
    except PackageNotFoundError:
        own = "0"
    return f"Readalong/{own} (+a Discord bot fetching an article a server's admin asked for)"


class Fetcher:
    """Fetches pages with the guard and the bounds of this module; one per import (or per bot), closed
    with :meth:`close`. ``resolve`` is the system resolver unless a test routes names to a local server."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolve = system_resolve,
        timeout: float = TIMEOUT_SECONDS,
        max_bytes: int = MAX_ARTICLE_BYTES,
        max_redirects: int = MAX_REDIRECTS,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._tls = tls
        """Certificates trusted for https: the system's unless a test serves its own."""
        self._resolve = resolve
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    async def get(self, url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """The page at ``url``; a :class:`FetchError` saying in one line why not. Asked
        conditionally when given the validators of an earlier fetch: a 304 comes back with no
        text (the page has not changed)."""
        try:
            return await asyncio.wait_for(self._get(url, etag, last_modified), self.timeout)
        except TimeoutError:
            raise FetchError(
                f"{_name(url)}: too slow (no whole page within {self.timeout:g} s); try again later"
            ) from None

    async def _get(self, url: str, etag: str | None, last_modified: str | None) -> Fetched:
        headers = {"User-Agent": user_agent(), "Accept": "text/html, text/markdown;q=0.9, text/plain;q=0.8"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        async def page(current: str, _permanent: bool, response: aiohttp.ClientResponse) -> Fetched:
            return await self._read(current, response)

        return await self._follow(url, headers, page, too_many="; give the final address")

    async def _follow(
        self,
        url: str,
        headers: dict[str, str],
        answer: Callable[[str, bool, aiohttp.ClientResponse], Awaitable[_T]],
        *,
        too_many: str = "",
    ) -> _T:
        """GET ``url`` through the guarded resolver, one redirect at a time (each address checked
        before connecting, at most :attr:`max_redirects`), and hand the first answer that is not a
        redirect to ``answer`` with its address and whether every redirect was permanent (301,
        308). The driver's errors become one-line FetchErrors naming the address.

        aiohttp is imported here, when a page is first fetched: the commands that fetch nothing
        start without it (:mod:`bot.services.resolver`)."""
        import aiohttp

        from bot.services.resolver import GuardedResolver

        connector = aiohttp.TCPConnector(
            resolver=GuardedResolver(self._resolve, allow_private=self.allow_private),
            use_dns_cache=False,
            limit=2,
            ssl=self._tls if self._tls is not None else True,
        )
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
            current, permanent = url, True
            for _ in range(self.max_redirects + 1):
                self.check_url(current)
                try:
                    async with session.get(current, allow_redirects=False) as response:
                        if response.status in (301, 302, 303, 307, 308):
                            location = response.headers.get("Location")
                            if not location:
                                raise FetchError(f"{_name(current)}: redirects without saying where")
                            permanent = permanent and response.status in (301, 308)
                            current = urljoin(current, location)
                            continue
                        return await answer(current, permanent, response)
                except FetchError:
                    raise
                except aiohttp.ClientConnectorError as error:
                    cause = error.os_error
                    if isinstance(cause, FetchError):
                        raise cause from None
                    raise FetchError(
                        f"{_name(current)}: cannot connect ({error.strerror or cause})"
                    ) from None
                except (aiohttp.ClientError, OSError) as error:
                    if isinstance(error.__cause__, FetchError):
                        raise error.__cause__ from None
                    raise FetchError(f"{_name(current)}: the fetch failed ({_one_line(error)})") from None
            raise FetchError(f"{_name(url)}: more than {self.max_redirects} redirects{too_many}")

    async def get_feed(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FeedFetched:
        """A feed (or the blog page naming it) at ``url``, asked for conditionally: 304 comes back
        with no text. A 404 or 410 comes back too (the feed has gone), as does a permanent
        redirect's final address (``moved_to``: the feed has moved). Anything else that is not
        the feed is a :class:`FetchError` in one line, as for a page."""
        try:
            return await asyncio.wait_for(self._get_feed(url, etag, last_modified), self.timeout)
        except TimeoutError:
            raise FetchError(f"{_name(url)}: too slow (no answer within {self.timeout:g} s)") from None

    async def _get_feed(self, url: str, etag: str | None, last_modified: str | None) -> FeedFetched:
        headers = {"User-Agent": user_agent(), "Accept": FEED_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified

        async def feed(current: str, permanent: bool, response: aiohttp.ClientResponse) -> FeedFetched:
            moved = current if permanent and current != url else None
            if response.status == 304 or response.status in (404, 410):
                return FeedFetched(current, response.status, "", None, None, moved)
            if response.status >= 400:
                raise FetchError(f"{_name(current)}: the site answered HTTP {response.status}")
            return FeedFetched(
                current,
                response.status,
                await self._body(current, response),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                moved,
            )

        return await self._follow(url, headers, feed)

    def check_url(self, url: str) -> None:
        """Refuse an address before connecting: not http(s), credentials in it, a host written as an
        address that is not public."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{_name(url)}: is not a web address (http:// or https://)")
        if parts.username is not None or parts.password is not None:
            raise FetchError(
                f"{_name(url)}: has a user name or password in it; give the address without them"
            )
        literal = literal_address(parts.hostname)
        if literal is not None and not self.allow_private:
            why = refused_address(literal)
            if why is not None:
                raise FetchError(
                    f"{_name(url)}: is a {why} address ({literal}); only public web addresses are fetched"
                )

    async def _read(self, url: str, response: aiohttp.ClientResponse) -> Fetched:
        etag, last_modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if response.status == 304:
            return Fetched(url, "html", "", 304, etag, last_modified)
        if response.status in {404, 410}:
            raise FetchError(f"{_name(url)}: not found (HTTP {response.status}); check the address")
        content_type = response.content_type.lower()
        kind = PAGE_TYPES.get(content_type)
        if response.status >= 400:
            if response.status in (401, 403, 429, 503) and kind == "html":
                body = await self._body(url, response)
                return Fetched(url, kind, body, response.status)
            raise FetchError(f"{_name(url)}: the site answered HTTP {response.status}, not the page")
        if kind is None:
            raise FetchError(
                f"{_name(url)}: is {content_type or 'of no stated type'}, not a web page (HTML, Markdown or"
                " plain text)"
            )
        declared = response.content_length
        if declared is not None and declared > self.max_bytes:
            raise FetchError(_too_large(url, declared, self.max_bytes))
        return Fetched(url, kind, await self._body(url, response), response.status, etag, last_modified)

    async def _body(self, url: str, response: aiohttp.ClientResponse) -> str:
        data = bytearray()
        async for chunk in response.content.iter_chunked(64 * 1024):
            data += chunk
            if len(data) > self.max_bytes:
                raise FetchError(_too_large(url, len(data), self.max_bytes))
        return _decode(bytes(data), response.charset)


def _decode(data: bytes, charset: str | None) -> str:
    if charset is None:
        declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", data[:4096], re.I)
        charset = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _too_large(url: str, size: int, limit: int) -> str:
    return (
        f"{_name(url)}: is too large (over {limit / 1e6:.0f} MB; the limit is {limit / 1e6:.0f} MB)"
        if (size > limit)
        else f"{_name(url)}: is too large"
    )


def _name(url: str) -> str:
    parts = urlsplit(url)
    shown = (parts.hostname or "") + (f":{parts.port}" if _port(parts) else "") + parts.path
    return (shown or url)[:120]


def _port(parts: Any) -> int | None:
    try:
        return int(parts.port) if parts.port else None
    except ValueError:
        return None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:160] or type(error).__name__
