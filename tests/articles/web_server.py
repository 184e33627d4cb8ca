"""A local web server standing in for the sites articles are imported from, and a resolver that routes
their names to it while the fetcher's address guard checks the sites' public addresses (so the guard is
on in every test but its own). Nothing leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import functools
import hashlib
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from bot.domain.article import Article
from bot.services.addresses import Address
from bot.services.webfetch import Fetcher
from bot.services.webimport import fetch_article_page

PAGES = Path(__file__).parent / "web_pages"
PUBLIC_IP = "93.184.215.14"
"""The address every routed site "resolves" to for the guard: a public one, never connected to."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def page(name: str) -> str:
    """A saved page's text (see web_pages/ORIGIN.md)."""
    return (PAGES / name).read_text(encoding="utf-8")


async def fetch_article(
    fetcher: Fetcher, url: str, target_chars: int, progress: Callable[[str], Awaitable[None]] | None = None
) -> Article:
    """The article at ``url`` as the import reads it (:func:`fetch_article_page`), for the tests of
    the reading, which have no use for the page's validators."""
    fetched = await fetch_article_page(fetcher, url, target_chars, progress)
    assert fetched.article is not None  # asked unconditionally: never a 304
    return fetched.article


@dataclass
class Site:
    """What the local server answers, by host and path (the path as the client sent it)."""

    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    resolved: dict[str, str] = field(default_factory=dict)
    """Hosts that resolve to another (non-public) address, to test the guard."""
    port: int = 0
    tls_port: int = 0
    hits: list[str] = field(default_factory=list)
    not_modified: list[str] = field(default_factory=list)
    """The hits answered 304 (a conditional request for a page that had not changed)."""
    client_tls: ssl.SSLContext | None = None
    """What the fetcher trusts: the local server's own certificate, which names every routed host."""

    def html(
        self, host: str, path: str, body: str, status: int = 200, content_type: str = "text/html"
    ) -> None:
        """Serve ``body`` at ``host`` and ``path``. A 200 carries an ``ETag`` (the body's hash) and a
        ``Last-Modified`` (when it was set here), and answers a conditional request as a real
        server does (RFC 9110 13.2.2): 304 with no body when ``If-None-Match`` names its ETag, or,
        only when there is no ``If-None-Match``, when ``If-Modified-Since`` is not before it."""
        data = body.encode("utf-8")
        etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
        modified = dt.datetime.now(dt.UTC).replace(microsecond=0)
        validators = {"ETag": etag, "Last-Modified": email.utils.format_datetime(modified, usegmt=True)}

        async def handler(request: web.Request) -> web.StreamResponse:
            if status != 200:
                return web.Response(body=data, status=status, content_type=content_type, charset="utf-8")
            if not_modified(request, etag, modified):
                self.not_modified.append(f"{host}{request.raw_path}")
                return web.Response(status=304, headers=validators)
            return web.Response(
                body=data, status=status, content_type=content_type, charset="utf-8", headers=validators
            )

        self.routes[(host, path)] = handler

    def handle(self, host: str, path: str, handler: Handler) -> None:
        self.routes[(host, path)] = handler

    async def resolve(self, host: str, port: int) -> Sequence[Address]:
        """Every name resolves to the local server; the guard sees ``PUBLIC_IP`` (or a name's address
        in ``resolved``)."""
        local = self.tls_port if port == 443 else self.port
        return [Address(self.resolved.get(host, PUBLIC_IP), "127.0.0.1", local)]

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        host = request.host.split(":")[0]
        self.hits.append(f"{host}{request.raw_path}")
        handler = self.routes.get((host, request.raw_path)) or self.routes.get((host, request.path))
        if handler is None:
            return web.Response(status=404, text="no such page", content_type="text/html")
        return await handler(request)


