"""The sandbox held to Discord's official OpenAPI spec.

An end-to-end run of the real bot against the sandbox records every REST exchange; each one is
then checked against the extract of Discord's spec in ``tests/discord_spec/readalong_routes.json``
(made by ``tests/discord_spec/extract.py``): the status must be one the spec lists for that route
and method, the response body must match the spec's schema for that status (the error schema for
4xx, the rate-limit schema for 429), and the request body the bot sent must match the spec's
request schema. The sandbox and the bot are written by the same team and could share a wrong idea
of Discord; this test makes Discord's own document the judge.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.sandbox.server import Exchange
from bot.sandbox.state import ANNOUNCEMENT, MEDIA
from bot.settings import Settings

if TYPE_CHECKING:
    from cogs.discussion import Discussion

SPEC = Path(__file__).parents[1] / "discord_spec" / "readalong_routes.json"
ARTICLE = "the-lessons-of-zhanaozen"

# Where the spec itself is known to be wrong (Discord's live API and its docs disagree with it),
# the exception is listed here with its reason: (route, status, JSON path of the failing part).

# Where the spec itself is wrong (Discord's docs say otherwise), the part is checked as the docs
# say, narrowly, and the reason is given here.
MEDIA_OMITTED = (
    "the spec's ChannelTypes (and GuildChannelResponse.type) omit 16, GUILD_MEDIA, which Discord's "
    "docs list among channel types (a channel 'similar to GUILD_FORUM'): a media channel is checked "
    "as the forum it is like, and 16 in an option's channel_types as 15"
)
RESOURCE_TYPES_OMITTED = (
    "Discord's docs (Interaction Callback Resource Object) give a resource its callback type and, "
    "only for types 4 and 7, a message; the spec's oneOf lists only types 4, 7 and 12, so a deferred "
    "response's resource ({type: 5}) is checked against the docs instead"
)

MANAGE_ROLES = 1 << 28
"""Discord's MANAGE_ROLES permission bit."""


def as_the_spec_knows_it(body: Any) -> Any:
    """``body`` with each media channel (type 16) written as a forum (15), for ``MEDIA_OMITTED``."""
    if isinstance(body, list):
        return [as_the_spec_knows_it(item) for item in body]
    if not isinstance(body, dict):
        return body
    fixed = {key: as_the_spec_knows_it(value) for key, value in body.items()}
    if fixed.get("type") == MEDIA and "available_tags" in fixed:
        fixed["type"] = 15
    if isinstance(fixed.get("channel_types"), list):
        kinds = [15 if kind == MEDIA else kind for kind in fixed["channel_types"]]
        fixed["channel_types"] = list(dict.fromkeys(kinds))
    return fixed


INTEGER_IDS = (
    "Discord's docs say snowflakes are *returned* as strings; in requests Discord takes integers too, "
    "and its docs' own 'Uploading Files' example numbers attachments with integer ids (0, 1). "
    "discord.py sends message_reference and attachment ids as integers, so a request's integer id is "
    "checked as the string it stands for"
)


def ids_as_strings(body: Any, key: str = "") -> Any:
    """A request body with each integer id written as a string, for ``INTEGER_IDS``."""
    if isinstance(body, list):
        return [ids_as_strings(item) for item in body]
    if isinstance(body, dict):
        return {name: ids_as_strings(value, name) for name, value in body.items()}
    if isinstance(body, int) and not isinstance(body, bool) and (key == "id" or key.endswith("_id")):
        return str(body)
    return body


FIELD_ERROR_CODES = (
    "the spec's Error object types `code` as an integer, also inside a form error's `_errors`, where "
    "Discord's docs (Reference, Error Messages) show string codes such as BASE_TYPE_CHOICES; each field "
    "error's code is checked to be such a name, then as a number against the spec"
)


