"""SQL for the log of questions asked (``/ask``, mentions, ``readalong ask``): what was asked,
by whom, where, the answer shown and what it was rendered from, where it was posted; read back for
the exports and for editing answers whose quoted reader's message goes (issue 21)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain.answer import QUOTED_DELETED, AskedQuestion, PostedAnswer, Rendering
from bot.domain.viewer import Viewer

if TYPE_CHECKING:
    from bot.store.db import Store


def _storable(text: str) -> str:
    """``text`` with lone surrogates (from undecodable bytes) as U+FFFD: SQLite stores UTF-8."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


@dataclass(frozen=True, slots=True)
class NewAsk:
    """A question to log, with its answer as shown: one row of the log."""

    article_id: str
    question: str
    answered: bool
    quotes: list[dict[str, object]]
    latency_ms: float
    guild_id: int | None = None
    user_id: int | None = None
    channel_id: int | None = None
    """With ``public`` (the answer was posted for everyone in that channel): who sees the
    question in an export."""
    public: bool = False
    user_name: str | None = None
    """The asker's name as shown; with ``answer``, what an export shows."""
    answer: str | None = None
    message_id: int | None = None
    """The member's own message that asked it (a mention), whose deletion takes the question out
    of members' exports (and, where the server purges, forgets its words)."""
    quoted_messages: tuple[int, ...] = ()
    """The readers' messages the answer quotes: their deletion reaches the answer too."""
    rendering: Rendering | None = None
    """What the answer was rendered from, to render it again without a quote."""


@dataclass(frozen=True, slots=True)
class PostedAsk:
    """Where a logged question's answer was posted on Discord, and what its message shows before
    the answer (the question's heading)."""

    ask_id: int
    channel_id: int
    message_id: int
    head: str


_INSERT_ASK = (
    "INSERT INTO asks (asked_at, guild_id, user_id, article_id, question, answered, quotes, latency_ms,"
    " channel_id, public, user_name, answer, message_id, quoted_messages, rendering) VALUES"
)
_ASK_VALUES = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_ASKS_PER_INSERT = 200
"""15 parameters a row: 3,000 a statement, well within SQLite's 32,766 and PostgreSQL's 32,767."""


def _ask_row(ask: NewAsk) -> tuple[object, ...]:
    """The values of ``ask``'s row, as :data:`_ASK_VALUES` takes them."""
    # A lone surrogate (from undecodable bytes) cannot be stored as UTF-8: U+FFFD instead.
    return (
        dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        ask.guild_id,
        ask.user_id,
        ask.article_id,
        _storable(ask.question),
        int(ask.answered),
        json.dumps(ask.quotes, ensure_ascii=False),
        ask.latency_ms,
        ask.channel_id,
        int(ask.public),
        _storable(ask.user_name) if ask.user_name is not None else None,
        _storable(ask.answer) if ask.answer is not None else None,
        ask.message_id,
        json.dumps(sorted(set(ask.quoted_messages))),
        json.dumps(ask.rendering.to_json(), ensure_ascii=False) if ask.rendering is not None else None,
    )


