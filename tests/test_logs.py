"""Tokens of every kind are taken out of log lines, at every level: unit checks of the redaction,
and ``readalong run`` at DEBUG against the sandbox, whose log must hold none of the tokens used."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest

from bot.logs import REDACTED, RedactingFormatter, redact, setup_logging
from bot.sandbox import Limit, RateLimitConfig, Sandbox
from tests.conftest import import_with_cli
from tests.harness import ReadalongProcess

BOT_TOKEN = "MTA4NzY1NDMyMTA5ODc2NTQzMg.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        (
            "POST https://discord.com/api/v10/webhooks/123/aBc-DeF_ghi.jkl?wait=1 has returned 200",
            "aBc-DeF_ghi.jkl",
        ),
        ("POST /api/v10/interactions/456/tok_en-xyz/callback with {}", "tok_en-xyz"),
        (f"Authorization: Bot {BOT_TOKEN}", BOT_TOKEN),
        (f"logged in with {BOT_TOKEN}", BOT_TOKEN),
        ("openai said: incorrect API key sk-proj-abcdefgh12345678", "sk-proj-abcdefgh12345678"),
        ("a configured secret sandbox.zyx987 appears", "sandbox.zyx987"),
        (
            "WebSocket Event: {'t': 'INTERACTION_CREATE', 'd': {'token': 'aW50ZXJhY3Rpb24'}}",
            "aW50ZXJhY3Rpb24",
        ),
    ],
)
def test_redact_takes_out_every_kind_of_token(line: str, secret: str) -> None:
    cleaned = redact(line, ["sandbox.zyx987"])
    assert secret not in cleaned and REDACTED in cleaned
    assert "webhooks/123/" in cleaned or "webhooks" not in line  # the id stays, to tell hooks apart


def test_a_traceback_is_redacted_too() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter(logging.Formatter("%(message)s"), ["s3cr3t-value"]))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        raise RuntimeError("request to /webhooks/9/hooktoken-abc failed with s3cr3t-value")
    except RuntimeError:
        logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "hooktoken-abc" not in stream.getvalue() and "s3cr3t-value" not in stream.getvalue()
    assert "RuntimeError" in stream.getvalue()


def test_setup_logging_wraps_the_root_handlers_once() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    try:
        setup_logging(logging.DEBUG, secrets=["hunter2-secret"], handler=handler)
        setup_logging(logging.DEBUG, secrets=["hunter2-secret"], handler=handler)
        logging.getLogger("discord.http").debug("GET /webhooks/1/abc-token with hunter2-secret")
        assert isinstance(handler.formatter, RedactingFormatter)
        assert "abc-token" not in stream.getvalue() and "hunter2-secret" not in stream.getvalue()
        assert stream.getvalue().count("GET /webhooks/1/[redacted]") == 1
    finally:
        for extra in [h for h in root.handlers if h not in before]:
            root.removeHandler(extra)
        root.setLevel(logging.WARNING)


@pytest.fixture
def limits() -> RateLimitConfig:
    return RateLimitConfig(messages_per_channel=Limit(5, 0.25), webhook_executions=Limit(5, 0.1))


async def test_no_token_in_a_debug_log_of_a_posting_and_a_question(tmp_path: Path, sample_path: Path) -> None:
    db = tmp_path / "readalong.db"
    log = tmp_path / "bot.log"
    async with Sandbox(limits=RateLimitConfig(Limit(5, 0.25), webhook_executions=Limit(5, 0.1))) as sandbox:
        seed = sandbox.seed()
        await import_with_cli(db, sample_path)
        # ``readalong run`` in a process of its own (forked from the tests' starter, which imported
        # the bot once), logging at DEBUG to its standard error as it would under systemd.
        bot = ReadalongProcess(sandbox, seed.guild_id, db, log, log_level="DEBUG")
        bot.environment["READALONG_ASK_COOLDOWN"] = "0"
        await bot.start()
        try:
            await sandbox.wait_until(lambda: bool(sandbox.world.commands.get(seed.guild_id)), within=30)
            await sandbox.wait_until(
                lambda: sandbox.gateway.identifies == 1 and bool(sandbox.gateway.connections), within=10
            )
            await asyncio.sleep(0.5)  # READY, then the bot's on_ready
            await sandbox.run(
                "ada", "general", "/article post article:the-lessons-of-zhanaozen channel:#general"
            )
            await sandbox.wait_until(lambda: comments_posted(sandbox), within=60)
            answer = await sandbox.run("ben", "general", "/ask question:How many people died?")
            assert "16 people died" in answer.text
            await sandbox.wait_idle()
        finally:
            await bot.stop()
            await bot.close()
        tokens = {sandbox.token}
        tokens |= {hook["token"] for hook in sandbox.world.webhooks.values()}
        tokens |= set(sandbox.interactions)
    text = log.read_text()
    assert "/webhooks/" in text and REDACTED in text, "DEBUG did not log request URLs: the test saw nothing"
    assert len(tokens) >= 4
    leaked = [token for token in tokens if token in text]
    assert leaked == [], f"{len(leaked)} tokens in the log"


def comments_posted(sandbox: Sandbox) -> bool:
    threads = [t for t in sandbox.threads("general") if t["name"].startswith("Comments:")]
    return bool(threads) and len(sandbox.messages(threads[-1]["id"])) >= 2