def not_modified(request: web.Request, etag: str, modified: dt.datetime) -> bool:
    """Whether a conditional GET is answered 304 (RFC 9110 13.1.2, 13.1.3, 13.2.2): ``If-None-Match``
    (any of its tags, compared weakly, or ``*``) decides when present; else ``If-Modified-Since``,
    a date at or after the last modification."""
    asked = request.headers.get("If-None-Match")
    if asked is not None:
        tags = {t.strip().removeprefix("W/") for t in asked.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an invalid date is ignored (RFC 9110 13.1.3)
    return when.tzinfo is not None and when >= modified


HOSTS = (
    "lemire.me",
    "web.archive.org",
    "netzpolitik.org",
    "registan.net",
    "*.registan.net",
    "notes.example.org",
    "plentylife.blogspot.com",
)


@functools.cache
def certificate() -> tuple[str, str]:
    """A self-signed certificate (and its key) naming every routed host, made once per test process
    with the system's openssl: https is served and checked as it is on the web. An elliptic-curve
    key, made at once (an RSA key took a tenth of a second of CPU in each worker)."""
    folder = tempfile.mkdtemp(prefix="readalong-tls-")
    cert, key = f"{folder}/cert.pem", f"{folder}/key.pem"
    names = ",".join(f"DNS:{h}" for h in HOSTS)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=readalong-test", "-addext", f"subjectAltName={names}",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@asynccontextmanager
async def serving() -> AsyncIterator[Site]:
    """A :class:`Site` served on free ports of 127.0.0.1 for the duration, plain and TLS."""
    site = Site()
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", site._dispatch)
    runner = web.AppRunner(app)
    await runner.setup()
    cert, key = certificate()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    site.client_tls = ssl.create_default_context(cafile=cert)
    ports = []
    for context in (None, server_tls):
        tcp = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
        await tcp.start()
        server = tcp._server
        assert server is not None
        ports.append(server.sockets[0].getsockname()[1])  # type: ignore[attr-defined]
    site.port, site.tls_port = ports
    try:
        yield site
    finally:
        await runner.cleanup()


async def trickle(request: web.Request) -> web.StreamResponse:
    """A page that sends a byte every half second, forever (a slow or hostile server)."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    for _ in range(1000):
        await response.write(b"<p>.")
        await asyncio.sleep(0.5)
    return response


async def endless(request: web.Request) -> web.StreamResponse:
    """A page with no length that never ends (past the size cap), as chunks."""
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    await response.prepare(request)
    chunk = b"<p>" + b"x" * 65_000 + b"</p>"
    for _ in range(100):
        await response.write(chunk)
    return response


def redirect(to: str, status: int = 302) -> Handler:
    """A handler answering with a redirect to ``to``."""

    async def handler(_: web.Request) -> web.StreamResponse:
        return web.Response(status=status, headers={"Location": to})

    return handler


WAYBACK_TOOLBAR = """<!-- BEGIN WAYBACK TOOLBAR INSERT -->
<div id="wm-ipp-base" lang="en" style="display:none;direction:ltr;">
<div id="wm-ipp" style="position:fixed;left:0;top:0;right:0;">
<div id="donato"><p>The Wayback Machine - https://web.archive.org/web/20190806000000/https://lemire.me/blog/</p>
<p>Wayback Machine: 1,234 captures 02 Aug 2019 - 05 Dec 2024. Donate. Please enable JavaScript for the full toolbar.</p>
</div></div></div>
<!-- END WAYBACK TOOLBAR INSERT -->
"""


def wayback_wrapped(html: str, time: str) -> str:
    """A page as web.archive.org serves a capture (not ``id_``): its scripts and toolbar added, every
    absolute link rewritten to ``/web/<time>/…``."""
    rewritten = html.replace('href="https://', f'href="/web/{time}/https://').replace(
        "href='https://", f"href='/web/{time}/https://"
    )
    head = (
        '<script src="//archive.org/includes/analytics.js?v=cf34f82" type="text/javascript"></script>\n'
        '<script type="text/javascript" src="/_static/js/wombat.js?v=txqj7nKC"></script>\n'
        '<link rel="stylesheet" type="text/css" href="/_static/css/banner-styles.css?v=S1zqJCYt" />\n'
    )
    rewritten = rewritten.replace("<head>", "<head>\n" + head, 1)
    at = rewritten.find("<body")
    at = rewritten.find(">", at) + 1
    return rewritten[:at] + WAYBACK_TOOLBAR + rewritten[at:]
