"""Following a blog (issue 27): feeds and pages served from 127.0.0.1 (names routed by the test
site, the address guard on), the real web import, a real store on SQLite and PostgreSQL. Polls
are triggered by calling ``poll_due`` with the time wanted: nothing waits for a clock."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import email.utils
from collections.abc import Sequence

import pytest
from aiohttp import web

from bot.domain.clock import Clock, ManualClock
from bot.domain.database import Database
from bot.errors import ReadalongError
from bot.services import feeds as feeds_service
from bot.services.feeds import PollOptions, poll_due
from bot.services.posting import PostingChange, PostingEvents, PostTarget
from bot.services.webfetch import Fetcher
from bot.store import Store
from tests.articles.test_web_pages import LEMIRE, NETZ
from tests.articles.web_server import Site, page, redirect, serving
from tests.conftest import both_backends

pytestmark = both_backends

GUILD, CHANNEL, ADMIN = 10, 20, 30
TARGET = PostTarget(GUILD, CHANNEL, "text")
FEED = "https://lemire.me/blog/feed/"
OLD = "https://lemire.me/blog/2019/07/01/an-older-post/"
T0 = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
EVERY = dt.timedelta(minutes=15)


def rss(*links: str, guid: bool = True) -> str:
    """An RSS 2.0 feed of ``links``, newest first, each dated a day before the previous."""
    items = "".join(
        f"<item><title>Post {n}</title><link>{link}</link>"
        + (f"<guid>{link}#guid</guid>" if guid else "")
        + f"<pubDate>{(T0 - dt.timedelta(days=n)).strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for n, link in enumerate(links)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Lemire</title>{items}</channel></rss>'


def serve_feed(site: Site, host: str, path: str, text: str) -> None:
    site.html(host, path, text, content_type="application/rss+xml")


def serve_scheduled_feed(
    site: Site, host: str, path: str, clock: Clock, entries: Sequence[tuple[str, dt.datetime]]
) -> None:
    """A blog's RSS feed as it stands at ``clock``'s time (the one the sandbox and the bot share):
    of ``entries`` (link, publication), those published by then, newest first, so a post the
    blog scheduled for tomorrow is in its feed from tomorrow on."""

    async def handler(_: web.Request) -> web.StreamResponse:
        now = clock.now()
        shown = sorted((e for e in entries if e[1] <= now), key=lambda e: e[1], reverse=True)
        items = "".join(
            f"<item><title>{link.rsplit('/', 2)[-2]}</title><link>{link}</link><guid>{link}</guid>"
            f"<pubDate>{email.utils.format_datetime(published, usegmt=True)}</pubDate></item>"
            for link, published in shown
        )
        text = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Lemire</title>{items}</channel></rss>'
        )
        return web.Response(text=text, content_type="application/rss+xml")

    site.handle(host, path, handler)


def options(site: Site, events: PostingEvents | None = None, feed_timeout: float = 5.0) -> PollOptions:
    fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)
    return PollOptions(fetcher, events or PostingEvents(), 1500, every=EVERY, feed_timeout=feed_timeout)


async def postings(store: Store) -> list[tuple[str, int]]:
    return [(p.article_id, p.channel_id) for p in await store.postings.for_guild(GUILD)]


async def test_a_new_entry_is_posted_once_with_its_comments_and_not_again_after_a_restart(
    database: Database,
) -> None:
    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        async with Store(database) as store:
            feed = await feeds_service.follow(
                store,
                FEED,
                TARGET,
                pace_minutes=60,
                backfill=0,
                admin_id=ADMIN,
                options=options(site),
                now=T0,
            )
            assert feed.title == "Lemire" and feed.next_poll_at == T0 + EVERY
            first = await poll_due(store, options(site), T0 + EVERY)
            assert first.polled == 1 and first.posted == () and await postings(store) == []
            assert not any("an-older-post" in hit for hit in site.hits)  # what was there is not fetched

            serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
            second = await poll_due(store, options(site), T0 + 2 * EVERY)
            assert second.new_entries == 1 and len(second.posted) == 1
            posting = await store.postings.get(second.posted[0])
            article = await store.articles.get(posting.article_id)
            assert posting.channel_id == CHANNEL and posting.with_comments and posting.pace_minutes == 60
            assert article.url == LEMIRE and len(article.comments) == 5
            again = await poll_due(store, options(site), T0 + 3 * EVERY)
            assert again.polled == 1 and again.new_entries == 0 and again.posted == ()
        async with Store(database) as restarted:  # a new bot on the same database
            after = await poll_due(restarted, options(site), T0 + 4 * EVERY)
            assert after.polled == 1 and after.posted == ()
            assert len(await postings(restarted)) == 1
            listed = await feeds_service.listing(restarted, GUILD)
            assert listed[0].posted == 1 and listed[0].last_error is None


async def test_two_pollers_on_one_database_post_each_entry_once(database: Database) -> None:
    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        site.html(
            "netzpolitik.org",
            NETZ.removeprefix("https://netzpolitik.org"),
            page("netzpolitik.org.abmahnungen.html"),
        )
        async with Store(database) as one, Store(database) as two:
            await feeds_service.follow(
                one, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=options(site), now=T0
            )
            serve_feed(site, "lemire.me", "/blog/feed/", rss(NETZ, LEMIRE, OLD))
            a, b = await asyncio.gather(
                poll_due(one, options(site), T0 + EVERY), poll_due(two, options(site), T0 + EVERY)
            )
            assert len(a.posted) + len(b.posted) == 2
            made = await postings(one)
            assert len(made) == 2 and len(set(made)) == 2
            # Long after (every claim's lease over), nothing is posted again by either.
            later = T0 + EVERY + dt.timedelta(hours=2)
            c, d = await asyncio.gather(
                poll_due(one, options(site), later), poll_due(two, options(site), later)
            )
            assert c.posted == d.posted == () and len(await postings(two)) == 2


async def test_backfill_posts_the_newest_entries_only(database: Database) -> None:
    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        heard: list[PostingChange] = []

        class Listener:
            def posting_changed(self, change: PostingChange, /) -> None:
                heard.append(change)

            async def settled(self, posting_id: int, within: float, /) -> bool:
                return True

        events = PostingEvents()
        events.subscribe(Listener())
        async with Store(database) as store:
            feed = await feeds_service.follow(
                store,
                FEED,
                TARGET,
                pace_minutes=0,
                backfill=1,
                admin_id=ADMIN,
                options=options(site, events),
                now=T0,
            )
            report = await poll_due(store, options(site, events), T0)  # not due yet: the backfill goes out
            assert report.polled == 0 and len(report.posted) == 1
            assert [c.kind for c in heard] == ["posted"]
            states = await store.feeds.entry_states(feed.id)
            assert states == {f"{LEMIRE}#guid": "posted", f"{OLD}#guid": "skipped"}


async def test_a_failing_or_slow_feed_is_reported_and_never_delays_another(database: Database) -> None:
    release = asyncio.Event()

    async def hangs(_: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text=rss(), content_type="application/rss+xml")

    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        serve_feed(site, "notes.example.org", "/broken.xml", rss())
        serve_feed(site, "notes.example.org", "/slow.xml", rss())
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )
        posted = asyncio.Event()

        class Listener:
            def posting_changed(self, change: PostingChange, /) -> None:
                posted.set()

            async def settled(self, posting_id: int, within: float, /) -> bool:
                return True

        events = PostingEvents()
        events.subscribe(Listener())
        opts = options(site, events, feed_timeout=0.8)
        async with Store(database) as store:
            for url in (FEED, "https://notes.example.org/broken.xml", "https://notes.example.org/slow.xml"):
                await feeds_service.follow(
                    store, url, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=opts, now=T0
                )
            site.html("notes.example.org", "/broken.xml", "oops", status=500)
            site.handle("notes.example.org", "/slow.xml", hangs)
            serve_feed(site, "lemire.me", "/blog/feed/", rss(LEMIRE, OLD))
            polling = asyncio.create_task(poll_due(store, opts, T0 + EVERY))
            await asyncio.wait_for(posted.wait(), 5)
            assert not polling.done()  # the good feed's entry went out while the slow one still hung
            report = await polling
            release.set()
            assert len(report.posted) == 1
            listed = {f.url: f for f in await feeds_service.listing(store, GUILD)}
            broken, slow = (
                listed["https://notes.example.org/broken.xml"],
                listed["https://notes.example.org/slow.xml"],
            )
            assert broken.last_error is not None and "HTTP 500" in broken.last_error and broken.failures == 1
            assert slow.last_error is not None and "too slow" in slow.last_error
            assert broken.next_poll_at == T0 + 2 * EVERY and listed[FEED].last_error is None
            # A second failure in a row waits twice as long.
            await poll_due(store, opts, T0 + 2 * EVERY)
            broken = await store.feeds.get(broken.id)
            assert broken.failures == 2 and broken.next_poll_at == T0 + 2 * EVERY + 2 * EVERY


async def test_a_moved_feed_is_followed_to_its_new_address_and_a_vanished_one_reported(
    database: Database,
) -> None:
    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        serve_feed(site, "notes.example.org", "/old.xml", rss(OLD))
        async with Store(database) as store:
            opts = options(site)
            moved = await feeds_service.follow(
                store, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=opts, now=T0
            )
            gone = await feeds_service.follow(
                store,
                "https://notes.example.org/old.xml",
                TARGET,
                pace_minutes=0,
                backfill=0,
                admin_id=ADMIN,
                options=opts,
                now=T0,
            )
            site.handle("lemire.me", "/blog/feed/", redirect("https://lemire.me/feed.xml", status=301))
            serve_feed(site, "lemire.me", "/feed.xml", rss(OLD))
            site.html("notes.example.org", "/old.xml", "gone", status=410)
            await poll_due(store, opts, T0 + EVERY)
            assert (await store.feeds.get(moved.id)).url == "https://lemire.me/feed.xml"
            vanished = await store.feeds.get(gone.id)
            assert (
                vanished.state == "gone" and vanished.last_error is not None and "410" in vanished.last_error
            )
            site.hits.clear()
            await poll_due(store, opts, T0 + 2 * EVERY)
            assert "lemire.me/feed.xml" in site.hits and not any("old.xml" in hit for hit in site.hits)


async def test_following_refuses_in_one_line_and_keeps_nothing(database: Database) -> None:
    async with serving() as site:
        site.html("lemire.me", "/blog/", "<html><head><title>no feed</title></head><body>hi</body></html>")
        async with Store(database) as store:
            for url, said in (
                ("https://lemire.me/blog/", "neither a feed nor a page naming one"),
                ("https://lemire.me/nothing.xml", "not found"),
                ("ftp://lemire.me/feed", "not a web address"),
            ):
                with pytest.raises(ReadalongError) as error:
                    await feeds_service.follow(
                        store,
                        url,
                        TARGET,
                        pace_minutes=0,
                        backfill=0,
                        admin_id=ADMIN,
                        options=options(site),
                        now=T0,
                    )
                assert said in str(error.value) and "\n" not in str(error.value)
            serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
            await feeds_service.follow(
                store, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=options(site), now=T0
            )
            with pytest.raises(ReadalongError, match="already followed"):
                await feeds_service.follow(
                    store,
                    FEED,
                    TARGET,
                    pace_minutes=0,
                    backfill=0,
                    admin_id=ADMIN,
                    options=options(site),
                    now=T0,
                )
            assert len(await feeds_service.listing(store, GUILD)) == 1


async def test_a_blog_page_finds_its_feed_and_pause_resume_unfollow(database: Database) -> None:
    async with serving() as site:
        site.html(
            "lemire.me",
            "/blog/",
            '<html><head><link rel="alternate" type="application/rss+xml" href="/blog/feed/"></head></html>',
        )
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        async with Store(database) as store:
            opts = options(site)
            feed = await feeds_service.follow(
                store,
                "https://lemire.me/blog/",
                TARGET,
                pace_minutes=0,
                backfill=0,
                admin_id=ADMIN,
                options=opts,
                now=T0,
            )
            assert feed.url == FEED
            assert (await feeds_service.pause(store, GUILD, f"#{feed.id}")).state == "paused"
            assert (await poll_due(store, opts, T0 + EVERY)).polled == 0
            resumed = await feeds_service.resume(store, GUILD, FEED, now=T0 + EVERY)
            assert resumed.state == "active" and (await poll_due(store, opts, T0 + EVERY)).polled == 1
            await feeds_service.unfollow(store, GUILD, str(feed.id))
            assert await feeds_service.listing(store, GUILD) == []
            with pytest.raises(ReadalongError, match="No feed"):
                await feeds_service.pause(store, GUILD, str(feed.id))


async def test_an_entry_whose_page_fails_is_tried_again_and_one_that_is_gone_is_reported(
    database: Database,
) -> None:
    async with serving() as site:
        serve_feed(site, "lemire.me", "/blog/feed/", rss(OLD))
        async with Store(database) as store:
            opts = options(site)
            feed = await feeds_service.follow(
                store, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=opts, now=T0
            )
            lemire_path = "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/"
            site.html("lemire.me", lemire_path, "busy", status=503, content_type="text/plain")
            gone = "https://lemire.me/blog/2019/09/01/deleted/"
            serve_feed(site, "lemire.me", "/blog/feed/", rss(gone, LEMIRE, OLD))
            first = await poll_due(store, opts, T0 + EVERY)
            assert first.new_entries == 2 and first.posted == ()
            states = await store.feeds.entry_states(feed.id)
            assert states[f"{LEMIRE}#guid"] == "pending" and states[f"{gone}#guid"] == "failed"
            assert await store.feeds.attempts(feed.id, f"{LEMIRE}#guid") == 1  # once per poll
            listed = (await feeds_service.listing(store, GUILD))[0]
            assert listed.last_error is not None and "lemire.me" in listed.last_error

            site.html("lemire.me", lemire_path, page("lemire.me.json.html"))
            second = await poll_due(store, opts, T0 + 2 * EVERY)
            assert len(second.posted) == 1
            states = await store.feeds.entry_states(feed.id)
            assert states[f"{LEMIRE}#guid"] == "posted" and states[f"{gone}#guid"] == "failed"
            assert len(await postings(store)) == 1


async def test_polls_are_conditional_and_an_unchanged_feed_costs_a_304(database: Database) -> None:
    asked: list[tuple[str | None, str | None]] = []
    modified = "Tue, 01 Dec 2026 11:00:00 GMT"

    async def feed(request: web.Request) -> web.StreamResponse:
        asked.append((request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")))
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304)
        return web.Response(
            text=rss(OLD),
            content_type="application/rss+xml",
            headers={"ETag": '"v1"', "Last-Modified": modified},
        )

    async with serving() as site:
        site.handle("lemire.me", "/blog/feed/", feed)
        async with Store(database) as store:
            opts = options(site)
            followed = await feeds_service.follow(
                store, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=opts, now=T0
            )
            assert (followed.etag, followed.last_modified) == ('"v1"', modified)
            report = await poll_due(store, opts, T0 + EVERY)
            assert report.polled == 1 and report.new_entries == 0
            assert asked == [(None, None), ('"v1"', modified)]
            after = await store.feeds.get(followed.id)
            assert after.last_error is None and after.etag == '"v1"' and after.last_poll_at == T0 + EVERY


@pytest.mark.sqlite_only(reason="the poller's timing, not the store")
async def test_a_clock_moved_on_while_the_poller_looks_is_not_missed(database: Database) -> None:
    """The poller's next look is a tick after its last look began: a shared clock (the sandbox's,
    a test's) moved past a feed's next poll while a look ran makes it look again at once, rather
    than a tick after the moved clock, which a clock that then stands still never reaches."""
    clock = ManualClock(T0)
    fetched: list[dt.datetime] = []
    polled_again = asyncio.Event()

    async def feed(_: web.Request) -> web.StreamResponse:
        fetched.append(clock.now())
        if len(fetched) == 2:  # the first poll, slow: the clock moves on while it runs
            clock.advance(EVERY + dt.timedelta(minutes=1))
        if len(fetched) == 3:
            polled_again.set()
        return web.Response(text=rss(OLD), content_type="application/rss+xml")

    async with serving() as site:
        site.handle("lemire.me", "/blog/feed/", feed)
        async with Store(database) as store:
            polling = dataclasses.replace(options(site), clock=clock)
            await feeds_service.follow(
                store, FEED, TARGET, pace_minutes=0, backfill=0, admin_id=ADMIN, options=polling, now=T0
            )
            clock.advance(EVERY)  # the feed is due
            poller = feeds_service.FeedPoller(store, polling)
            poller.start()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(polled_again.wait(), 10)
            finally:
                await poller.stop()
    # Followed at T0; polled at T0 + 15 min, during which the clock reached T0 + 31 min, past the
    # next poll (T0 + 30 min): polled again then, without the clock moving again.
    assert fetched == [T0, T0 + EVERY, T0 + 2 * EVERY + dt.timedelta(minutes=1)]
