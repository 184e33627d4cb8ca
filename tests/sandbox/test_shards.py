"""The sandbox shards as Discord's gateway does (Discord's docs, Gateway, "Sharding"), seen by a
plain websocket client: ``GET /gateway/bot`` recommends a count, IDENTIFY's ``shard`` is checked
(4010) and decides which servers a session gets, 4011 past the servers one session may hold, and
one shard's connection can be cut and resumed alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from bot.domain.shards import shard_of
from bot.sandbox import Sandbox
from bot.sandbox import permissions as perms
from bot.sandbox.state import Payload

GUILDS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 9, 1 << 15
INTENTS = GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT
CLOSED = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)


class Shard:
    """One gateway connection: what it identified as, and the dispatches it has read."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.frames: list[dict[str, Any]] = []

    async def read_until(self, event: str, count: int = 1) -> list[dict[str, Any]]:
        """Read dispatches until ``count`` of ``event`` have come; every frame read is kept."""
        while sum(f.get("t") == event for f in self.frames) < count:
            frame = await self.socket.receive(timeout=5)
            assert frame.type not in CLOSED, f"closed with {self.socket.close_code} waiting for {event}"
            self.frames.append(frame.json())
        return [f for f in self.frames if f.get("t") == event]

    @property
    def seq(self) -> int:
        return max((f["s"] for f in self.frames if f.get("s") is not None), default=0)


@asynccontextmanager
async def connect(sandbox: Sandbox, shard: object = None) -> AsyncIterator[Shard]:
    async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.ws_url) as socket:
        hello = await socket.receive_json(timeout=2)
        assert hello["op"] == 10
        identify: dict[str, Any] = {"token": sandbox.token, "intents": INTENTS, "properties": {}}
        if shard is not None:
            identify["shard"] = shard
        await socket.send_json({"op": 2, "d": identify})
        yield Shard(socket)


async def refused_with(sandbox: Sandbox, shard: object) -> tuple[int | None, str]:
    async with connect(sandbox, shard) as conn:
        frame = await conn.socket.receive(timeout=2)
        assert frame.type in CLOSED, f"not closed: {frame.data!r}"
        return conn.socket.close_code, str(frame.extra)


def server_on(sandbox: Sandbox, name: str, shard: int, count: int) -> Payload:
    """A server on a chosen shard, with ada, the bot and a channel named after the server."""
    world = sandbox.world
    owner = next((u for u in world.users.values() if u["username"] == "ada"), None)
    owner = owner or world.create_user("ada", display_name="Ada")
    guild = world.create_guild(name, owner_id=owner["id"], shard=(shard, count))
    bot_role = world.create_role(guild["id"], "Readalong", perms.BOT_DEFAULT)
    world.add_member(guild["id"], owner["id"])
    world.add_member(guild["id"], world.bot_id, [bot_role["id"]])
    world.create_channel(guild["id"], name.lower())
    return guild


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    # Two buckets (max_concurrency 2): both shards may identify at once, as Discord allows.
    async with Sandbox(shards=2, max_concurrency=2) as server:
        yield server