def field_codes_checked(body: Any) -> Any:
    """An error body with each field error's string code (``BASE_TYPE_MAX_LENGTH``) checked and
    replaced by a number, for ``FIELD_ERROR_CODES``."""
    if isinstance(body, list):
        return [field_codes_checked(item) for item in body]
    if not isinstance(body, dict):
        return body
    fixed = {key: field_codes_checked(value) for key, value in body.items()}
    for item in fixed.get("_errors") or []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            assert re.fullmatch(r"[A-Z][A-Z0-9_]+", item["code"]), item
            item["code"] = 0
    return fixed


def spec_is_wrong(error: ValidationError) -> str | None:
    """Why this error is the spec's and not the sandbox's, or None."""
    instance = error.instance
    if list(error.absolute_path) == ["resource"] and isinstance(instance, dict) and set(instance) == {"type"}:
        return RESOURCE_TYPES_OMITTED if instance["type"] in (5, 6, 8, 9) else None
    return None


@cache
def spec() -> dict[str, Any]:
    return cast("dict[str, Any]", json.loads(SPEC.read_text()))


def template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[a-z_]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts) + "$")


def spec_route(method: str, path: str) -> str | None:
    """The spec's ``METHOD /template`` for a concrete request, the most literal match first
    (``/messages/@original`` before ``/messages/{message_id}``)."""
    candidates = [
        key
        for key in spec()["routes"]
        if key.split(" ", 1)[0] == method and template_pattern(key.split(" ", 1)[1]).match(path)
    ]
    return min(candidates, key=lambda key: key.count("{"), default=None)


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator({**schema, "$defs": spec()["$defs"]})


def errors(schema: dict[str, Any], instance: Any) -> Iterator[ValidationError]:
    yield from validator(schema).iter_errors(instance)


def wrong_kind(error: ValidationError) -> bool:
    """An error saying a ``oneOf`` branch is for another kind of thing (another ``type`` field,
    or another JSON type altogether), not that the thing is wrong."""
    path = list(error.relative_path)
    return path == ["type"] or (path == [] and error.validator == "type")


def describe(error: ValidationError) -> str:
    """The telling part of an error: for ``oneOf``, the branch whose own ``type`` matched."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        matched = [b for b in branches.values() if not any(wrong_kind(e) for e in b)]
        error = min(matched or list(branches.values()), key=len)[0]
    where = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return f"{where}: {error.message[:300]}"


def response_problems(exchange: Exchange) -> list[str]:
    """What in this exchange's answer the spec does not allow; empty when it conforms."""
    route = spec_route(exchange.method, exchange.path)
    if route is None:
        return [f"{exchange.method} {exchange.path}: no such route in the spec extract"]
    responses = spec()["routes"][route]["responses"]
    status = str(exchange.status)
    key = status if status in responses else f"{status[0]}XX"
    if key not in responses:
        return [f"{route}: status {status} is not one the spec lists ({', '.join(responses)})"]
    schema = responses[key]["schema"]
    if schema is None:
        if exchange.response is not None:
            return [f"{route} {status}: the spec documents no body, the sandbox sent one"]
        return []
    if exchange.response is None:
        return [f"{route} {status}: the spec documents a body, the sandbox sent none"]
    return [
        f"{route} {status} {describe(error)}"
        for error in errors(schema, field_codes_checked(as_the_spec_knows_it(exchange.response)))
        if spec_is_wrong(error) is None
    ]


def request_problems(exchange: Exchange) -> list[str]:
    """What in the body the bot sent the spec does not allow."""
    route = spec_route(exchange.method, exchange.path)
    if route is None:
        return []
    entry = spec()["routes"][route]
    if entry["request"] is None or exchange.request is None:
        return []
    sent = ids_as_strings(as_the_spec_knows_it(exchange.request))
    return [f"{route} request {describe(error)}" for error in errors(entry["request"], sent)]


def discussion(bot: ReadalongBot) -> Discussion:
    cog = bot.get_cog("Discussion")
    assert cog is not None and type(cog).__name__ == "Discussion"
    return cast("Discussion", cog)


def comments_done(sandbox: Sandbox, parent: str) -> bool:
    threads = [t for t in sandbox.threads(parent) if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[0]["id"])) >= (
        3 if sandbox.channel(parent)["type"] == 15 else 2
    )


