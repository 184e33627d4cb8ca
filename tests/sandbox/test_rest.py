"""The sandbox against Discord's documented behaviour, over real HTTP with a plain client."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.discord.posting.checks import missing_permissions
from bot.sandbox import ApiError, CommandResult, Limit, RateLimitConfig, Sandbox, Seed, World
from bot.sandbox import permissions as perms
from bot.sandbox.state import ANNOUNCEMENT, MEDIA


class Api:
    def __init__(self, sandbox: Sandbox, session: aiohttp.ClientSession) -> None:
        self.sandbox = sandbox
        self.session = session

    async def call(
        self, method: str, path: str, body: Any = None, *, auth: bool = True
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = {"Authorization": f"Bot {self.sandbox.token}"} if auth else {}
        async with self.session.request(
            method, f"{self.sandbox.base_url}/api/v10{path}", json=body, headers=headers
        ) as response:
            data = await response.json() if response.status != 204 else None
            return response.status, data, response


@pytest.fixture
async def api() -> AsyncIterator[tuple[Api, Seed]]:
    async with (
        Sandbox(limits=RateLimitConfig(messages_per_channel=Limit(5, 60.0))) as sandbox,
        aiohttp.ClientSession() as session,
    ):
        yield Api(sandbox, session), sandbox.seed()


async def test_json_content_type_and_rate_limit_headers(api: tuple[Api, Seed]) -> None:
    client, seed = api
    status, body, response = await client.call(
        "POST", f"/channels/{seed.general_id}/messages", {"content": "hi"}
    )
    assert status == 200 and body["content"] == "hi"
    assert response.headers["Content-Type"] == "application/json"  # no charset: discord.py insists
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert response.headers["X-RateLimit-Remaining"] == "4"
    assert float(response.headers["X-RateLimit-Reset-After"]) > 0
    assert response.headers["X-RateLimit-Bucket"]


async def test_unauthorised_without_the_token(api: tuple[Api, Seed]) -> None:
    client, _ = api
    status, body, _ = await client.call("GET", "/users/@me", auth=False)
    assert status == 401 and body["code"] == 0


async def test_sixth_message_in_a_window_is_429_with_retry_after(api: tuple[Api, Seed]) -> None:
    client, seed = api
    for number in range(5):
        status, _, _ = await client.call(
            "POST", f"/channels/{seed.general_id}/messages", {"content": str(number)}
        )
        assert status == 200
    status, body, response = await client.call(
        "POST", f"/channels/{seed.general_id}/messages", {"content": "6"}
    )
    assert status == 429
    assert body["retry_after"] > 0 and body["global"] is False
    assert response.headers["Via"] and response.headers["X-RateLimit-Remaining"] == "0"
    assert len(client.sandbox.messages("general")) == 5  # the refused one changed nothing
    other = client.sandbox.world.create_channel(seed.guild_id, "other")
    status, _, _ = await client.call("POST", f"/channels/{other['id']}/messages", {"content": "elsewhere"})
    assert status == 200  # buckets are per channel


async def test_missing_access_and_missing_permissions(api: tuple[Api, Seed]) -> None:
    client, seed = api
    world = client.sandbox.world
    hidden = world.create_channel(
        seed.guild_id,
        "staff",
        overwrites=[{"id": seed.guild_id, "type": 0, "allow": "0", "deny": str(perms.VIEW_CHANNEL)}],
    )
    status, body, _ = await client.call("POST", f"/channels/{hidden['id']}/messages", {"content": "x"})
    assert (status, body["code"], body["message"]) == (403, 50001, "Missing Access")
    muted = world.create_channel(seed.guild_id, "announcements")
    world.set_overwrite(muted["id"], seed.bot_id, deny=perms.SEND_MESSAGES, member=True)
    status, body, _ = await client.call("POST", f"/channels/{muted['id']}/messages", {"content": "x"})
    assert (status, body["code"], body["message"]) == (403, 50013, "Missing Permissions")
    status, body, _ = await client.call("GET", "/channels/999/messages")
    assert (status, body["code"]) == (404, 10003)


async def test_message_limits(api: tuple[Api, Seed]) -> None:
    client, seed = api
    path = f"/channels/{seed.general_id}/messages"
    status, body, _ = await client.call("POST", path, {"content": "x" * 2001})
    assert (status, body["code"]) == (400, 50035) and "content" in body["errors"]
    status, body, _ = await client.call("POST", path, {"content": ""})
    assert (status, body["code"]) == (400, 50006)
    status, body, _ = await client.call("POST", path, {"embeds": [{"description": "x" * 4097}]})
    assert (status, body["code"]) == (400, 50035)
    embeds = [{"description": "x" * 4000}, {"description": "y" * 2001}]
    status, body, _ = await client.call("POST", path, {"embeds": embeds})
    assert (status, body["code"]) == (400, 50035)
    assert client.sandbox.messages("general") == []


async def test_history_paging_matches_discord(api: tuple[Api, Seed]) -> None:
    client, seed = api
    ids = [client.sandbox.send("ada", "general", str(n))["id"] for n in range(10)]
    path = f"/channels/{seed.general_id}/messages"
    _, newest, _ = await client.call("GET", f"{path}?limit=3")
    assert [m["id"] for m in newest] == ids[::-1][:3]
    _, before, _ = await client.call("GET", f"{path}?limit=3&before={ids[5]}")
    assert [m["id"] for m in before] == [ids[4], ids[3], ids[2]]
    _, after, _ = await client.call("GET", f"{path}?limit=3&after={ids[5]}")
    assert [m["id"] for m in after] == [ids[8], ids[7], ids[6]]  # the oldest after, newest first
    _, around, _ = await client.call("GET", f"{path}?limit=4&around={ids[5]}")
    assert [m["id"] for m in around] == [ids[6], ids[5], ids[4], ids[3]]
    status, body, _ = await client.call("GET", f"{path}?limit=101")
    assert (status, body["code"]) == (400, 50035)


async def test_threads_from_messages_and_archiving(api: tuple[Api, Seed]) -> None:
    client, seed = api
    message = client.sandbox.send("ada", "general", "start here")
    path = f"/channels/{seed.general_id}/messages/{message['id']}/threads"
    status, thread, _ = await client.call("POST", path, {"name": "Talk", "auto_archive_duration": 10080})
    assert status == 201 and thread["id"] == message["id"] and thread["parent_id"] == seed.general_id
    status, body, _ = await client.call("POST", path, {"name": "Again"})
    assert (status, body["code"]) == (400, 160004)
    status, body, _ = await client.call(
        "POST",
        path.replace(message["id"], client.sandbox.send("ada", "general", "x")["id"]),
        {"name": "n" * 101},
    )
    assert status == 400
    client.sandbox.archive(thread["id"])
    _, active, _ = await client.call("GET", f"/guilds/{seed.guild_id}/threads/active")
    assert active["threads"] == []
    _, archived, _ = await client.call("GET", f"/channels/{seed.general_id}/threads/archived/public")
    assert [t["id"] for t in archived["threads"]] == [thread["id"]] and archived["has_more"] is False
    status, body, _ = await client.call(
        "PATCH", f"/channels/{thread['id']}/messages/{message['id']}", {"content": "no"}
    )
    assert status in (403, 404) or body["code"] == 50083
    client.sandbox.send("ben", thread["id"], "a member posting unarchives it")
    assert client.sandbox.channel(thread["id"])["thread_metadata"]["archived"] is False


async def test_forum_posts_and_webhooks(api: tuple[Api, Seed]) -> None:
    client, seed = api
    forum = client.sandbox.channel(seed.forum_id)
    tag = forum["available_tags"][0]["id"]
    status, post, _ = await client.call(
        "POST",
        f"/channels/{seed.forum_id}/threads",
        {"name": "Post", "applied_tags": [tag], "message": {"content": "first"}},
    )
    assert status == 201 and post["message"]["id"] == post["id"] and post["applied_tags"] == [tag]
    status, hook, _ = await client.call("POST", f"/channels/{seed.forum_id}/webhooks", {"name": "Readalong"})
    assert status == 200
    url = f"/webhooks/{hook['id']}/{hook['token']}?wait=true&thread_id={post['id']}"
    status, said, _ = await client.call("POST", url, {"content": "as Kuda", "username": "Kuda"}, auth=False)
    assert status == 200 and said["author"]["username"] == "Kuda" and said["webhook_id"] == hook["id"]
    assert [m["content"] for m in client.sandbox.messages(post["id"])] == ["first", "as Kuda"]
    status, body, _ = await client.call(
        "POST", f"/webhooks/{hook['id']}/wrong-token?wait=true", {"content": "x"}, auth=False
    )
    assert (status, body["code"]) == (404, 10015)


async def test_allowed_mentions_decide_who_is_pinged(api: tuple[Api, Seed]) -> None:
    client, seed = api
    text = f"<@{seed.reader_id}> @everyone"
    path = f"/channels/{seed.general_id}/messages"
    _, quiet, _ = await client.call("POST", path, {"content": text, "allowed_mentions": {"parse": []}})
    assert quiet["mentions"] == [] and quiet["mention_everyone"] is False
    _, loud, _ = await client.call("POST", path, {"content": text})
    assert [u["id"] for u in loud["mentions"]] == [seed.reader_id]
    member = client.sandbox.send("ada", "general", "reply", reply_to=quiet)
    assert member["type"] == 19 and member["referenced_message"]["id"] == quiet["id"]


async def test_snapshot_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "world.json"
    async with Sandbox(snapshot=path) as sandbox:
        seed = sandbox.seed()
        sandbox.send("ada", "general", "kept")
    assert path.exists()
    world = World.load(path)
    assert [m["content"] for m in world.messages[seed.general_id].values()] == ["kept"]
    async with Sandbox(snapshot=path) as again:
        assert again.world.bot_id == seed.bot_id
        assert [m["content"] for m in again.messages("general")] == ["kept"]


async def test_private_threads_as_discord_documents_them(api: tuple[Api, Seed]) -> None:
    """Private threads (type 12): created without a message, seen only by their members and by
    those who may Manage Threads; members added by PUT (204) or by a mention; GET of a thread
    member is 404 for a non-member; an archived thread takes no new members."""
    client, seed = api
    world = client.sandbox.world
    status, body, _ = await client.call("POST", f"/channels/{seed.general_id}/threads", {"name": "no type"})
    assert status == 400 and body["code"] == 50035  # ``type`` is required in v10
    status, thread, _ = await client.call(
        "POST", f"/channels/{seed.general_id}/threads", {"name": "private", "type": 12}
    )
    assert status == 201 and thread["type"] == 12 and thread["parent_id"] == seed.general_id
    assert client.sandbox.messages("general") == []  # no system message in the channel
    path = f"/channels/{thread['id']}/thread-members"
    status, member, _ = await client.call("GET", f"{path}/{seed.bot_id}")
    assert status == 200 and member["user_id"] == seed.bot_id  # the creator is a member
    status, body, _ = await client.call("GET", f"{path}/{seed.reader_id}")
    assert status == 404 and body["code"] == 10007
    assert not world.can_view(seed.reader_id, thread["id"])
    assert world.can_view(seed.admin_id, thread["id"])  # the owner may manage threads
    with pytest.raises(ApiError) as refused:
        world.create_message(thread["id"], seed.reader_id, {"content": "let me in"})
    assert refused.value.status == 403 and refused.value.code == 50001
    status, _, _ = await client.call("PUT", f"{path}/{seed.reader_id}")
    assert status == 204 and world.can_view(seed.reader_id, thread["id"])
    status, member, _ = await client.call("GET", f"{path}/{seed.reader_id}")
    assert status == 200 and member["user_id"] == seed.reader_id
    # A mention adds whoever can see the channel.
    third = world.create_user("cy")
    world.add_member(seed.guild_id, third["id"])
    world.create_message(thread["id"], seed.reader_id, {"content": f"<@{third['id']}> come in"})
    assert world.can_view(third["id"], thread["id"])
    status, body, _ = await client.call("PUT", f"{path}/{'1' * 18}")
    assert status == 404 and body["code"] == 10007  # not a member of the server
    # Archived: no new members, and still hidden from non-members.
    fourth = world.create_user("dee")
    world.add_member(seed.guild_id, fourth["id"])
    client.sandbox.archive(thread)
    status, body, _ = await client.call("PUT", f"{path}/{fourth['id']}")
    assert status == 400 and body["code"] == 50083
    assert not world.can_view(fourth["id"], thread["id"])


# -- Discord's posting rules (issue 12): webhooks, forum tags, active threads, 2FA ----------------
# Each answers with Discord's status and error code, as the API docs list them (Webhook resource,
# Channel resource "Channel Flags" and "Forum Tag Object", topics "Threads", "Permissions",
# "OAuth2: Two-Factor Authentication Requirement", "Opcodes and Status Codes: JSON Error Codes").


async def test_webhook_names_are_trimmed_and_checked_on_create_and_execute(api: tuple[Api, Seed]) -> None:
    client, seed = api
    path = f"/channels/{seed.general_id}/webhooks"
    for refused, code in [
        ("Discord Fan", "USERNAME_INVALID_CONTAINS"),
        ("Clyde", "USERNAME_INVALID_CONTAINS"),
        ("everyone", "USERNAME_INVALID"),
        ("HERE", "USERNAME_INVALID"),
        ("  \t ", "BASE_TYPE_BAD_LENGTH"),
        ("x" * 81, "BASE_TYPE_BAD_LENGTH"),
    ]:
        status, body, _ = await client.call("POST", path, {"name": refused})
        assert (status, body["code"]) == (400, 50035), refused
        assert body["errors"]["name"]["_errors"][0]["code"] == code
    status, hook, _ = await client.call("POST", path, {"name": "  Readalong  "})
    assert status == 200 and hook["name"] == "Readalong"
    status, hook80, _ = await client.call("POST", path, {"name": "y" * 80})
    assert status == 200 and hook80["name"] == "y" * 80
    url = f"/webhooks/{hook['id']}/{hook['token']}?wait=true"
    status, body, _ = await client.call("POST", url, {"content": "hi", "username": "Discord Fan"}, auth=False)
    assert (status, body["code"]) == (400, 50035)
    assert body["errors"]["username"]["_errors"][0]["code"] == "USERNAME_INVALID_CONTAINS"
    status, said, _ = await client.call(
        "POST", url, {"content": "  \n said with spaces \n ", "username": "  Ada  "}, auth=False
    )
    assert status == 200 and said["author"]["username"] == "Ada"
    assert said["content"] == "said with spaces"  # content trimmed, as Discord stores it


async def test_at_most_fifteen_webhooks_per_channel(api: tuple[Api, Seed]) -> None:
    client, seed = api
    path = f"/channels/{seed.general_id}/webhooks"
    for number in range(15):
        status, _, _ = await client.call("POST", path, {"name": f"hook {number}"})
        assert status == 200
    status, body, _ = await client.call("POST", path, {"name": "hook 16"})
    assert (status, body["code"]) == (400, 30007)
    status, _, _ = await client.call("POST", f"/channels/{seed.forum_id}/webhooks", {"name": "hook 16"})
    assert status == 200  # the limit is per channel


async def test_webhooks_need_the_owners_2fa_where_the_server_requires_it(api: tuple[Api, Seed]) -> None:
    client, seed = api
    world = client.sandbox.world
    path = f"/channels/{seed.general_id}/webhooks"
    world.guilds[seed.guild_id]["mfa_level"] = 1
    world.owner_mfa_enabled = False
    for method, body in (("POST", {"name": "Readalong"}), ("GET", None)):
        status, answer, _ = await client.call(method, path, body)
        assert (status, answer["code"]) == (403, 60003), method
    world.owner_mfa_enabled = True
    status, _, _ = await client.call("POST", path, {"name": "Readalong"})
    assert status == 200
    world.owner_mfa_enabled = False
    world.guilds[seed.guild_id]["mfa_level"] = 0  # the server lowers its requirement
    status, hooks, _ = await client.call("GET", path)
    assert status == 200 and len(hooks) == 1


async def test_forum_requiring_a_tag_and_moderated_tags(api: tuple[Api, Seed]) -> None:
    client, seed = api
    world = client.sandbox.world
    forum = world.channel(seed.forum_id)
    forum["flags"] = 1 << 4  # REQUIRE_TAG
    path = f"/channels/{seed.forum_id}/threads"
    status, body, _ = await client.call("POST", path, {"name": "Post", "message": {"content": "x"}})
    assert (status, body["code"]) == (400, 40067)
    tag = forum["available_tags"][0]
    tag["moderated"] = True
    world.set_overwrite(seed.forum_id, seed.bot_id, deny=perms.MANAGE_THREADS, member=True)
    post = {"name": "Post", "applied_tags": [tag["id"]], "message": {"content": "x"}}
    status, body, _ = await client.call("POST", path, post)
    assert (status, body["code"]) == (403, 50013)  # not without Manage Threads
    world.set_overwrite(seed.forum_id, seed.bot_id, allow=perms.MANAGE_THREADS, member=True)
    status, created, _ = await client.call("POST", path, post)
    assert status == 201 and created["applied_tags"] == [tag["id"]]


async def test_the_guild_cap_on_active_threads(api: tuple[Api, Seed]) -> None:
    client, seed = api
    world = client.sandbox.world
    world.max_active_threads = len(world.active_threads(seed.guild_id)) + 2
    path = f"/channels/{seed.general_id}/threads"
    for name in ("one", "two"):
        status, thread, _ = await client.call("POST", path, {"name": name, "type": 11})
        assert status == 201
    status, body, _ = await client.call("POST", path, {"name": "three", "type": 11})
    assert (status, body["code"]) == (400, 160006)
    status, body, _ = await client.call(
        "POST", f"/channels/{seed.forum_id}/threads", {"name": "post", "message": {"content": "x"}}
    )
    assert (status, body["code"]) == (400, 160006)
    world.archive_thread(thread["id"])  # archived threads do not count
    status, _, _ = await client.call("POST", path, {"name": "three", "type": 11})
    assert status == 201


async def test_announcement_channels_are_text_like_with_announcement_threads(api: tuple[Api, Seed]) -> None:
    """Discord's channel types: GUILD_ANNOUNCEMENT (5) holds messages like a text channel; a thread
    started from one of its messages is a GUILD_ANNOUNCEMENT_THREAD (10); it takes webhooks; it has
    no private threads."""
    client, seed = api
    news = client.sandbox.world.create_channel(seed.guild_id, "news", kind=ANNOUNCEMENT)
    status, shown, _ = await client.call("GET", f"/channels/{news['id']}")
    assert (status, shown["type"]) == (200, 5) and "available_tags" not in shown
    status, message, _ = await client.call("POST", f"/channels/{news['id']}/messages", {"content": "§1"})
    assert status == 200
    status, thread, _ = await client.call(
        "POST", f"/channels/{news['id']}/messages/{message['id']}/threads", {"name": "§1 talk"}
    )
    assert (status, thread["type"], thread["parent_id"]) == (201, 10, news["id"])
    status, said, _ = await client.call("POST", f"/channels/{thread['id']}/messages", {"content": "in it"})
    assert status == 200 and said["channel_id"] == thread["id"]
    _, active, _ = await client.call("GET", f"/guilds/{seed.guild_id}/threads/active")
    assert thread["id"] in [t["id"] for t in active["threads"]]
    status, hook, _ = await client.call("POST", f"/channels/{news['id']}/webhooks", {"name": "Readalong"})
    assert status == 200 and hook["channel_id"] == news["id"]
    status, body, _ = await client.call(
        "POST", f"/channels/{news['id']}/threads", {"name": "secret", "type": 12}
    )
    assert (status, body["code"]) == (400, 50024)
    client.sandbox.archive(thread["id"])
    _, archived, _ = await client.call("GET", f"/channels/{news['id']}/threads/archived/public")
    assert [t["id"] for t in archived["threads"]] == [thread["id"]]


async def test_media_channels_are_forum_like(api: tuple[Api, Seed]) -> None:
    """GUILD_MEDIA (16), "similar to GUILD_FORUM": posts only (public threads, type 11) with tags,
    no messages of its own, webhooks that need a thread_name or thread_id."""
    client, seed = api
    media = client.sandbox.world.create_channel(seed.guild_id, "gallery", kind=MEDIA, tags=["Photos"])
    status, shown, _ = await client.call("GET", f"/channels/{media['id']}")
    assert (status, shown["type"]) == (200, 16) and [t["name"] for t in shown["available_tags"]] == ["Photos"]
    status, body, _ = await client.call("POST", f"/channels/{media['id']}/messages", {"content": "no"})
    assert (status, body["code"]) == (400, 50024)
    tag = shown["available_tags"][0]["id"]
    status, post, _ = await client.call(
        "POST",
        f"/channels/{media['id']}/threads",
        {"name": "Post", "applied_tags": [tag], "message": {"content": "first"}},
    )
    assert (status, post["type"], post["message"]["id"]) == (201, 11, post["id"])
    status, history, _ = await client.call("GET", f"/channels/{media['id']}/messages")
    assert (status, history) == (200, [])
    status, hook, _ = await client.call("POST", f"/channels/{media['id']}/webhooks", {"name": "Readalong"})
    assert status == 200
    status, body, _ = await client.call(
        "POST", f"/webhooks/{hook['id']}/{hook['token']}?wait=true", {"content": "x"}, auth=False
    )
    assert (status, body["code"]) == (400, 220001)
    status, said, _ = await client.call(
        "POST",
        f"/webhooks/{hook['id']}/{hook['token']}?wait=true",
        {"content": "a post by webhook", "thread_name": "Kuda's"},
        auth=False,
    )
    assert status == 200 and client.sandbox.channel(said["channel_id"])["parent_id"] == media["id"]


async def test_rate_limited_answers_carry_discords_error_code(api: tuple[Api, Seed]) -> None:
    """Discord's 429 body is an error object (``code`` and ``message``) plus ``retry_after`` and ``global``."""
    client, seed = api
    client.sandbox.rate_limit_next("POST /channels/")
    status, body, _ = await client.call("POST", f"/channels/{seed.general_id}/messages", {"content": "x"})
    assert status == 429 and body["code"] == 0 and body["global"] is False
    for _ in range(5):
        await client.call("POST", f"/channels/{seed.general_id}/messages", {"content": "y"})
    status, body, _ = await client.call("POST", f"/channels/{seed.general_id}/messages", {"content": "z"})
    assert status == 429 and body["code"] == 0 and body["retry_after"] > 0


