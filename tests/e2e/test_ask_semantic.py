"""``/ask`` and a mention with semantic retrieval on (``READALONG_SEMANTIC``): the real bot through
the sandbox, the real ``openai`` client to an embeddings server on 127.0.0.1."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.sandbox import Limit, RateLimitConfig, Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.settings import Settings
from tests.e2e.test_ask import posted
from tests.openai_server import FakeOpenAI

PARAPHRASE = "What quarrel between employees and their firm triggered the clashes?"
ANSWERING = "A long-running industrial dispute between oil workers and their company erupted into riots"


@pytest.fixture
def limits() -> RateLimitConfig:
    return RateLimitConfig(messages_per_channel=Limit(5, 0.25), webhook_executions=Limit(5, 0.1))


async def test_ask_and_mentions_answer_by_meaning(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path
) -> None:
    async with FakeOpenAI() as endpoint:
        semantic = replace(settings, openai_base_url=endpoint.url, semantic=True, embedding_model="e")
        async with running_bot(semantic) as bot:
            assert bot.writer is None and bot.embedder is not None  # no key: embeddings only
            await posted(sandbox, sample_path=sample_path)
            result = await sandbox.run("ben", "general", f"/ask question:{PARAPHRASE}")
            (message,) = result.messages
            assert f"> {ANSWERING}" in message["content"] and message["mentions"] == []
            thread = sandbox.threads("general")[2]
            sandbox.send("ada", thread, f"<@{seed.bot_id}> Which quarrel triggered the clashes?")
            await sandbox.wait_until(lambda: len(sandbox.messages(thread["id"])) >= 2, within=10)
            reply = sandbox.messages(thread["id"])[-1]
            assert reply["author"]["id"] == seed.bot_id and f"> {ANSWERING}" in reply["content"]
        batches = endpoint.embedded
        # The passages once (the first question), then one call per question.
        assert batches[-2:] == [[PARAPHRASE], ["Which quarrel triggered the clashes?"]]
        assert endpoint.requests == []
