"""Asking an article a question: ``/ask``, a mention in an article's thread, and ``readalong ask``.

All three go through one :class:`Asker`, built once with what answering needs (the store, the
model writer and the embedder the settings name, if any), and put one :class:`Question` to it.
The asker chooses the article, answers with data (:class:`~bot.domain.answer.Answer`), has the
front end render it (Discord's message, the terminal's text) and logs the question with the answer
as shown. Nothing here knows Discord's limits or markup; answering only reads (the article was
indexed when it was imported), and the log is the one write.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.aio import GroupCommit
from bot.answers.embeddings import Embedder
from bot.answers.extractive import Found, answer_question, search_article
from bot.answers.llm import AnswerWriter
from bot.domain.answer import Answer, Chosen, Rendering
from bot.domain.article import Article
from bot.domain.viewer import Viewer
from bot.errors import DatabaseError, ReadalongError, ReadOnlyDatabaseError
from bot.services import articles as articles_service
from bot.services import places
from bot.store import DatabaseBusyError, DatabaseCorruptError, Store, WriteRefusedError
from bot.store.article_ids import REFERENCE
from bot.store.asks import NewAsk, PostedAsk

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Question:
    """One question as a front end received it: what is asked, by whom, where, about what."""

    text: str
    viewer: Viewer
    """Who asks, and so whose readers' words may be quoted (in public: what everyone in the
    channel may see); :meth:`Viewer.operator` for the command line."""
    article: str | None = None
    """The article named by the asker (in a server its id there, or ``ID#POSTING`` for one posting
    of it; on the command line ``ID`` or ``SERVER/ID``); None in a channel: the posting's whose
    channel or thread this is, else the latest posted (see :mod:`bot.services.places`)."""
    ahead: bool = False
    """Quote sections not posted yet in this server too (the asker chose to read ahead)."""
    channel_id: int | None = None
    """The channel or thread it was asked in, where the answer is posted for everyone; None for
    the command line (the whole article, logged as the operator's)."""
    message_id: int | None = None
    """The member's own message that asked (a mention): deleting it takes the question out of
    members' exports."""
    asker_name: str | None = None
    """The asker's name as shown, kept in the log for the exports."""
    top_k: int = 3
    """At most this many quotes."""


@dataclass(frozen=True, slots=True)
class Asked:
    """A question answered: the answer as data, the article it quotes, the answer as the front end
    showed it, and whether it made it into the log that exports show."""

    question: Question
    answer: Answer
    article: Article
    shown: str
    """The answer as rendered by the front end (what the log keeps and exports show)."""
    logged: bool
    """False when the database is read-only: the question was answered but not logged."""
    ask_id: int | None = None
    """The question's id in the log (None when not logged): :meth:`Asker.posted` notes where it was
    answered."""


Render = Callable[[Answer, Article], str]
"""How a front end shows an answer (for Discord, :func:`bot.discordfmt.answers.answer_text`)."""


class Asker:
    """Answers questions about articles; one per bot or command-line run, shared by every question.

    ``writer``: a model writes the answer from the quotes (an OpenAI key set); ``embedder``: rank
    by meaning too (``READALONG_SEMANTIC``). The log is written unless the database refuses (it
    is read-only): the question is answered all the same, and the refusal logged; a store opened
    read-only is not tried again (nothing but reopening it changes that)."""

    def __init__(
        self, store: Store, *, writer: AnswerWriter | None = None, embedder: Embedder | None = None
    ) -> None:
        self.store = store
        self.writer = writer
        self.embedder = embedder
        self._refused = False
        # A burst of questions (a section just posted, everyone asking) is logged in a few
        # transactions, not one each, queued one behind the other: each caller still waits
        # for its own question to be committed before its answer is posted.
        self._logs = GroupCommit(self._record_many, alone_may_pass=_not_the_database)
        self._posted = GroupCommit(self._note_posted_many, alone_may_pass=_not_the_database)

    async def ask(self, question: Question, render: Render) -> Asked:
        """Answer ``question`` (during a posting, only sections already posted where it is asked
        are quoted unless ``question.ahead``; an article not posted in the server, or not where
        the asker can see it, is quoted whole: nobody is reading it along there), render it with
        ``render`` and log it as shown."""
        resolved = await self._resolved(question)
        key = resolved.article_id if resolved is not None else _named_key(question.article)
        # The article, the index's candidates by the article's key (the operator's ID is its key
        # but for a server's article: searched again below) and, where it is asked on Discord,
        # its postings' sections: read at once, so a question waits one trip to a database
        # server where it waited for each read in turn.
        article, found, (sent, urls) = await _together(
            self._article(question, resolved),
            search_article(self.store, key, question.text) if key is not None else _nothing(),
            self._sections(question, resolved),
        )
        posted = None if question.ahead or resolved is None else sent
        chosen = None
        if resolved is not None and not resolved.settled:
            chosen = Chosen(article.id, article.display_title, resolved.others, resolved.in_place)
        answer = await answer_question(
            self.store,
            article,
            question.text,
            viewer=question.viewer,
            top_k=question.top_k,
            writer=self.writer,
            posted=posted,
            embedder=self.embedder,
            found=found if article.id == key else None,
        )
        answer = dataclasses.replace(answer, section_urls=urls, chosen=chosen)
        shown = render(answer, article)
        ask_id = await self._log(question, answer, shown)
        return Asked(question, answer, article, shown, logged=ask_id is not None, ask_id=ask_id)

    async def posted(self, asked: Asked, *, channel_id: int, message_id: int, head: str = "") -> None:
        """The answer was posted on Discord as ``message_id`` (``head`` before it): kept with the
        question, so that the answer is edited there when a reader's message it quotes is deleted
        or edited away (:func:`bot.services.recording.redact_answers`). Nothing to keep for an
        answer not logged (a read-only database)."""
        if asked.ask_id is not None:
            await self._posted.submit(PostedAsk(asked.ask_id, channel_id, message_id, head))

    async def in_article(self, channel_id: int) -> bool:
        """Whether a channel or thread belongs to a posted article: its thread (or forum post), or
        the channel it is posted in. A mention of the bot there is a question about that article."""
        return await self.store.postings.placement(channel_id) is not None

    async def _resolved(self, question: Question) -> places.Resolved | None:
        """Asked on Discord, the postings the article was resolved to where it was asked
        (:func:`bot.services.places.resolve`): their sections are linked, and only theirs are
        quoted without ``ahead``; None on the command line (the article named, whole)."""
        if question.channel_id is None:
            if question.article is None:
                raise ReadalongError("name the article to ask about")
            return None
        assert question.viewer.guild_id is not None
        return await places.resolve(self.store, question.viewer, question.channel_id, question.article)

    async def _article(self, question: Question, resolved: places.Resolved | None) -> Article:
        """The article asked about: the one resolved where it was asked, or the one named."""
        if resolved is None:
            assert question.article is not None
            return await articles_service.article(self.store, question.article)
        return await articles_service.article(self.store, resolved.article_id, question.viewer.guild_id)

    async def _sections(
        self, question: Question, resolved: places.Resolved | None
    ) -> tuple[frozenset[int] | None, dict[int, str]]:
        """The sections posted so far in the postings resolved, and the links to those the asker
        can see; nothing on the command line."""
        if resolved is None:
            return None, {}
        return await asyncio.gather(
            places.posted_sections(self.store, resolved.postings),
            places.section_urls(self.store, question.viewer, resolved.postings),
        )

    async def _log(self, question: Question, answer: Answer, shown: str) -> int | None:
        """The question logged with who asked it and the answer as shown; None when not logged."""
        if self._refused and self.store.read_only:
            return None
        try:
            return await self._logs.submit(
                NewAsk(
                    article_id=answer.article_id,
                    question=question.text,
                    answered=answer.answered,
                    quotes=[q.to_json() for q in answer.quotes],
                    latency_ms=answer.latency_ms,
                    guild_id=question.viewer.guild_id,
                    user_id=question.viewer.user_id,
                    channel_id=question.channel_id,
                    public=question.channel_id is not None,
                    user_name=question.asker_name,
                    answer=shown,
                    message_id=question.message_id,
                    quoted_messages=tuple(q.reader.message_id for q in answer.quotes if q.reader is not None),
                    rendering=Rendering.of(answer),
                )
            )
        except (ReadOnlyDatabaseError, WriteRefusedError):
            self._refused = True
            log.warning("%s is read-only: questions are answered but not logged", self.store.shown)
            return None

    async def _record_many(self, asks: list[NewAsk]) -> list[int]:
        return await self.store.asks.record_many(asks)

    async def _note_posted_many(self, posted: list[PostedAsk]) -> list[None]:
        await self.store.asks.note_posted_many(posted)
        return [None] * len(posted)


def _named_key(reference: str | None) -> str | None:
    """The key the operator's ``ID`` most likely names (the id itself; a server's article is keyed
    ``SERVER/ID`` when another had the id): None for ``SERVER/ID`` or an invalid reference."""
    match = REFERENCE.match(reference or "")
    return str(match["slug"]) if match is not None and match["server"] is None else None


async def _nothing() -> None:
    return None


async def _together(
    article: Awaitable[Article],
    found: Awaitable[Found | None],
    posted: Awaitable[tuple[frozenset[int] | None, dict[int, str]]],
) -> tuple[Article, Found | None, tuple[frozenset[int] | None, dict[int, str]]]:
    """The three reads awaited at once, each to its end (none left running), then the first
    failure raised in this order: the article's (unknown, not listed) before the others'."""
    read, searched, sent = await asyncio.gather(article, found, posted, return_exceptions=True)
    if isinstance(read, BaseException):
        raise read
    if isinstance(searched, BaseException):
        raise searched
    if isinstance(sent, BaseException):
        raise sent
    return read, searched, sent


def _not_the_database(error: Exception) -> bool:
    """Whether a batch's failure may be one row's (tried alone, the others may pass), not the
    database's (busy, full, read-only, damaged or unreachable: the same for every row)."""
    return not isinstance(error, DatabaseError | DatabaseBusyError | DatabaseCorruptError)
