"""The sandbox's attachment CDN as Discord's reference describes it ("Signed Attachment CDN
URLs"): every link carries ``ex``, ``is`` and ``hm``; a link works until ``ex``, and after it (or
with a signature the CDN did not make) the CDN answers 404 "This content is no longer available.";
a message fetched again carries a fresh link. Links are issued and expire by the world's clock,
the one a test gives the bot too."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.domain.clock import ManualClock
from bot.sandbox import Sandbox, Seed
from bot.sandbox.world.cdn import GONE, LIFETIME

PICTURE = b"\x89PNG\r\n\x1a\n not really a picture"
START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def sandbox(clock: ManualClock) -> AsyncIterator[tuple[Sandbox, Seed, aiohttp.ClientSession]]:
    async with Sandbox(clock=clock) as sandbox, aiohttp.ClientSession() as session:
        yield sandbox, sandbox.seed(), session


async def fetch(session: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with session.get(url) as response:
        return response.status, await response.read()


async def test_links_are_signed_and_refused_once_expired(
    sandbox: tuple[Sandbox, Seed, aiohttp.ClientSession], clock: ManualClock
) -> None:
    world, seed, session = sandbox[0], sandbox[1], sandbox[2]
    message = sandbox[0].send("ben", seed.general_id, "the harbour", files=[("harbour.png", PICTURE)])
    (attachment,) = message["attachments"]
    url = attachment["url"]
    query = parse_qs(urlsplit(url).query)
    issued, expires = int(query["is"][0], 16), int(query["ex"][0], 16)
    assert issued == int(START.timestamp()) and expires == issued + int(LIFETIME)  # the world's time
    assert len(query["hm"][0]) == 64
    assert attachment["content_type"] == "image/png"
    assert await fetch(session, url) == (200, PICTURE)

    unsigned = url.split("?", 1)[0]
    tampered = url.replace(f"ex={query['ex'][0]}", f"ex={expires + 3600:x}")
    for refused in (unsigned, tampered):
        assert await fetch(session, refused) == (404, GONE.encode())

    clock.advance(dt.timedelta(seconds=LIFETIME - 1))  # a second before it expires: still good
    assert await fetch(session, url) == (200, PICTURE)
    clock.advance(dt.timedelta(seconds=1))  # the shared clock reaches its expiry
    assert await fetch(session, url) == (404, GONE.encode())

    # Fetching the message again gives a link valid now (Discord refreshes what it hands out).
    async with session.get(
        f"{world.base_url}/api/v10/channels/{seed.general_id}/messages/{message['id']}",
        headers={"Authorization": f"Bot {world.token}"},
    ) as response:
        fetched = await response.json()
    fresh = fetched["attachments"][0]["url"]
    assert fresh != url and await fetch(session, fresh) == (200, PICTURE)
    assert int(parse_qs(urlsplit(fresh).query)["is"][0], 16) == int(clock.now().timestamp())