async def everything_readalong_does(
    sandbox: Sandbox, seed: Seed, settings: Settings, *, sample_path: Path
) -> None:
    """Posting to a text channel and a forum with comments, /ask, a mention, /archive …,
    pause and resume, a 429, then a restart with backfill."""
    world = sandbox.world
    books = world.create_channel(seed.guild_id, "books")
    async with running_bot(settings) as bot:
        imported = await sandbox.run_command(
            "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
        assert not imported.failed, imported.text
        sandbox.rate_limit_next("POST /channels/", retry_after=0.3)  # the first message meets a 429
        await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "general"}
        )
        await sandbox.wait_until(lambda: comments_done(sandbox, "general"), within=30)
        await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "reading-room"}
        )
        await sandbox.wait_until(lambda: comments_done(sandbox, "reading-room"), within=30)
        await sandbox.wait_idle()
        assert sandbox.responses[429] >= 1

        thread = sandbox.threads("general")[1]
        question = sandbox.send("ben", thread, "Who was prosecuted?")
        sandbox.send("ada", thread, "Police and officials.", reply_to=question)
        asked = sandbox.send("ben", thread, f"<@{seed.bot_id}> how many new jobs were created in 2012?")
        await sandbox.wait_until(
            lambda: any(
                (m.get("message_reference") or {}).get("message_id") == asked["id"]
                for m in sandbox.messages(thread["id"])
            ),
            within=10,
        )
        ask = await sandbox.run("ben", "general", "/ask question:How many people died?")
        assert not ask.failed and "16 people died" in ask.text
        await sandbox.wait_idle()
        await discussion(bot).recorder.drain()
        for line in (
            f"/archive threads article:{ARTICLE}",
            f"/archive show thread:{thread['id']}",
            "/archive search query:prosecuted",
            f"/archive export article:{ARTICLE} format:json",
        ):
            result = await sandbox.run("ada", "general", line)
            assert not result.failed and result.text, line

        await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": books["id"], "pace": 60}
        )
        await sandbox.wait_until(lambda: len(sandbox.messages(books["id"])) >= 2, within=10)
        paused = await sandbox.run("ada", "general", f"/article pause article:{ARTICLE}")
        assert "Paused" in paused.text, paused.text
        resumed = await sandbox.run("ada", "general", f"/article resume article:{ARTICLE}")
        assert not resumed.failed, resumed.text
        await sandbox.wait_idle()

    # Down for a while: the discussion goes on, a thread is archived; back up, it catches up.
    threads = sandbox.threads("general")
    for number in range(4):
        sandbox.send("ben", threads[number], f"while down {number}")
    sandbox.archive(threads[2])
    async with running_bot(settings) as bot:
        counts = await discussion(bot).wait_backfilled()
        assert counts.added >= 4
        await sandbox.wait_idle()

    # What else the bot may read, and refusals, asked directly: channels of every kind Readalong
    # may be pointed at, archived threads, a thread member, a member, and errors (4xx bodies).
    news, media = kinds(sandbox, seed)
    forum_post = sandbox.threads("reading-room")[0]
    sandbox.archive(forum_post)
    sandbox.add_to_thread("ben", threads[0], "ben")
    reads = [
        *(f"/channels/{c}" for c in (seed.general_id, seed.forum_id, threads[0]["id"], news, media)),
        f"/guilds/{seed.guild_id}/channels",
        f"/guilds/{seed.guild_id}/threads/active",
        f"/channels/{seed.forum_id}/threads/archived/public",
        f"/channels/{seed.general_id}/threads/archived/public",
        f"/channels/{threads[0]['id']}/thread-members/{seed.reader_id}",
        f"/channels/{seed.general_id}/messages/{threads[0]['id']}",
        f"/guilds/{seed.guild_id}/members/{seed.reader_id}",
        f"/users/{seed.reader_id}",
        f"/channels/{seed.general_id}/webhooks",
        "/gateway",
        "/gateway/bot",
        "/applications/@me",
        f"/applications/{seed.bot_id}/guilds/{seed.guild_id}/commands",
        f"/applications/{seed.bot_id}/commands",
        f"/guilds/{seed.guild_id}",
    ]
    mine = sandbox.messages(threads[0]["id"])[-1]
    hook = next(h for h in sandbox.world.webhooks.values() if h["channel_id"] == seed.general_id)
    said = sandbox.world.execute_webhook(hook, {"content": "from the hook", "username": "Kuda"})
    hooked = f"/webhooks/{hook['id']}/{hook['token']}/messages/{said['id']}"
    answered = next(r for r in sandbox.interactions.values() if r.original_id and r.name == "ask")
    original = f"/webhooks/{seed.bot_id}/{answered.token}/messages/@original"
    writes = [
        ("POST", f"/channels/{seed.general_id}/messages", {"content": "to edit"}, 200),
        ("PATCH", f"/channels/{seed.general_id}/messages/{{last}}", {"content": "edited"}, 200),
        ("DELETE", f"/channels/{seed.general_id}/messages/{{last}}", None, 204),
        ("PATCH", f"/channels/{forum_post['id']}", {"archived": False}, 200),
        ("PUT", f"/channels/{forum_post['id']}/thread-members/@me", None, 204),
        ("POST", f"/channels/{seed.general_id}/typing", None, 204),
        ("POST", f"/channels/{seed.general_id}/threads", {"name": "Loose talk", "type": 11}, 201),
        ("PUT", f"/channels/{threads[0]['id']}/thread-members/{seed.admin_id}", None, 204),
        ("GET", hooked, None, 200),
        ("PATCH", hooked, {"content": "edited by the hook"}, 200),
        ("DELETE", hooked, None, 204),
        ("GET", f"/channels/{threads[0]['id']}/messages/{mine['id']}", None, 200),
        ("GET", original, None, 200),
        ("PATCH", original, {"content": "the answer, edited"}, 200),
        ("DELETE", original, None, 204),
        ("PUT", f"/applications/{seed.bot_id}/commands", [{"name": "ping", "description": "Ping"}], 200),
    ]
    refused = [
        ("GET", f"/channels/{seed.general_id}9", None, 404),
        ("POST", f"/channels/{media}/messages", {"content": "a media channel has posts only"}, 400),
        ("POST", f"/channels/{seed.general_id}/messages", {"content": "x" * 2001}, 400),
    ]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {sandbox.token}"}) as session:
        api = f"{sandbox.base_url}/api/v10"

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            """As a client should: wait out a 429 (the global limit is 50 a second) and retry."""
            while True:
                async with session.request(method, f"{api}{path}", json=body) as response:
                    data = await response.json() if response.status != 204 else None
                    if response.status != 429:
                        return response.status, data
                await asyncio.sleep(float(cast(dict[str, Any], data)["retry_after"]))

        for path in reads:
            assert (await call("GET", path))[0] == 200, path
        last = ""
        for method, path, body, status in writes:
            got, data = await call(method, path.format(last=last), body)
            assert got == status, (path, data)
            if method == "POST" and status == 200:
                last = data["id"]
        for method, path, body, status in refused:
            assert (await call(method, path, body))[0] == status, path
        # The reminder role's routes: refused with the invite's rights (no Manage Roles), then
        # given and taken once an admin grants it and puts the bot's role above the role.
        world = sandbox.world
        bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
        readers = world.create_role(seed.guild_id, "Readers", 0)
        role = f"/guilds/{seed.guild_id}/members/{seed.reader_id}/roles/{readers['id']}"
        assert (await call("PUT", role))[0] == 403
        world.set_role_position(seed.guild_id, bot_role["id"], readers["position"] + 1)
        world.set_role_permissions(seed.guild_id, bot_role["id"], int(bot_role["permissions"]) | MANAGE_ROLES)
        assert (await call("PUT", role))[0] == 204
        assert (await call("DELETE", role))[0] == 204


