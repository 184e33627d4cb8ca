"""Asking an article a question: ``/ask``, a mention in an article's thread, and ``readalong ask``.

All three answer the same way, with the model writer the settings name when there is one, and
log the question the same way.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass

from bot.answers.embeddings import Embedder
from bot.answers.extractive import answer_question
from bot.answers.llm import AnswerWriter
from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.domain.answer import Answer
from bot.domain.article import Article
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.store import Store, is_read_only_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asked:
    answer: Answer
    logged: bool
    """False when the database is read-only: the question was answered but not logged."""


async def choose_article(
    store: Store, viewer: Viewer, channel_id: int, article: str | None
) -> tuple[str, int | None]:
    """The article asked about (given, if listed in this server; else the one whose thread
    this is; else the latest posted in a channel the member can see) and the posting whose
    section messages the answer links to (one the member can see)."""
    assert viewer.guild_id is not None
    postings = store.postings
    if article is None:
        placement = await postings.placement(channel_id)
        if placement is not None and viewer.sees(viewer.guild_id, channel_id):
            return placement.article_id, placement.posting_id
        latest = [
            p for p in await postings.for_guild(viewer.guild_id) if viewer.sees(p.guild_id, p.channel_id)
        ]
        if not latest:
            raise ReadalongError("No article has been posted in this server yet: name one with `article:`.")
        return latest[0].article_id, latest[0].id
    found = [
        p for p in await postings.for_guild(viewer.guild_id, article) if viewer.sees(p.guild_id, p.channel_id)
    ]
    return article, found[0].id if found else None


async def section_urls(store: Store, guild_id: int, posting_id: int | None) -> dict[int, str]:
    """Where each posted section of a posting is, for the answer's "jump to it" links."""
    if posting_id is None:
        return {}
    return {
        section: jump_url(guild_id, container, message)
        for section, (container, message) in (await store.postings.section_links(posting_id)).items()
    }


async def ask(
    store: Store,
    article: Article,
    question: str,
    *,
    viewer: Viewer,
    writer: AnswerWriter | None,
    section_urls: Mapping[int, str] | None = None,
    top_k: int = 3,
    max_chars: int = MESSAGE_LIMIT,
    record: bool = True,
    embedder: Embedder | None = None,
) -> Asked:
    """The answer to ``question`` (see :func:`bot.answers.extractive.answer_question`), and the
    question logged with who asked it unless ``record`` is False. ``embedder``: rank by meaning
    too (``READALONG_SEMANTIC``)."""
    answer = await answer_question(
        store,
        article,
        question,
        viewer=viewer,
        top_k=top_k,
        section_urls=section_urls,
        writer=writer,
        max_chars=max_chars,
        embedder=embedder,
    )
    if not record:
        return Asked(answer, logged=False)
    try:
        await store.search.record_ask(
            article_id=article.id,
            question=question,
            answered=answer.answered,
            quotes=[q.to_json() for q in answer.quotes],
            latency_ms=answer.latency_ms,
            guild_id=viewer.guild_id,
            user_id=viewer.user_id,
        )
    except (ReadalongError, sqlite3.Error) as error:
        if not is_read_only_error(error):
            raise
        log.warning("%s is read-only: questions are answered but not logged", store.path)
        return Asked(answer, logged=False)
    return Asked(answer, logged=True)
