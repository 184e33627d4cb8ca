"""Fetching an article by its address (issue 23) from a local server on 127.0.0.1 standing in for the
sites, with the address guard on: every refusal in one line, nothing imported; a Wayback capture read
as the original page; paged comments followed; ``readalong import URL`` end to end."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ReadalongError
from bot.services.addresses import literal_address, refused_address
from bot.services.articles import import_article
from bot.services.webfetch import Fetcher, user_agent
from bot.services.webimport import fetch_article_page
from bot.store import Store
from tests.articles.test_web_pages import LEMIRE, NETZ, split_comment_pages
from tests.articles.web_server import (
    Site,
    endless,
    fetch_article,
    page,
    redirect,
    serving,
    trickle,
    wayback_wrapped,
)
from tests.conftest import readalong

TARGET = 1500


def fetcher(site: Site, **kwargs: float) -> Fetcher:
    return Fetcher(resolve=site.resolve, tls=site.client_tls, **kwargs)  # type: ignore[arg-type]


async def refused(site: Site, url: str, **kwargs: float) -> str:
    with pytest.raises(ReadalongError) as error:
        await fetch_article(fetcher(site, **kwargs), url, TARGET)
    message = str(error.value)
    assert "\n" not in message, message
    return message


async def test_real_page_imports_with_its_comments_and_the_same_page_again_is_already_there(
    tmp_path: Path,
) -> None:
    async with serving() as site:
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        said: list[str] = []

        async def progress(text: str) -> None:
            said.append(text)

        article = await fetch_article(fetcher(site), LEMIRE, TARGET, progress)
        assert said[0].startswith("fetching lemire.me/blog/") and "found 5 comments…" in said
        assert article.title == "JSON parsing: simdjson vs. JSON for Modern C++" and article.url == LEMIRE
        assert len(article.comments) == 5 and article.comments[2].reply_to == 2
        async with Store(tmp_path / "r.db") as store:
            first = await import_article(store, article, guild_id=1)
            again = await import_article(
                store, await fetch_article(fetcher(site), LEMIRE, TARGET), guild_id=1
            )
            assert first.created and not again.created and again.article.id == first.article.id
            stored = await store.articles.get(first.article.id)
            assert stored.url == LEMIRE and [c.reply_to for c in stored.comments] == [None, None, 2, None, 4]


async def test_wayback_capture_fetches_the_raw_snapshot_and_keeps_the_original_address() -> None:
    async with serving() as site:
        time = "20190806000000"
        site.html("web.archive.org", f"/web/{time}id_/{LEMIRE}", page("lemire.me.json.html"))
        site.html(
            "web.archive.org", f"/web/{time}/{LEMIRE}", wayback_wrapped(page("lemire.me.json.html"), time)
        )
        fetched = await fetch_article_page(
            fetcher(site), f"https://web.archive.org/web/{time}/{LEMIRE}", TARGET
        )
        assert fetched.article is not None and fetched.article.url == LEMIRE
        assert site.hits == [f"web.archive.org/web/{time}id_/{LEMIRE}"]
        assert "Wayback" not in fetched.article.body and len(fetched.article.comments) == 5
        # The archive's ETag and Last-Modified are not the post's: none is kept for comment follow,
        # which fetches the original address.
        assert (fetched.etag, fetched.last_modified) == (None, None)


async def test_paged_comments_are_followed() -> None:
    older, newest = split_comment_pages(page("netzpolitik.org.abmahnungen.html"), NETZ)
    path = NETZ.removeprefix("https://netzpolitik.org")
    async with serving() as site:
        site.html("netzpolitik.org", path, newest)
        site.html("netzpolitik.org", path + "comment-page-1/", older)
        article = await fetch_article(fetcher(site), NETZ, TARGET)
        assert len(article.comments) == 74
        assert [c.author for c in article.comments[:2]] == ["blah blubb", "Rafael"]
        assert article.comments[1].reply_to == 1


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1/post", "is a loopback address (127.0.0.1)"),
        ("http://2130706433/post", "is a loopback address (127.0.0.1)"),
        ("http://0x7f.1/post", "is a loopback address (127.0.0.1)"),
        ("http://[::1]/post", "is a loopback address (::1)"),
        ("http://[::ffff:127.0.0.1]/post", "is a loopback address (::ffff:7f00:1)"),
        ("http://10.1.2.3/post", "is a private address (10.1.2.3)"),
        ("http://192.168.0.10/post", "is a private address (192.168.0.10)"),
        ("http://169.254.169.254/latest/meta-data/", "is a link-local address (169.254.169.254)"),
        ("http://[fe80::1]/post", "is a link-local address (fe80::1)"),
        ("http://224.0.0.1/post", "is a multicast address (224.0.0.1)"),
        ("http://0.0.0.0/post", "is a unspecified address (0.0.0.0)"),
        ("http://240.0.0.1/post", "is a reserved address (240.0.0.1)"),
        ("http://user:secret@registan.net/post", "has a user name or password in it"),
        ("ftp://registan.net/post", "is not a web address"),
    ],
)
async def test_addresses_inside_the_network_are_refused_before_connecting(url: str, said: str) -> None:
    async with serving() as site:
        site.html("registan.net", "/post", page("lemire.me.json.html"))
        message = await refused(site, url)
        assert said in message
        assert site.hits == []
        assert "secret" not in message


async def test_a_name_resolving_to_a_private_address_and_a_redirect_into_one_are_refused() -> None:
    async with serving() as site:
        site.resolved["intranet.registan.net"] = "10.0.0.7"
        site.resolved["v6.registan.net"] = "::ffff:192.168.1.1"
        site.html("intranet.registan.net", "/post", page("lemire.me.json.html"))
        message = await refused(site, "http://intranet.registan.net/post")
        assert message == (
            "intranet.registan.net: resolves to a private address (10.0.0.7); only public web addresses are fetched"
        )
        assert "private address" in await refused(site, "http://v6.registan.net/post")
        site.handle("registan.net", "/go", redirect("http://intranet.registan.net/post"))
        site.handle("registan.net", "/go-literal", redirect("http://127.0.0.1:1/post"))
        assert "resolves to a private address (10.0.0.7)" in await refused(site, "https://registan.net/go")
        assert "is a loopback address" in await refused(site, "https://registan.net/go-literal")
        assert site.hits == ["registan.net/go", "registan.net/go-literal"]


async def test_each_bound_is_a_one_line_refusal() -> None:
    async with serving() as site:
        site.handle("registan.net", "/slow", trickle)
        site.handle("registan.net", "/huge", endless)
        site.html("registan.net", "/big", "<p>" + "x" * 2_100_000 + "</p>")
        site.html("registan.net", "/pdf", "%PDF-1.4", content_type="application/pdf")
        site.html("registan.net", "/gone", "<h1>Gone</h1>", status=410)
        site.html("registan.net", "/err", "<h1>oops</h1>", status=500)
        site.html("registan.net", "/nothing", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
        for hop in range(7):
            site.handle("registan.net", f"/r{hop}", redirect(f"/r{hop + 1}"))
        assert await refused(site, "https://registan.net/missing") == (
            "registan.net/missing: not found (HTTP 404); check the address"
        )
        assert "not found (HTTP 410)" in await refused(site, "https://registan.net/gone")
        assert "answered HTTP 500" in await refused(site, "https://registan.net/err")
        assert await refused(site, "https://registan.net/slow", timeout=1.0) == (
            "registan.net/slow: too slow (no whole page within 1 s); try again later"
        )
        assert "is too large (over 2 MB; the limit is 2 MB)" in await refused(
            site, "https://registan.net/huge"
        )
        assert "is too large" in await refused(site, "https://registan.net/big")
        assert "is application/pdf, not a web page" in await refused(site, "https://registan.net/pdf")
        assert "more than 5 redirects" in await refused(site, "https://registan.net/r0")
        assert "no article text found" in await refused(site, "https://registan.net/nothing")


async def test_a_challenge_with_403_is_named() -> None:
    challenge = (
        "<html><head><title>Just a moment...</title></head><body>"
        "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>"
    )
    async with serving() as site:
        site.html("registan.net", "/post", challenge, status=403)
        message = await refused(site, "https://registan.net/post")
        assert message.startswith("registan.net/post: is a bot-protection challenge (HTTP 403)")
        assert "Wayback Machine capture" in message


async def test_markdown_and_plain_text_pages_import_like_files() -> None:
    markdown = "---\ntitle: Oil Town Notes\nauthor: Jane Roe\n---\n\nThe strike began in May.\n\n## After\n\nTrials.\n"
    async with serving() as site:
        site.html("notes.example.org", "/oil", markdown, content_type="text/markdown")
        article = await fetch_article(fetcher(site), "https://notes.example.org/oil", TARGET)
        assert (article.title, article.author, article.url) == (
            "Oil Town Notes",
            "Jane Roe",
            "https://notes.example.org/oil",
        )
        assert [s.heading for s in article.sections][-1] == "After"


def test_the_guard_classifies_addresses() -> None:
    assert refused_address("93.184.215.14") is None
    assert refused_address("2606:4700::6810:84e5") is None
    assert refused_address("100.64.0.1") is not None  # carrier-grade NAT: not public
    assert refused_address("::ffff:10.0.0.1") == "private"
    assert refused_address("64:ff9b::a9fe:a9fe") == "link-local"  # NAT64 of 169.254.169.254
    assert refused_address("2002:7f00:1::") == "loopback"  # 6to4 of 127.0.0.1
    assert literal_address("017700000001") == "127.0.0.1"
    assert literal_address("registan.net") is None
    assert user_agent().startswith("Readalong/")


async def test_cli_imports_by_url_only_with_private_addresses_allowed(tmp_path: Path) -> None:
    """The guard's own test: a page on 127.0.0.1 is refused by ``readalong import`` unless
    ``READALONG_ALLOW_PRIVATE_URLS=1``, and then imported with its comments."""
    async with serving() as site:
        site.html("127.0.0.1", "/post", page("lemire.me.json.html"))
        url = f"http://127.0.0.1:{site.port}/post"
        db = tmp_path / "r.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("READALONG_", "DISCORD_"))}

        async def cli(*args: str, **extra: str) -> tuple[int, str, str]:
            # The CLI's main in a thread of this process: the guard is the point, not the process.
            done = await asyncio.to_thread(
                readalong, "--db", str(db), *args, cwd=tmp_path, env={**env, **extra}
            )
            return done.returncode, done.stdout, done.stderr

        status, out, err = await cli("import", url)
        assert status == 2 and out == ""
        assert err.strip() == (
            f"readalong: error: 127.0.0.1:{site.port}/post: is a loopback address (127.0.0.1); only public"
            " web addresses are fetched"
        )
        assert site.hits == [] and not db.exists()  # refused before any database is made
        status, out, err = await cli("import", url, READALONG_ALLOW_PRIVATE_URLS="1")
        assert status == 0, err
        assert "5 comments" in out and out.splitlines()[-1] == "json-parsing-simdjson-vs-json-for-modern-c"
        assert "found 5 comments…" in err
        # The page's validators are kept with it: the first fetch for new comments is conditional.
        with contextlib.closing(sqlite3.connect(db)) as connection:
            [(etag, modified)] = connection.execute("SELECT page_etag, page_last_modified FROM articles")
        assert etag and modified
        status, out, _ = await cli("import", url, READALONG_ALLOW_PRIVATE_URLS="1")
        assert status == 0 and out.startswith("Already there:")


async def test_user_agent_is_sent() -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("User-Agent", ""))
        return web.Response(text=page("lemire.me.json.html"), content_type="text/html")

    async with serving() as site:
        site.handle("lemire.me", "/p", handler)
        await fetch_article(fetcher(site), "https://lemire.me/p", TARGET)
    assert seen and seen[0].startswith("Readalong/")


def test_the_setting_that_lifts_the_guard() -> None:
    from bot.errors import SettingsError
    from bot.settings import Settings

    assert Settings.from_mapping({}).allow_private_urls is False
    assert Settings.from_mapping({"READALONG_ALLOW_PRIVATE_URLS": "1"}).allow_private_urls is True
    assert Settings.from_mapping({"READALONG_ALLOW_PRIVATE_URLS": "1"}).warnings() == []
    with pytest.raises(SettingsError):
        Settings.from_mapping({"READALONG_ALLOW_PRIVATE_URLS": "maybe"})


PRIVATE_V4 = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "0.0.0.0/8"]


@settings(max_examples=200, deadline=None)
@given(
    network=st.sampled_from(PRIVATE_V4),
    offset=st.integers(min_value=0, max_value=2**24 - 1),
    spelling=st.sampled_from(["dotted", "decimal", "hex", "octal", "mapped", "nat64", "short"]),
)
def test_every_spelling_of_an_inside_address_is_refused(network: str, offset: int, spelling: str) -> None:
    """However a browser would read the host as an address, the guard reads the same address."""
    net = ipaddress.ip_network(network)
    address = net[offset % net.num_addresses]
    number = int(address)
    host = {
        "dotted": str(address),
        "decimal": str(number),
        "hex": hex(number),
        "octal": ".".join("0" + oct(int(part))[2:] for part in str(address).split(".")),
        "mapped": f"[::ffff:{address}]",
        "nat64": f"[64:ff9b::{number >> 16:x}:{number & 0xFFFF:x}]",
        "short": f"{number >> 24}.{number & 0xFFFFFF}",
    }[spelling]
    with pytest.raises(ReadalongError) as refused:
        Fetcher().check_url(f"http://{host}/post")
    assert "only public web addresses are fetched" in str(refused.value)


async def test_a_wayback_capture_follows_its_comment_pages_inside_the_archive() -> None:
    older, newest = split_comment_pages(page("netzpolitik.org.abmahnungen.html"), NETZ)
    time = "20160701000000"
    async with serving() as site:
        site.html("web.archive.org", f"/web/{time}id_/{NETZ}", newest)
        site.html("web.archive.org", f"/web/{time}id_/{NETZ}comment-page-1/", older)
        article = await fetch_article(fetcher(site), f"https://web.archive.org/web/{time}/{NETZ}", TARGET)
        assert article.url == NETZ and len(article.comments) == 74
        assert all(hit.startswith("web.archive.org/") for hit in site.hits)  # never the live site


async def test_comment_pages_are_followed_up_to_the_bound() -> None:
    from bot.articles.web import MAX_COMMENT_PAGES
    from tests.articles.test_web_pages import wordpress_html

    base = "https://registan.net/2012/12/18/post/"
    async with serving() as site:
        pages = 15
        for number in range(1, pages + 1):
            html, _ = wordpress_html([(None, f"Reader {number}", f"Comment on page {number}.")])
            html = html.replace('id="comment-100"', f'id="comment-{number}"')
            older = (
                f"<a href='{base}comment-page-{number - 1}/#comments'>Older Comments</a>"
                if number > 1
                else ""
            )
            html = html.replace("</section>", older + "</section>")
            path = "/2012/12/18/post/" + (f"comment-page-{number}/" if number < pages else "")
            site.html("registan.net", path, html)
        article = await fetch_article(fetcher(site), base, TARGET)
        assert len(site.hits) == 1 + MAX_COMMENT_PAGES
        readers = [c.author for c in article.comments if c.author.startswith("Reader ")]
        assert readers[-1] == f"Reader {pages}" and f"Reader {pages - MAX_COMMENT_PAGES}" in readers
        assert f"Reader {pages - MAX_COMMENT_PAGES - 1}" not in readers
        # Ordered as the blog numbers them: the oldest page read first, the article's own (newest) last.
        assert readers == [f"Reader {n}" for n in range(pages - MAX_COMMENT_PAGES, pages + 1)]