def kinds(sandbox: Sandbox, seed: Seed) -> tuple[str, str]:
    """An announcement channel and a media channel, as Discord has them."""
    world = sandbox.world
    news = world.create_channel(seed.guild_id, "news", kind=ANNOUNCEMENT)
    media = world.create_channel(seed.guild_id, "gallery", kind=MEDIA, tags=["Photos"])
    return news["id"], media["id"]


@pytest.mark.slow
async def test_every_exchange_conforms_to_discords_spec(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    recorded = sandbox.record_exchanges()
    await everything_readalong_does(sandbox, seed, settings, sample_path=sample_path)

    problems = [p for e in recorded for p in response_problems(e)]
    assert problems == [], "\n".join(sorted(set(problems)))
    sent = [p for e in recorded for p in request_problems(e)]
    assert sent == [], "\n".join(sorted(set(sent)))
    routes = {spec_route(e.method, e.path) for e in recorded}
    assert routes == set(spec()["routes"]), sorted(
        set(spec()["routes"]) - routes
    )  # every route  # the run did all Readalong does
    assert {200, 201, 204, 400, 404, 429} <= {e.status for e in recorded}


GATEWAY_OBJECTS = {
    "MESSAGE_CREATE": "MessageResponse",
    "MESSAGE_UPDATE": "MessageResponse",
    "THREAD_CREATE": "ThreadResponse",
    "THREAD_UPDATE": "ThreadResponse",
    "CHANNEL_CREATE": "GuildChannelResponse",
}
"""Gateway events whose inner payload Discord's docs define as the REST object (a message, a
channel), with extra fields added; the spec covers REST only, so these are checked as those."""


async def test_objects_sent_over_the_gateway_have_the_shapes_of_the_rest_ones(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    dispatched: list[tuple[str, Any]] = []

    def keep(event: str, data: dict[str, Any], channel_id: str | None) -> None:
        if event in GATEWAY_OBJECTS:
            dispatched.append((event, json.loads(json.dumps(data))))  # as sent, before later changes

    sandbox.world.listeners.append(keep)
    async with running_bot(settings):
        await sandbox.run_command(
            "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
        )
        await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "reading-room"}
        )
        await sandbox.wait_until(lambda: comments_done(sandbox, "reading-room"), within=30)
        thread = sandbox.threads("reading-room")[0]
        said = sandbox.send("ben", thread, "Who was prosecuted?")
        sandbox.edit("ben", said, "Who was prosecuted, in the end?")
        sandbox.archive(thread)
        kinds(sandbox, seed)
        await sandbox.wait_idle()
    assert {event for event, _ in dispatched} == set(GATEWAY_OBJECTS)
    problems = [
        f"{event} {describe(error)}"
        for event, data in dispatched
        for error in errors({"$ref": f"#/$defs/{GATEWAY_OBJECTS[event]}"}, as_the_spec_knows_it(data))
    ]
    assert problems == [], "\n".join(sorted(set(problems)))


def test_the_checks_catch_what_discord_would_not_send() -> None:
    """The validator is not vacuous: answers Discord would never give are refused."""
    message_route = "/channels/1/messages"
    bad = [
        Exchange(
            "POST", message_route, "", 429, None, {"message": "slow", "retry_after": 1, "global": False}
        ),
        Exchange("POST", message_route, "", 200, None, {"id": 5}),
        Exchange("POST", message_route, "", 302, None, None),
        Exchange("GET", "/channels/1/nowhere", "", 200, None, {}),
        Exchange("POST", message_route, "", 400, None, {"message": "Invalid Form Body"}),
    ]
    assert all(response_problems(e) for e in bad)
    good = Exchange(
        "POST",
        message_route,
        "",
        429,
        None,
        {"message": "slow", "code": 0, "retry_after": 1.0, "global": False},
    )
    assert response_problems(good) == []
    assert spec()["source"]["licence"] == "MIT" and re.fullmatch(r"[0-9a-f]{40}", spec()["source"]["commit"])
