"""Which of the bot's interaction messages it may edit, and for how long (issue 21), as Discord
documents it: "Interaction tokens are valid for 15 minutes" (Receiving and Responding), so Edit
Original Interaction Response and Edit Followup Message stop working then (401 50027 Invalid
Webhook Token); Edit Message lets "the original message author" edit content, and a public
interaction response is the bot's own message, so that still works; an ephemeral one is not in
the channel (404 Unknown Message); another user's message never (403 50005)."""

from __future__ import annotations

import asyncio

from bot.sandbox import Seed
from tests.sandbox.test_rest import Api, _interaction, rules

__all__ = ["rules"]


async def _respond(client: Api, seed: Seed, flags: int) -> tuple[dict[str, object], dict[str, object]]:
    """Ben's ``/slow`` answered at once with a message (``flags``: 64 ephemeral); the
    interaction and the response message."""
    run, interaction = await _interaction(client, seed)
    callback = f"/interactions/{interaction['id']}/{interaction['token']}/callback?with_response=1"
    status, body, _ = await client.call(
        "POST", callback, {"type": 4, "data": {"content": "an answer", "flags": flags}}, auth=False
    )
    assert status == 200, body
    await run
    return interaction, body["resource"]["message"]


async def test_a_public_response_stays_editable_as_the_bots_message_after_the_token_expired(
    rules: tuple[Api, Seed],
) -> None:
    client, seed = rules
    interaction, message = await _respond(client, seed, 0)
    original = f"/webhooks/{interaction['application_id']}/{interaction['token']}/messages/@original"
    status, body, _ = await client.call("PATCH", original, {"content": "edited by token"}, auth=False)
    assert status == 200 and body["content"] == "edited by token"  # control: while the token lives
    await asyncio.sleep(1.1)  # past the (shortened) 15 minutes
    status, body, _ = await client.call("PATCH", original, {"content": "too late"}, auth=False)
    assert (status, body["code"]) == (401, 50027)
    channel = f"/channels/{seed.general_id}/messages/{message['id']}"
    status, body, _ = await client.call("PATCH", channel, {"content": "edited as its author"})
    assert status == 200 and body["content"] == "edited as its author"


async def test_an_ephemeral_response_is_not_in_the_channel_to_edit(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    _interaction_payload, message = await _respond(client, seed, 64)
    channel = f"/channels/{seed.general_id}/messages/{message['id']}"
    status, body, _ = await client.call("PATCH", channel, {"content": "edited"})
    assert (status, body["code"]) == (404, 10008)


async def test_another_users_message_cannot_be_edited(rules: tuple[Api, Seed]) -> None:
    client, seed = rules
    said = client.sandbox.send("ben", "general", "my own words")
    status, body, _ = await client.call(
        "PATCH", f"/channels/{seed.general_id}/messages/{said['id']}", {"content": "not yours"}
    )
    assert (status, body["code"]) == (403, 50005)
    assert body["message"] == "Cannot edit a message authored by another user"