# -- issue 12: interaction, message and gateway rules as Discord documents them --------------------
# (interactions: "Receiving and Responding"; messages: Create Message and "Embed Limits"; threads:
# "Locked Threads"; gateway: close codes and Privileged Intents; the invite permissions.)


@pytest.fixture
async def rules() -> AsyncIterator[tuple[Api, Seed]]:
    """A sandbox without rate limits and with a short interaction clock (0.3 s to answer, tokens
    living 1 s), so each rule is seen on its own, quickly."""
    async with (
        Sandbox(
            limits=RateLimitConfig(enabled=False), interaction_deadline=0.3, token_lifetime=1.0
        ) as sandbox,
        aiohttp.ClientSession() as session,
    ):
        yield Api(sandbox, session), sandbox.seed()


async def _interaction(client: Api, seed: Seed) -> tuple[asyncio.Task[CommandResult], dict[str, Any]]:
    """Ben runs ``/slow``; the INTERACTION_CREATE payload the bot would get, and the run's task."""
    sandbox = client.sandbox
    if not sandbox.world.commands.get(seed.guild_id):
        status, _, _ = await client.call(
            "PUT",
            f"/applications/{sandbox.world.application_id}/guilds/{seed.guild_id}/commands",
            [{"name": "slow", "description": "A command that takes its time", "type": 1}],
        )
        assert status == 200
    created: list[dict[str, Any]] = []

    def listen(event: str, data: dict[str, Any], channel_id: str | None) -> None:
        if event == "INTERACTION_CREATE":
            created.append(data)

    sandbox.world.listeners.append(listen)
    run = asyncio.create_task(sandbox.run("ben", "general", "/slow"))
    await sandbox.wait_until(lambda: bool(created), within=2)
    sandbox.world.listeners.remove(listen)
    return run, created[0]