class AskQueries:
    """The log of questions: one row a question, written when it is answered (and where the answer
    was posted), changed when a reader's message it quotes is deleted or edited away."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def record(
        self,
        *,
        article_id: str,
        question: str,
        answered: bool,
        quotes: list[dict[str, object]],
        latency_ms: float,
        guild_id: int | None = None,
        user_id: int | None = None,
        channel_id: int | None = None,
        public: bool = False,
        user_name: str | None = None,
        answer: str | None = None,
        message_id: int | None = None,
        quoted_messages: Sequence[int] = (),
        rendering: Rendering | None = None,
    ) -> int:
        """Log a question; returns its id in the log (one :class:`NewAsk`, which says what each
        field is, through :meth:`record_many`)."""
        (ask_id,) = await self.record_many(
            [
                NewAsk(
                    article_id,
                    question,
                    answered,
                    quotes,
                    latency_ms,
                    guild_id,
                    user_id,
                    channel_id,
                    public,
                    user_name,
                    answer,
                    message_id,
                    tuple(quoted_messages),
                    rendering,
                )
            ]
        )
        return ask_id

    async def record_many(self, asks: Sequence[NewAsk]) -> list[int]:
        """Log questions in one transaction, a few multi-row inserts; their ids in the log, in
        order. A database that cannot be written raises the store's :class:`ReadOnlyDatabaseError`
        (opened read-only) or :class:`WriteRefusedError` (made read-only since)."""
        rows = [_ask_row(ask) for ask in asks]
        ids: list[int] = []
        if 0 < len(rows) <= _ASKS_PER_INSERT:  # one statement: committed on its own, one trip
            returned = await self._store.write_one(
                f"{_INSERT_ASK} {', '.join([_ASK_VALUES] * len(rows))} RETURNING id",
                [value for row in rows for value in row],
            )
            return sorted(int(row[0]) for row in returned)
        async with self._store.transaction() as db:
            for first in range(0, len(rows), _ASKS_PER_INSERT):
                chunk = rows[first : first + _ASKS_PER_INSERT]
                cursor = await db.execute(
                    f"{_INSERT_ASK} {', '.join([_ASK_VALUES] * len(chunk))} RETURNING id",
                    [value for row in chunk for value in row],
                )
                # Both databases number the rows of one insert in the order of its VALUES, but
                # RETURNING may list them in any order.
                ids += sorted(int(row[0]) for row in await cursor.fetchall())
        return ids

    async def note_posted(self, ask_id: int, channel_id: int, message_id: int, head: str) -> None:
        """Where the answer to question ``ask_id`` was posted on Discord, and what the message shows
        before it: the answer is edited there when a reader's message it quotes goes."""
        await self.note_posted_many([PostedAsk(ask_id, channel_id, message_id, head)])

    async def note_posted_many(self, posted: Sequence[PostedAsk]) -> None:
        """:meth:`note_posted` for several answers, in one transaction."""
        async with self._store.transaction() as db:
            await db.executemany(
                "UPDATE asks SET posted_channel_id = ?, posted_message_id = ?, posted_head = ? WHERE id = ?",
                [(p.channel_id, p.message_id, _storable(p.head), p.ask_id) for p in posted],
            )

    async def answers_quoting(self, message_id: int) -> list[PostedAnswer]:
        """The logged answers that quote the reader's message ``message_id``, posted on Discord
        or not (the log holds the quote either way)."""
        quoted = self._store.dialect.ids_from_json("asks.quoted_messages", "q")
        async with self._store.db.execute(
            "SELECT id, article_id, posted_channel_id, posted_message_id, posted_head, rendering FROM asks"
            f" WHERE EXISTS (SELECT 1 FROM {quoted} WHERE q.value = ?) ORDER BY id",
            (message_id,),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            PostedAnswer(
                r["id"],
                r["article_id"],
                r["posted_channel_id"],
                r["posted_message_id"],
                r["posted_head"],
                Rendering.from_json(json.loads(r["rendering"])) if r["rendering"] is not None else None,
            )
            for r in rows
        ]

    async def redact_answer(
        self, posted: PostedAnswer, rendering: Rendering | None, answer: str, content: str
    ) -> None:
        """The answer rendered again (``answer``, from ``rendering``; None: nothing left to render
        from) in the log, and ``content`` (the posted message as edited) in the archived copy of
        the bot's message where it was posted, in one transaction; the copy's earlier versions
        go, as they hold the quote."""
        quotes = rendering.quotes if rendering is not None else ()
        quoted = sorted({q.reader.message_id for q in quotes if q.reader is not None})
        async with self._store.transaction() as db:
            await db.execute(
                "UPDATE asks SET answer = ?, quotes = ?, quoted_messages = ?, rendering = ? WHERE id = ?",
                (
                    _storable(answer),
                    json.dumps([q.to_json() for q in quotes], ensure_ascii=False),
                    json.dumps(quoted),
                    json.dumps(rendering.to_json(), ensure_ascii=False) if rendering is not None else None,
                    posted.ask_id,
                ),
            )
            if posted.message_id is not None:
                await db.execute("DELETE FROM message_edits WHERE message_id = ?", (posted.message_id,))
                await db.execute(
                    "UPDATE messages SET content = ?, attachments = '[]', embeds = '' WHERE id = ?",
                    (_storable(content), posted.message_id),
                )

    async def count(self) -> int:
        """How many questions the log holds, answered or not."""
        async with self._store.db.execute("SELECT count(*) FROM asks") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def asked_about(self, article_id: str, viewer: Viewer) -> list[AskedQuestion]:
        """The questions asked about an article that ``viewer`` may see, oldest first: a member,
        those answered publicly in a channel or thread of their server they can view now; the
        operator, every one (the command line's and those logged before channels were kept too).

        A question asked in a member's own message (a mention) that the member has deleted is left
        out for members, as exports show no deleted message's words; the operator's export keeps
        it unless the server purges deleted words (then its words are gone from the log too).
        One the member has edited since is shown to members as the message now reads, as exports
        show every message (the operator's keeps the question as asked). An answer that quoted a
        reader's message since deleted is shown to members without it (its words are the deleted
        message's); where the server purges deleted words, they go from the log as well."""
        dialect = self._store.dialect
        scope: tuple[object, ...] = ()
        now_reads = "NULL"
        quoted_deleted = "0"
        if viewer.everything:
            visible = "TRUE"
        else:
            now_reads = (
                "(SELECT m.content FROM messages m WHERE m.id = asks.message_id"
                " AND m.edited_at IS NOT NULL AND m.deleted_at IS NULL)"
            )
            quoted_deleted = (
                f"EXISTS (SELECT 1 FROM {dialect.ids_from_json('asks.quoted_messages', 'q')} JOIN messages m ON m.id = q.value"
                " WHERE m.deleted_at IS NOT NULL)"
            )
            visible = (
                f"guild_id = ? AND public = 1 AND channel_id IN (SELECT j.value FROM {dialect.ids_from_json('?')})"
                " AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = asks.message_id"
                " AND m.deleted_at IS NOT NULL)"
            )
            scope = (viewer.guild_id, json.dumps(sorted(viewer.channel_ids)))
        async with self._store.db.execute(
            "SELECT asked_at, user_name, user_id, guild_id, channel_id, question, answer, answered, quotes,"
            f" {now_reads} AS now_reads, {quoted_deleted} AS quoted_deleted FROM asks WHERE article_id = ? AND {visible} ORDER BY asked_at, id",
            (article_id, *scope),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            AskedQuestion(
                asked_at=r["asked_at"],
                asker=r["user_name"],
                user_id=r["user_id"],
                guild_id=r["guild_id"],
                channel_id=r["channel_id"],
                question=_LEADING_MENTIONS.sub("", r["now_reads"])
                if r["now_reads"] is not None
                else r["question"] or "(deleted by its asker; its words forgotten)",
                answer=QUOTED_DELETED
                if r["quoted_deleted"]
                else r["answer"]
                if r["answer"] is not None
                else _answer_from_quotes(r["quotes"]),
                answered=bool(r["answered"]),
            )
            for r in rows
        ]


_LEADING_MENTIONS = re.compile(r"^(?:\s*<@!?\d+>)+\s*")
"""The mention of the bot that opens a question asked by mentioning it (not part of the question)."""


def _answer_from_quotes(quotes: str) -> str:
    """The answer of a question logged before answers were kept: the quotes it showed."""
    texts = [str(q.get("text", "")) for q in json.loads(quotes) if isinstance(q, dict)]
    return "\n\n".join(f"> {t}" for t in texts if t) or "(not found in the article)"
