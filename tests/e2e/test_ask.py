"""``/ask`` and mentions through the sandbox, with links to the posted sections."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.settings import Secret, Settings
from tests.e2e.conftest import wait_archived
from tests.openai_server import INVENTED, FakeOpenAI


async def posted(sandbox: Sandbox, *, sample_path: Path) -> None:
    await sandbox.run_command(
        "ada", "general", "article import", {"file": (sample_path.name, sample_path.read_bytes())}
    )
    await sandbox.run_command(
        "ada", "general", "article post", {"article": "the-lessons-of-zhanaozen", "channel": "general"}
    )
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) == 7, within=30)
    await sandbox.wait_idle()


async def test_ask_quotes_with_a_link_to_the_section(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path=sample_path)
    result = await sandbox.run("ben", "general", "/ask question:How many people died? @everyone")
    assert not result.ephemeral
    (message,) = result.messages
    assert "> The result was that 16 people died and many more were injured." in message["content"]
    section_one = sandbox.messages("general")[1]
    assert (
        f"(https://discord.com/channels/{seed.guild_id}/{seed.general_id}/{section_one['id']})"
        in message["content"]
    )
    assert message["mentions"] == [] and not message["mention_everyone"]
    assert await bot.store.asks.count() == 1
    refused = await sandbox.run("ada", "general", "/ask question:What is the capital of France?")
    assert "Not found in the article" in refused.text


async def test_cooldown_per_member(
    sandbox: Sandbox, seed: Seed, settings: Settings, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path=sample_path)
    await sandbox.run("ben", "general", "/ask question:How many people died?")
    again = await sandbox.run("ben", "general", "/ask question:How many jobs?")
    assert again.ephemeral and "Slow down" in again.text


async def test_mention_in_a_thread_answers_there_as_a_reply(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[3]
    asked = sandbox.send("ben", thread, f"<@{seed.bot_id}> how many new jobs were created in 2012?")
    await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 2, within=10)
    reply = sandbox.messages(thread["id"])[-1]
    assert reply["author"]["id"] == seed.bot_id
    assert reply["message_reference"]["message_id"] == asked["id"]
    assert "Over 5,000 new jobs" in reply["content"] and reply["mentions"] == []


async def test_with_a_model_ask_defers_then_answers_with_verified_quotes(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with FakeOpenAI(behaviour="inventive") as model:
        with_model = replace(
            settings, openai_api_key=Secret("sk-e2e-key"), openai_base_url=model.url, openai_model="m"
        )
        async with running_bot(with_model):
            await posted(sandbox, sample_path=sample_path)
            result = await sandbox.run("ben", "general", "/ask question:How many people died?")
    assert result.record.response_type == 5  # deferred: "Readalong is thinking…"
    (message,) = result.messages
    offered = model.requests[0].document["passages"]
    assert "Written by a language model" in message["content"]
    assert INVENTED not in message["content"]
    assert f"> {offered[0]['text']}" in message["content"]
    assert f"https://discord.com/channels/{seed.guild_id}/{seed.general_id}/" in message["content"]
    assert message["mentions"] == []


async def test_ask_quotes_a_readers_reply_labelled_as_a_readers(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await posted(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[1]
    said = sandbox.send("ben", thread, "My uncle drove the night bus from Aktau to Zhanaozen for nine years.")
    await sandbox.wait_idle()
    await wait_archived(bot, said)
    result = await sandbox.run("ada", "general", "/ask question:Who drove the night bus from Aktau?")
    (message,) = result.messages
    assert "> My uncle drove the night bus from Aktau to Zhanaozen for nine years." in message["content"]
    assert "ben, a reader in this discussion (not the article)" in message["content"].lower()
    assert f"/{thread['id']}/{said['id']})" in message["content"]
