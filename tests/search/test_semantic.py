"""Semantic retrieval (READALONG_SEMANTIC): the real ``openai`` client over HTTP to an embeddings
server on 127.0.0.1 (tests/openai_server.py) that answers with vectors from a small table of
meanings, fails, or never answers; vectors in a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.answers.embeddings import Embedder
from bot.answers.extractive import answer_question, ranked_quotes
from bot.articles import Article
from bot.articles.passages import article_passages, source_text
from bot.discordfmt.answers import answer_text
from bot.domain.answer import Answer
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.errors import SettingsError
from bot.search.hybrid import text_hash
from bot.services.ask import Asker, Question
from bot.settings import Secret, Settings
from bot.store import Store
from bot.store.embeddings import EmbeddingQueries
from tests.conftest import readalong
from tests.messages import reader_message
from tests.openai_server import FakeOpenAI

OPERATOR = Viewer.operator()
KEY = "sk-test-embed-77aa"
PARAPHRASE = "What quarrel between employees and their firm triggered the clashes?"
"""None of its content words is in the sentence that answers it (only their meanings are)."""
ANSWERING = "A long-running industrial dispute between oil workers and their company erupted into riots"


@pytest.fixture
async def server() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as running:
        yield running


def settings_for(server: FakeOpenAI, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "openai_api_key": Secret(KEY),
        "openai_base_url": server.url,
        "semantic": True,
        "embedding_model": "test-embedder",
        "embedding_timeout_seconds": 0.5,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def embedder_for(server: FakeOpenAI, **overrides: object) -> Embedder:
    embedder = Embedder.from_settings(settings_for(server))
    assert embedder is not None
    for name, value in overrides.items():
        setattr(embedder, name, value)
    return embedder


def passage_texts(article: Article) -> set[str]:
    return {p.text for p in article_passages(article)}


def assert_verbatim(article: Article, answer: Answer) -> None:
    for quote in answer.quotes:
        assert source_text(article, quote.source, quote.comment)[quote.start : quote.end] == quote.text


async def test_a_paraphrase_is_found_by_meaning_and_quoted_verbatim(
    stored: tuple[Store, Article], server: FakeOpenAI
) -> None:
    store, article = stored
    lexical = await answer_question(store, article, PARAPHRASE, viewer=OPERATOR)
    assert not any(ANSWERING in q.text for q in lexical.quotes)
    embedder = embedder_for(server)
    try:
        hybrid = await answer_question(store, article, PARAPHRASE, viewer=OPERATOR, embedder=embedder)
    finally:
        await embedder.close()
    assert hybrid.answered and ANSWERING in hybrid.quotes[0].text
    assert_verbatim(article, hybrid)
    assert server.requests == []  # embeddings only: no chat model was asked


async def test_vectors_are_computed_once_in_batches_and_reused_after_a_restart(
    tmp_path: Path, sample_article: Article, server: FakeOpenAI
) -> None:
    path = tmp_path / "r.db"
    async with Store(path) as store:
        article = await store.articles.add(sample_article)
        texts = passage_texts(article)
        embedder = embedder_for(server, batch=16)
        try:
            await answer_question(store, article, PARAPHRASE, viewer=OPERATOR, embedder=embedder)
            await answer_question(store, article, "Who was jailed?", viewer=OPERATOR, embedder=embedder)
        finally:
            await embedder.close()
        *batches, first_question, second_question = server.embedded
        assert first_question == [PARAPHRASE] and second_question == ["Who was jailed?"]
        assert len(batches) == math.ceil(len(texts) / 16) and all(len(b) <= 16 for b in batches)
        assert sorted(t for b in batches for t in b) == sorted(texts)  # each distinct text once
        assert await EmbeddingQueries(store).count("test-embedder") == len(texts)
    server.embedded.clear()
    async with Store(path) as store:  # a restart: a new store, a new embedder
        article = await store.articles.get(article.id)
        embedder = embedder_for(server)
        try:
            answer = await answer_question(store, article, PARAPHRASE, viewer=OPERATOR, embedder=embedder)
        finally:
            await embedder.close()
        assert server.embedded == [[PARAPHRASE]]  # the question only: no passage embedded again
        assert ANSWERING in answer.quotes[0].text
        stored = await EmbeddingQueries(store).vectors("test-embedder", [text_hash(t) for t in texts])
        assert len(stored) == len(texts) and {len(v) for v in stored.values()} == {4 * 96}


async def test_a_failing_endpoint_gives_the_lexical_answer_logged_once(
    stored: tuple[Store, Article], server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    store, article = stored
    server.embedding = "failing"
    embedder = embedder_for(server, retry_after=0.0)  # tried again at every ask, still logged once
    questions = ["How many people died?", "Who recommended strengthening employment laws?", PARAPHRASE]
    caplog.set_level(logging.INFO, logger="bot.answers.embeddings")
    try:
        for question in questions:
            lexical = await answer_question(store, article, question, viewer=OPERATOR)
            hybrid = await answer_question(store, article, question, viewer=OPERATOR, embedder=embedder)
            assert (hybrid.answered, hybrid.quotes, answer_text(hybrid, article)) == (
                lexical.answered,
                lexical.quotes,
                answer_text(lexical, article),
            )
        assert len(server.embedded) == len(questions)  # it was asked each time, and failed
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == [
            "semantic retrieval is unavailable (the endpoint answered 503); answering by words alone"
        ]
        server.embedding = "meaning"  # back: meaning counts again, and that is logged too
        back = await answer_question(store, article, PARAPHRASE, viewer=OPERATOR, embedder=embedder)
        assert ANSWERING in back.quotes[0].text
        assert any(r.getMessage() == "semantic retrieval is back (test-embedder)" for r in caplog.records)
    finally:
        await embedder.close()


async def test_an_endpoint_that_never_answers_gives_the_lexical_answer_within_the_bound(
    stored: tuple[Store, Article], server: FakeOpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    store, article = stored
    embedder = embedder_for(server, timeout=0.3)
    try:
        await embedder.passage_vectors(store, article)  # stored while the endpoint answered
        server.embedding = "silent"
        lexical = await answer_question(store, article, "How many people died?", viewer=OPERATOR)
        async with asyncio.timeout(5):  # a generous bound: without one the ask would wait an hour
            hybrid = await answer_question(
                store, article, "How many people died?", viewer=OPERATOR, embedder=embedder
            )
            again = await answer_question(
                store, article, "Who was jailed?", viewer=OPERATOR, embedder=embedder
            )
        assert (hybrid.quotes, answer_text(hybrid, article)) == (
            lexical.quotes,
            answer_text(lexical, article),
        )
        assert (
            again.quotes == (await answer_question(store, article, "Who was jailed?", viewer=OPERATOR)).quotes
        )
        # Left alone after the failure: the second ask sent nothing.
        assert server.embedded[-1] == ["How many people died?"]
        assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
            "semantic retrieval is unavailable (no answer within 0.3s); answering by words alone"
        ]
    finally:
        await embedder.close()


async def test_readers_words_are_still_filtered_by_the_viewer_and_never_sent(
    stored: tuple[Store, Article], server: FakeOpenAI
) -> None:
    store, article = stored
    guild, seen, hidden, asker = 10, 100, 200, 7

    def said(mid: int, channel: int, content: str) -> StoredMessage:
        return reader_message(
            mid,
            content,
            guild_id=guild,
            channel_id=channel,
            article_id=article.id,
            section=1,
            author_id=8,
            created_at=f"2026-11-20T10:{mid:02d}:00+00:00",
        )

    secret = "The quarrel between employees and their firm triggered the clashes, says my staff-room source."
    public = "The quarrel with the firm is what triggered it, I read."
    await store.messages.record_many([said(1, hidden, secret), said(2, seen, public)])
    member = Viewer.member(guild, asker, {seen})
    embedder = embedder_for(server)
    try:
        answer = await answer_question(store, article, PARAPHRASE, viewer=member, embedder=embedder)
        ranked = await ranked_quotes(store, [article], PARAPHRASE, readers=member, embedder=embedder)
    finally:
        await embedder.close()
    readers = [q.reader.message_id for q in ranked if q.reader is not None]
    assert readers == [2]  # the hidden message is not among the candidates at all
    assert all(q.reader is None or q.reader.message_id == 2 for q in answer.quotes)
    assert ANSWERING in answer.quotes[0].text  # the article's own answer first
    sent = set(server.embedded_texts())
    assert sent <= passage_texts(article) | {PARAPHRASE} and secret not in sent and public not in sent


async def test_without_the_setting_nothing_is_sent(stored: tuple[Store, Article], server: FakeOpenAI) -> None:
    store, article = stored
    settings = settings_for(server, semantic=False)
    assert Embedder.from_settings(settings) is None
    assert not Settings.from_mapping({"OPENAI_API_KEY": KEY, "OPENAI_BASE_URL": server.url}).semantic
    asked = await Asker(store).ask(Question(PARAPHRASE, OPERATOR, article=article.id), answer_text)
    assert not asked.answer.answered and server.embedded == [] and server.requests == []


def test_the_setting_is_one_key_and_bad_values_are_one_line() -> None:
    on = Settings.from_mapping({"READALONG_SEMANTIC": "on", "OPENAI_API_KEY": KEY})
    assert on.semantic and on.embedding_model == "text-embedding-3-small"
    local = Settings.from_mapping(
        {
            "READALONG_SEMANTIC": "true",
            "OPENAI_BASE_URL": "http://127.0.0.1:11434/v1",
            "READALONG_EMBEDDING_MODEL": "nomic-embed-text",
        }
    )
    assert local.semantic and local.openai_api_key is None and local.embedding_model == "nomic-embed-text"
    for values, key in [
        ({"READALONG_SEMANTIC": "maybe", "OPENAI_API_KEY": KEY}, "READALONG_SEMANTIC"),
        ({"READALONG_SEMANTIC": "on"}, "READALONG_SEMANTIC"),
        (
            {"READALONG_SEMANTIC": "on", "OPENAI_API_KEY": KEY, "READALONG_EMBEDDING_TIMEOUT": "0"},
            "READALONG_EMBEDDING_TIMEOUT",
        ),
    ]:
        with pytest.raises(SettingsError, match=key) as caught:
            Settings.from_mapping(values)
        assert "\n" not in str(caught.value)


async def _readalong(tmp_path: Path, db: Path, env: dict[str, str], *args: str) -> str:
    """``readalong --db DB ARGS`` with ``env`` as its environment (the CLI's ``main``, in a
    thread of this process while the embeddings server answers in this loop); its output."""
    done = await asyncio.to_thread(readalong, "--db", str(db), *args, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


async def test_readalong_ask_uses_the_setting_and_a_second_run_embeds_no_passage(
    tmp_path: Path, sample_path: Path, server: FakeOpenAI
) -> None:
    db = tmp_path / "r.db"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "READALONG_"))}
    await _readalong(tmp_path, db, base, "import", str(sample_path), "--id", "z")
    off = await _readalong(tmp_path, db, {**base, "OPENAI_BASE_URL": server.url}, "ask", "z", PARAPHRASE)
    assert server.embedded == [] and ANSWERING not in off
    env = {
        **base,
        "OPENAI_BASE_URL": server.url,
        "READALONG_SEMANTIC": "on",
        "READALONG_EMBEDDING_MODEL": "m",
    }
    first = await _readalong(tmp_path, db, env, "ask", "z", PARAPHRASE)
    assert ANSWERING in first and len(server.embedded) > 1
    server.embedded.clear()
    second = await _readalong(tmp_path, db, env, "ask", "z", PARAPHRASE)
    assert second == first and server.embedded == [[PARAPHRASE]]


async def test_every_hybrid_quote_is_verbatim(stored: tuple[Store, Article], server: FakeOpenAI) -> None:
    """The paraphrase benchmark's questions (benchmarks/paraphrases.json) with the test model."""
    store, article = stored
    spec = json.loads((Path(__file__).parents[2] / "benchmarks" / "paraphrases.json").read_text())
    embedder = embedder_for(server)
    try:
        for item in spec["questions"]:
            answer = await answer_question(
                store, article, item["question"], viewer=OPERATOR, embedder=embedder
            )
            assert answer.quotes
            assert_verbatim(article, answer)
            for quote in answer.quotes:
                assert f"> {quote.text.splitlines()[0]}" in answer_text(answer, article)
    finally:
        await embedder.close()