async def test_gateway_bot_recommends_the_configured_shard_count(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bot {sandbox.token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(f"{sandbox.base_url}/api/v10/gateway/bot") as response:
            body = await response.json()
        async with session.get(f"{sandbox.base_url}/api/v10/gateway") as response:
            plain = await response.json()
    assert body["shards"] == 2 and body["url"] == sandbox.ws_url
    assert set(body["session_start_limit"]) == {"total", "remaining", "reset_after", "max_concurrency"}
    assert body["session_start_limit"]["max_concurrency"] == 2  # as the fixture set it
    assert plain == {"url": sandbox.ws_url}  # GET /gateway gives the address alone
    async with connect(sandbox, [0, 2]) as conn:
        await conn.read_until("READY")
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(f"{sandbox.base_url}/api/v10/gateway/bot") as response,
    ):
        after = await response.json()
    assert after["session_start_limit"]["remaining"] == body["session_start_limit"]["remaining"] - 1


@pytest.mark.parametrize(
    "shard", [[2, 2], [5, 2], [-1, 2], [0, 0], [0], [0, 2, 1], ["0", 2], [True, 2], "0,2"]
)
async def test_an_invalid_shard_is_closed_with_4010(sandbox: Sandbox, shard: object) -> None:
    server_on(sandbox, "Books", 0, 2)
    assert await refused_with(sandbox, shard) == (4010, "Invalid shard.")
    assert sandbox.gateway.identifies == 0


async def test_each_shard_gets_only_its_servers_and_their_events(sandbox: Sandbox) -> None:
    books = server_on(sandbox, "Books", 0, 2)
    news = server_on(sandbox, "News", 1, 2)
    assert [shard_of(int(books["id"]), 2), shard_of(int(news["id"]), 2)] == [0, 1]
    async with connect(sandbox, [0, 2]) as zero, connect(sandbox, [1, 2]) as one:
        for conn, mine in ((zero, books), (one, news)):
            (ready,) = await conn.read_until("READY")
            assert [g["id"] for g in ready["d"]["guilds"]] == [mine["id"]]
            assert ready["d"]["shard"] == ([0, 2] if mine is books else [1, 2])
            (created,) = await conn.read_until("GUILD_CREATE")
            assert created["d"]["id"] == mine["id"]
        sandbox.send("ada", "books", "in Books")
        sandbox.send("ada", "news", "in News")
        sandbox.send("ada", "books", "in Books again")
        from_zero = [f["d"]["content"] for f in await zero.read_until("MESSAGE_CREATE", 2)]
        from_one = [f["d"]["content"] for f in await one.read_until("MESSAGE_CREATE", 1)]
        # A marker on shard 1 after the Books messages: had any reached it, it would be read first.
        sandbox.send("ada", "news", "marker")
        from_one += [f["d"]["content"] for f in (await one.read_until("MESSAGE_CREATE", 2))[1:]]
    assert from_zero == ["in Books", "in Books again"]
    assert from_one == ["in News", "marker"]
    servers_seen = {
        f["d"].get("guild_id", f["d"]["id"])
        for f in zero.frames
        if f["t"] in ("GUILD_CREATE", "MESSAGE_CREATE")
    }
    assert servers_seen == {books["id"]}


async def test_an_identify_inside_its_buckets_window_gets_invalid_session(sandbox: Sandbox) -> None:
    """Discord's docs (Gateway, "Identifying"; session start limit: ``max_concurrency`` IDENTIFYs
    per 5 seconds, one per bucket ``shard_id % max_concurrency``): past it, Discord answers with
    Invalid Session (opcode 9, not resumable) and no session. Shards 0 and 2 of 4 share bucket 0."""
    sandbox.gateway.identify_window = 0.5  # Discord's 5 s, shortened to keep the test quick
    server_on(sandbox, "Books", 0, 4)
    async with connect(sandbox, [0, 4]) as first:
        await first.read_until("READY")
        async with connect(sandbox, [1, 4]) as other_bucket:
            await other_bucket.read_until("READY")
        async with connect(sandbox, [2, 4]) as too_soon:
            frame = await too_soon.socket.receive_json(timeout=2)
            assert (frame["op"], frame["d"]) == (9, False)
        assert sandbox.gateway.identifies == 2 and sandbox.gateway.identifies_refused == 1
        await asyncio.sleep(0.5)
        async with connect(sandbox, [2, 4]) as later:
            (ready,) = await later.read_until("READY")
            assert ready["d"]["shard"] == [2, 4]
    assert sandbox.gateway.identifies == 3 and sandbox.gateway.identifies_refused == 1


async def test_an_unsharded_session_gets_every_server(sandbox: Sandbox) -> None:
    books = server_on(sandbox, "Books", 0, 2)
    news = server_on(sandbox, "News", 1, 2)
    async with connect(sandbox) as conn:
        (ready,) = await conn.read_until("READY")
        assert sorted(g["id"] for g in ready["d"]["guilds"]) == sorted([books["id"], news["id"]])
        assert "shard" not in ready["d"]  # "if sent when identifying"
        assert len(await conn.read_until("GUILD_CREATE", 2)) == 2


async def test_too_many_servers_for_one_session_is_closed_with_4011(sandbox: Sandbox) -> None:
    server_on(sandbox, "Books", 0, 2)
    server_on(sandbox, "News", 1, 2)
    sandbox.gateway.max_guilds_per_shard = 1  # Discord: 2,500
    assert await refused_with(sandbox, None) == (4011, "Sharding required.")
    assert await refused_with(sandbox, [0, 1]) == (4011, "Sharding required.")
    async with connect(sandbox, [1, 2]) as conn:  # one server a session: accepted
        (ready,) = await conn.read_until("READY")
        assert len(ready["d"]["guilds"]) == 1


async def test_one_shard_is_dropped_and_resumed_alone(sandbox: Sandbox) -> None:
    server_on(sandbox, "Books", 0, 2)
    server_on(sandbox, "News", 1, 2)
    async with connect(sandbox, [0, 2]) as zero, connect(sandbox, [1, 2]) as one:
        (ready,) = await one.read_until("READY")
        await one.read_until("GUILD_CREATE")
        await zero.read_until("GUILD_CREATE")
        assert sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
        assert await sandbox.drop(shard=1) == 1
        frame = await one.socket.receive(timeout=2)
        assert frame.type in CLOSED and one.socket.close_code == 4000
        assert sandbox.gateway.live_shards() == [(0, 2)]
        missed = sandbox.send("ada", "news", "while shard 1 was away")
        sandbox.send("ada", "books", "shard 0 carries on")
        (on_zero,) = await zero.read_until("MESSAGE_CREATE")
        assert on_zero["d"]["content"] == "shard 0 carries on"
        async with aiohttp.ClientSession() as session, session.ws_connect(sandbox.ws_url) as socket:
            await socket.receive_json(timeout=2)
            resume = {"token": sandbox.token, "session_id": ready["d"]["session_id"], "seq": one.seq}
            await socket.send_json({"op": 6, "d": resume})
            resumed = Shard(socket)
            (replayed,) = await resumed.read_until("MESSAGE_CREATE")
            await resumed.read_until("RESUMED")
            assert replayed["d"]["id"] == missed["id"]
            assert sandbox.gateway.live_shards() == [(0, 2), (1, 2)]
    assert sandbox.gateway.resumes == 1 and sandbox.gateway.identifies == 2
