"""Interaction endpoints rate-limited as Discord documents them (issue 26).

"Rate Limits": per-route limits are counted per top-level resource, a webhook being
``webhook_id`` or ``webhook_id + webhook_token``; a 429 carries ``Retry-After`` and the route's
``X-RateLimit-*`` headers, with a body of ``message``, ``retry_after`` and ``global``.
"Receiving and Responding": "Interactions webhooks share the same rate limit properties as normal
webhooks", and the callback and the ``/webhooks/{application.id}/{interaction.token}`` routes
"are not bound to the application's Global Rate Limit". So each interaction's follow-ups are a
bucket of their own, and none of them counts against the 50 requests a second."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.sandbox import CommandResult, Limit, RateLimitConfig, Sandbox, Seed
from tests.sandbox.test_rest import Api as Client

WEBHOOK_LIMIT = 5
GLOBAL_LIMIT = 10


@pytest.fixture
async def client() -> AsyncIterator[tuple[Client, Seed]]:
    """Discord's limits in shape, with windows that never pass during the test (the limiter's
    clock stands still): what is counted, and in which bucket, is all that is seen."""
    limits = RateLimitConfig(webhook_executions=Limit(WEBHOOK_LIMIT, 2.0), global_per_second=GLOBAL_LIMIT)
    async with Sandbox(limits=limits) as sandbox, aiohttp.ClientSession() as session:
        sandbox.limiter.clock = lambda: 1_000.0
        seed = sandbox.seed()
        sandbox.world.commands[seed.guild_id] = [
            {"id": sandbox.world.ids.next(), "name": "slow", "description": "Slow", "type": 1, "options": []}
        ]
        yield Client(sandbox, session), seed


async def interactions(client: Client, count: int) -> tuple[list[asyncio.Task[CommandResult]], list[Any]]:
    """``count`` members' ``/slow``: the runs and the INTERACTION_CREATE payloads a bot gets."""
    sandbox = client.sandbox
    created: list[Any] = []

    def listen(event: str, data: Any, channel_id: str | None) -> None:
        if event == "INTERACTION_CREATE":
            created.append(data)

    sandbox.world.listeners.append(listen)
    runs = [asyncio.create_task(sandbox.run("ben", "general", "/slow")) for _ in range(count)]
    await sandbox.wait_until(lambda: len(created) == count, within=5)
    sandbox.world.listeners.remove(listen)
    return runs, created


async def defer_and_follow_up(client: Client, interaction: Any, times: int) -> list[tuple[int, Any, Any]]:
    """Defer the interaction, then send ``times`` follow-ups; each follow-up's status, body, headers."""
    status, _, _ = await client.call(
        "POST", f"/interactions/{interaction['id']}/{interaction['token']}/callback", {"type": 5}, auth=False
    )
    assert status == 200
    hook = f"/webhooks/{interaction['application_id']}/{interaction['token']}?wait=true"
    answers = []
    for number in range(times):
        status, body, response = await client.call("POST", hook, {"content": f"answer {number}"}, auth=False)
        answers.append((status, body, response.headers))
    return answers


async def test_each_interaction_has_its_own_follow_up_bucket(client: tuple[Client, Seed]) -> None:
    api, _ = client
    runs, (first, second) = await interactions(api, 2)
    sent = await defer_and_follow_up(api, first, WEBHOOK_LIMIT + 1)
    assert [status for status, _, _ in sent] == [200] * WEBHOOK_LIMIT + [429]
    remaining = [headers["X-RateLimit-Remaining"] for _, _, headers in sent]
    assert remaining == [str(n) for n in range(WEBHOOK_LIMIT - 1, -1, -1)] + ["0"]
    # The 429 as Discord's "Exceeding A Rate Limit" shows it: the JSON body, Retry-After in
    # whole seconds, and the route's headers, scoped to this bot ("user").
    _, body, headers = sent[-1]
    assert set(body) >= {"message", "retry_after", "global"}
    assert body["message"] == "You are being rate limited." and body["global"] is False
    assert 0 < body["retry_after"] <= 2.0
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Retry-After"]) >= 1
    assert headers["X-RateLimit-Limit"] == str(WEBHOOK_LIMIT) and headers["X-RateLimit-Scope"] == "user"
    assert float(headers["X-RateLimit-Reset-After"]) == pytest.approx(body["retry_after"], abs=0.01)
    assert float(headers["X-RateLimit-Reset"]) > 0 and "X-RateLimit-Global" not in headers
    # The refused follow-up changed nothing: five answers, not six.
    assert len(api.sandbox.messages("general")) == WEBHOOK_LIMIT
    # Another interaction's follow-ups are another bucket: the first one's being spent is no
    # matter to it. The bucket's name is the same (it names the route, not the resource).
    ((status, _, headers),) = await defer_and_follow_up(api, second, 1)
    assert status == 200 and headers["X-RateLimit-Remaining"] == str(WEBHOOK_LIMIT - 1)
    assert headers["X-RateLimit-Bucket"] == sent[0][2]["X-RateLimit-Bucket"]
    for run in runs:
        assert not (await run).failed


async def test_interaction_endpoints_are_not_bound_to_the_global_limit(client: tuple[Client, Seed]) -> None:
    api, seed = client
    runs, created = await interactions(api, 3)
    for interaction in created:  # 3 callbacks and 9 follow-ups: more than the global 10 a second
        sent = await defer_and_follow_up(api, interaction, 3)
        assert [status for status, _, _ in sent] == [200, 200, 200]
    # None of them was counted: the bot's other requests still have the whole global limit.
    for _ in range(GLOBAL_LIMIT):
        status, _, _ = await api.call("GET", "/users/@me")
        assert status == 200
    status, body, response = await api.call("GET", "/users/@me")
    assert status == 429 and body["global"] is True
    headers = response.headers
    assert headers["X-RateLimit-Global"] == "true" and headers["X-RateLimit-Scope"] == "global"
    # ... and with the global limit spent, interactions are still answered and followed up.
    later, (interaction,) = await interactions(api, 1)
    assert [status for status, _, _ in await defer_and_follow_up(api, interaction, 1)] == [200]
    # A real webhook, though, is an ordinary route: bound to the global limit.
    hook = api.sandbox.world.create_webhook(seed.general_id, seed.bot_id, "Readalong")
    status, body, _ = await api.call(
        "POST", f"/webhooks/{hook['id']}/{hook['token']}", {"content": "x"}, auth=False
    )
    assert status == 429 and body["global"] is True
    for run in [*runs, *later]:
        assert not (await run).failed