async def test_an_interaction_answered_after_the_deadline_is_unknown(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    run, interaction = await _interaction(client, seed)
    await asyncio.sleep(0.4)  # past the (shortened) 3 s
    callback = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    status, body, _ = await client.call(
        "POST", callback, {"type": 4, "data": {"content": "late"}}, auth=False
    )
    assert (status, body["code"]) == (404, 10062)
    assert body["message"] == "Unknown interaction"
    assert (await run).failed  # the member saw "The application did not respond"
    # The token was invalidated at the deadline: follow-ups are refused too.
    hook = f"/webhooks/{interaction['application_id']}/{interaction['token']}"
    status, body, _ = await client.call("POST", hook, {"content": "late too"}, auth=False)
    assert (status, body["code"]) == (401, 50027)
    assert client.sandbox.messages("general") == []


async def test_a_deferred_interaction_token_lives_for_its_lifetime_only(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    run, interaction = await _interaction(client, seed)
    callback = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
    client.sandbox.stall(0.5)  # held past the deadline, but it arrived in time: that is what counts
    status, _, _ = await client.call("POST", callback, {"type": 5}, auth=False)
    assert status == 200
    hook = f"/webhooks/{interaction['application_id']}/{interaction['token']}"
    status, message, _ = await client.call("POST", f"{hook}?wait=true", {"content": "done"}, auth=False)
    assert status == 200 and message["content"] == "done"
    result = await run
    assert not result.failed and result.text == "done"
    status, body, _ = await client.call("POST", callback, {"type": 5}, auth=False)
    assert (status, body["code"]) == (400, 40060)  # answered once is answered
    await asyncio.sleep(1.1)  # past the (shortened) 15 minutes
    for method, path, payload in (
        ("POST", f"{hook}?wait=true", {"content": "too late"}),
        ("PATCH", f"{hook}/messages/@original", {"content": "edited too late"}),
    ):
        status, body, _ = await client.call(method, path, payload, auth=False)
        assert (status, body["code"]) == (401, 50027), method
    assert [m["content"] for m in client.sandbox.world.messages[seed.general_id].values()] == ["done"]


async def _locked_thread(client: Api, seed: Seed, *, archived: bool = False) -> dict[str, Any]:
    world = client.sandbox.world
    starter = world.create_message(seed.general_id, seed.reader_id, {"content": "a thought"})
    thread = world.start_thread(seed.general_id, starter["id"], seed.reader_id, "locked")
    world.update_thread(thread["id"], seed.admin_id, {"locked": True, "archived": archived})
    return thread


@pytest.mark.parametrize("archived", [False, True])
async def test_locked_threads_refuse_messages_without_manage_threads(
    rules: tuple[Api, Seed], archived: bool
) -> None:
    client, seed = rules
    world = client.sandbox.world
    thread = await _locked_thread(client, seed, archived=archived)
    status, body, _ = await client.call("POST", f"/channels/{thread['id']}/messages", {"content": "hello"})
    assert (status, body["code"], body["message"]) == (403, 160005, "Thread is locked")
    with pytest.raises(ApiError) as refused:
        world.create_message(thread["id"], seed.reader_id, {"content": "me too"})
    assert refused.value.code == 160005
    assert world.messages[thread["id"]] == {}
    assert world.channel(thread["id"])["thread_metadata"]["archived"] is archived  # not unarchived
    # Whoever has Manage Threads (the owner here) still may post, and so unarchives it.
    assert (
        world.create_message(thread["id"], seed.admin_id, {"content": "moderator"})["content"] == "moderator"
    )


async def test_editing_in_a_locked_thread_is_refused_too(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    world = client.sandbox.world
    starter = world.create_message(seed.general_id, seed.reader_id, {"content": "a thought"})
    thread = world.start_thread(seed.general_id, starter["id"], seed.reader_id, "soon locked")
    status, mine, _ = await client.call("POST", f"/channels/{thread['id']}/messages", {"content": "v1"})
    assert status == 200
    world.update_thread(thread["id"], seed.admin_id, {"locked": True})
    path = f"/channels/{thread['id']}/messages/{mine['id']}"
    status, body, _ = await client.call("PATCH", path, {"content": "v2"})
    assert (status, body["code"]) == (403, 160005)
    assert world.message(thread["id"], mine["id"])["content"] == "v1"


async def test_a_reply_needs_read_message_history(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    world = client.sandbox.world
    original = world.create_message(seed.general_id, seed.reader_id, {"content": "question"})
    world.set_overwrite(seed.general_id, seed.bot_id, deny=perms.READ_MESSAGE_HISTORY, member=True)
    reply = {"content": "answer", "message_reference": {"message_id": original["id"]}}
    status, body, _ = await client.call("POST", f"/channels/{seed.general_id}/messages", reply)
    assert (status, body["code"]) == (403, 160002)
    status, plain, _ = await client.call(
        "POST", f"/channels/{seed.general_id}/messages", {"content": "answer"}
    )
    assert status == 200 and "message_reference" not in plain


def _errors_leaf(body: dict[str, Any], *path: str) -> dict[str, Any]:
    node = body["errors"]
    for key in path:
        node = node[key]
    leaf: dict[str, Any] = node["_errors"][0]
    return leaf


@pytest.mark.parametrize(
    ("embeds", "path", "code"),
    [
        ([{"title": "t" * 257}], ("embeds", "0", "title"), "BASE_TYPE_MAX_LENGTH"),
        ([{"description": "d" * 4097}], ("embeds", "0", "description"), "BASE_TYPE_MAX_LENGTH"),
        (
            [{"title": "ok"}, {"fields": [{"name": "n", "value": "v"}] * 26}],
            ("embeds", "1", "fields"),
            "BASE_TYPE_MAX_LENGTH",
        ),
        ([{"fields": [{"name": "n" * 257, "value": "v"}]}], ("embeds", "0", "fields", "0", "name"), None),
        ([{"fields": [{"name": "n", "value": "v" * 1025}]}], ("embeds", "0", "fields", "0", "value"), None),
        ([{"footer": {"text": "f" * 2049}}], ("embeds", "0", "footer", "text"), None),
        ([{"author": {"name": "a" * 257}}], ("embeds", "0", "author", "name"), None),
        ([{"title": "x"}] * 11, ("embeds",), "BASE_TYPE_MAX_LENGTH"),
        (
            [{"description": "d" * 3000}, {"description": "d" * 3000, "title": "t"}],
            ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
        ),
    ],
)
async def test_embed_limits_are_400_50035_with_discords_errors(
    rules: tuple[Api, Seed], embeds: list[dict[str, Any]], path: tuple[str, ...], code: str | None
) -> None:
    client, seed = rules
    status, body, _ = await client.call("POST", f"/channels/{seed.general_id}/messages", {"embeds": embeds})
    assert (status, body["code"], body["message"]) == (400, 50035, "Invalid Form Body")
    assert _errors_leaf(body, *path)["code"] == (code or "BASE_TYPE_MAX_LENGTH")
    assert client.sandbox.messages("general") == []


async def test_embeds_at_the_limits_pass_measured_after_trimming(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    embed = {
        "title": "  " + "t" * 256 + "\n",
        "description": "d" * 4096,
        "fields": [{"name": "n" * 256, "value": "v" * 1024}] * 1,
        "footer": {"text": " f "},
        "author": {"name": "a" * 256},
    }
    # 256 + 4096 + 256 + 1024 + 1 + 256 = 5889 in one embed; a second of 111 makes exactly 6,000.
    second = {"description": "e" * 111}
    status, body, _ = await client.call(
        "POST", f"/channels/{seed.general_id}/messages", {"embeds": [embed, second]}
    )
    assert status == 200, body
    assert body["embeds"][0]["title"] == "t" * 256 and body["embeds"][0]["footer"]["text"] == "f"


async def test_content_is_trimmed_and_blank_content_is_an_empty_message(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    path = f"/channels/{seed.general_id}/messages"
    status, body, _ = await client.call("POST", path, {"content": " \n  hello  world \t\n"})
    assert status == 200 and body["content"] == "hello  world"  # inside untouched
    status, body, _ = await client.call("POST", path, {"content": " \n\t "})
    assert (status, body["code"], body["message"]) == (400, 50006, "Cannot send an empty message")
    status, body, _ = await client.call("POST", path, {"content": "  ", "embeds": [{"title": "x"}]})
    assert status == 200 and body["content"] == ""
    status, edited, _ = await client.call("PATCH", f"{path}/{body['id']}", {"content": " edited "})
    assert status == 200 and edited["content"] == "edited"
    assert [m["content"] for m in client.sandbox.messages("general")] == ["hello  world", "edited"]


async def _identify(sandbox: Sandbox, session: aiohttp.ClientSession, intents: int) -> tuple[int | None, Any]:
    """Connect, IDENTIFY with ``intents``; the close code (None if still open) and the first dispatch."""
    async with session.ws_connect(sandbox.ws_url) as socket:
        hello = await socket.receive_json(timeout=2)
        assert hello["op"] == 10
        token = sandbox.token
        await socket.send_json({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}})
        frame = await socket.receive(timeout=2)
        if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
            return socket.close_code, frame.extra
        return None, frame.json()


async def test_privileged_intents_not_enabled_close_with_4014(rules: tuple[Api, Seed]) -> None:
    client, _ = rules
    sandbox = client.sandbox
    # Five IDENTIFYs in a row: the point is the intents, not Discord's one-per-5-s window.
    sandbox.gateway.identify_window = 0.0
    message_content, guilds = 1 << 15, 1 << 0
    code, first = await _identify(sandbox, client.session, guilds | message_content)
    assert code is None and first["t"] == "READY"  # enabled by default, as a configured app has them
    for privileged in (1 << 1, 1 << 8, message_content):  # members, presences, message content
        sandbox.gateway.enabled_intents = 0
        code, reason = await _identify(sandbox, client.session, guilds | privileged)
        assert (code, reason) == (4014, "Disallowed intent(s)."), privileged
    code, first = await _identify(sandbox, client.session, guilds | (1 << 9))  # not privileged
    assert code is None and first["t"] == "READY"
    assert sandbox.gateway.identifies == 2


OPERATORS = Path(__file__).parents[2] / "docs" / "operators.md"


def readme_invite() -> tuple[int, list[str]]:
    """The permissions integer docs/operators.md's "Running it on Discord" asks the operator to
    invite the bot with, and the permissions it names beside it."""
    found = re.search(r"permissions integer\s+\*\*(\d+)\*\*: ([^.]+)\.", OPERATORS.read_text())
    assert found is not None, "docs/operators.md no longer gives the invite's permissions integer"
    names = re.sub(r"\s*\([^)]*\)", "", " ".join(found.group(2).split()))
    return int(found.group(1)), [n.strip() for n in re.split(r",| and ", names) if n.strip()]


@pytest.mark.parametrize("forum", [False, True], ids=["text channel", "forum"])
def test_the_invite_holds_every_permission_the_publisher_requires(forum: bool) -> None:
    """An operator who invites the bot with the README's integer can post an article with its
    comments, in a text channel and in a forum: the publisher's own check finds nothing
    missing. (Checked against Discord's bits as discord.py knows them, not the sandbox's.)"""
    invite, named = readme_invite()
    granted = discord.Permissions(invite)
    assert missing_permissions(granted, forum=forum, with_comments=True) == []
    # The names beside the integer are the integer, bit by bit.
    flags = {name.lower().replace(" ", "_"): True for name in named}
    assert discord.Permissions(**flags).value == invite, named
    # Nothing beyond it that the publisher does not ask for: no Manage Threads or Messages.
    assert not granted.manage_threads and not granted.manage_messages and not granted.administrator


async def test_the_seeded_bot_role_holds_the_readme_invite(rules: tuple[Api, Seed]) -> None:
    """The sandbox's bot runs with the rights a real invite gives it, no more."""
    client, seed = rules
    world = client.sandbox.world
    bot_roles = world.members[seed.guild_id][seed.bot_id]["roles"]
    (role,) = [world.roles[seed.guild_id][r] for r in bot_roles]
    assert int(role["permissions"]) == readme_invite()[0]
    guild_wide = world.permissions(seed.bot_id, None, seed.guild_id)
    assert not guild_wide & perms.MANAGE_THREADS and not guild_wide & perms.MANAGE_MESSAGES
