"""Asking an article a question: ``/ask``, a mention in an article's thread, and ``readalong ask``.

All three answer the same way, with the model writer the settings name when there is one, and
log the question the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from bot.answers.embeddings import Embedder
from bot.answers.extractive import answer_question
from bot.answers.llm import AnswerWriter
from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.domain.answer import Answer, Rendering
from bot.domain.article import Article
from bot.domain.viewer import Viewer
from bot.errors import ReadalongError
from bot.services import articles as articles_service
from bot.store import Store, is_read_only_error

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asked:
    """An answer, and whether the question made it into the log that exports show."""

    answer: Answer
    logged: bool
    """False when the database is read-only: the question was answered but not logged."""
    ask_id: int | None = None
    """The question's id in the log (None when not logged): :func:`posted` notes where it was answered."""


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
    key = await store.articles.resolve(viewer.guild_id, article)
    found = [
        p for p in await postings.for_guild(viewer.guild_id, key) if viewer.sees(p.guild_id, p.channel_id)
    ]
    return key, found[0].id if found else None


async def section_urls(store: Store, guild_id: int, posting_id: int | None) -> dict[int, str]:
    """Where each posted section of a posting is, for the answer's "jump to it" links."""
    if posting_id is None:
        return {}
    return {
        section: jump_url(guild_id, container, message)
        for section, (container, message) in (await store.postings.section_links(posting_id)).items()
    }


async def in_article(store: Store, channel_id: int) -> bool:
    """Whether a channel or thread belongs to a posted article: its thread (or forum post), or
    the channel it is posted in. A mention of the bot there is a question about that article."""
    return await store.postings.placement(channel_id) is not None


async def posted_sections(store: Store, posting_id: int | None) -> frozenset[int] | None:
    """The sections of a posting that may be quoted without spoiling what is still to come:
    those sent so far; None (the whole article) when there is no posting or all are sent."""
    if posting_id is None:
        return None
    posted, total = await store.postings.posted_sections(posting_id)
    return None if len(posted) >= total else posted


async def ask_in_channel(
    store: Store,
    question: str,
    *,
    viewer: Viewer,
    channel_id: int,
    article: str | None,
    writer: AnswerWriter | None,
    ahead: bool = False,
    max_chars: int = MESSAGE_LIMIT,
    asker_name: str | None = None,
    embedder: Embedder | None = None,
    message_id: int | None = None,
) -> Asked:
    """``/ask`` and a mention: the article asked about in this channel (:func:`choose_article`),
    answered with links to its posted sections, and logged as asked there in public (both post
    their answer for everyone in the channel) by ``asker_name``. During a posting, only sections
    already posted in this server are quoted unless ``ahead`` (the asker chose to read ahead); an
    article not posted in the server, or not where the asker can see it, is quoted whole: nobody
    is reading it along there. ``message_id``: the member's message that asked (a mention)."""
    assert viewer.guild_id is not None
    article_id, posting_id = await choose_article(store, viewer, channel_id, article)
    stored = await articles_service.article(store, article_id, viewer.guild_id)
    return await ask(
        store,
        stored,
        question,
        viewer=viewer,
        writer=writer,
        section_urls=await section_urls(store, viewer.guild_id, posting_id),
        max_chars=max_chars,
        posted=None if ahead else await posted_sections(store, posting_id),
        channel_id=channel_id,
        public=True,
        asker_name=asker_name,
        embedder=embedder,
        message_id=message_id,
    )


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
    posted: frozenset[int] | None = None,
    channel_id: int | None = None,
    public: bool = False,
    asker_name: str | None = None,
    embedder: Embedder | None = None,
    message_id: int | None = None,
) -> Asked:
    """The answer to ``question`` (see :func:`bot.answers.extractive.answer_question`), and the
    question logged with who asked it unless ``record`` is False. Every question goes through
    here: ``/ask`` and mentions (by :func:`ask_in_channel`) and ``readalong ask``, with the
    same writer. ``posted``: the sections that may be quoted (None: all). ``channel_id`` (where
    it was asked), ``public`` (the answer is posted for everyone there) and ``asker_name`` go in
    the log: exports show the question to those who could see it asked. ``embedder``: rank
    by meaning too (``READALONG_SEMANTIC``). ``message_id``: the member's own message that asked
    (a mention): deleting it takes the question out of members' exports."""
    answer = await answer_question(
        store,
        article,
        question,
        viewer=viewer,
        top_k=top_k,
        section_urls=section_urls,
        writer=writer,
        max_chars=max_chars,
        posted=posted,
        embedder=embedder,
    )
    if not record:
        return Asked(answer, logged=False)
    rendering = Rendering(
        answer.quotes,
        answer.answered,
        dict(section_urls or {}),
        max_chars,
        answer.unposted_section,
        written=answer.written_by is not None,
    )
    try:
        ask_id = await store.search.record_ask(
            article_id=article.id,
            question=question,
            answered=answer.answered,
            quotes=[q.to_json() for q in answer.quotes],
            latency_ms=answer.latency_ms,
            guild_id=viewer.guild_id,
            user_id=viewer.user_id,
            channel_id=channel_id,
            public=public,
            user_name=asker_name,
            answer=answer.text,
            message_id=message_id,
            quoted_messages=[q.reader.message_id for q in answer.quotes if q.reader is not None],
            rendering=rendering,
        )
    except Exception as error:  # the store's read-only error, or the driver's
        if not is_read_only_error(error):
            raise
        log.warning("%s is read-only: questions are answered but not logged", store.shown)
        return Asked(answer, logged=False)
    return Asked(answer, logged=True, ask_id=ask_id)


async def posted(store: Store, asked: Asked, *, channel_id: int, message_id: int, head: str = "") -> None:
    """The answer was posted on Discord as ``message_id`` (``head`` before it): kept with the
    question, so that the answer is edited there when a reader's message it quotes is deleted or
    edited away (:func:`bot.services.recording.redact_answers`). Nothing to keep for an answer
    not logged (a read-only database)."""
    if asked.ask_id is not None:
        await store.search.note_posted(asked.ask_id, channel_id, message_id, head)
