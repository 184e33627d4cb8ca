"""SQL for retrieval: the passage index, the FTS5 ranking, the log of questions, and full-text
search over the archive of readers' messages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiosqlite import Row

from bot.articles.model import Article
from bot.search.passages import Passage, article_passages

if TYPE_CHECKING:
    from bot.store.db import Store


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    article_id: str
    passage: Passage
    score: float
    """BM25, higher is better."""


_PASSAGE_COLUMNS = "p.id, p.article_id, p.source, p.section, p.comment, p.position, p.start, p.end, p.text"


def _passage(row: Row) -> Passage:
    return Passage(
        row["source"], row["section"], row["comment"], row["position"], row["start"], row["end"], row["text"]
    )


@dataclass(frozen=True, slots=True)
class MessageHit:
    id: int
    channel_id: int
    guild_id: int | None
    article_id: str | None
    section: int | None
    author_name: str
    content: str
    created_at: str
    score: float


class SearchQueries:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def ensure_index(self, article: Article) -> None:
        """Index the article's passages once (idempotent; articles never change after import)."""
        async with self._store.db.execute(
            "SELECT 1 FROM passages WHERE article_id = ? LIMIT 1", (article.id,)
        ) as cursor:
            if await cursor.fetchone() is not None:
                return
        rows = [
            (article.id, p.source, p.section, p.comment, p.position, p.start, p.end, p.text)
            for p in article_passages(article)
        ]
        async with self._store.transaction() as db:
            async with db.execute(
                "SELECT 1 FROM passages WHERE article_id = ? LIMIT 1", (article.id,)
            ) as cursor:
                if await cursor.fetchone() is not None:
                    return
            await db.executemany(
                "INSERT INTO passages (article_id, source, section, comment, position, start, end, text)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    async def search(self, article_ids: Sequence[str] | None, match: str, limit: int) -> list[Hit]:
        """The best passages for a MATCH expression, best first: of these articles, or of all."""
        where = ""
        if article_ids is not None:
            where = f" AND p.article_id IN ({','.join('?' * len(article_ids))})"
        sql = (
            f"SELECT {_PASSAGE_COLUMNS}, bm25(passages_fts) AS rank"
            " FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid"
            f" WHERE passages_fts MATCH ?{where} ORDER BY rank LIMIT ?"
        )
        async with self._store.db.execute(sql, (match, *(article_ids or ()), limit)) as cursor:
            rows = await cursor.fetchall()
        return [Hit(r["id"], r["article_id"], _passage(r), -r["rank"]) for r in rows]

    async def neighbours(self, hits: Sequence[Hit]) -> dict[int, Hit]:
        """The passages just before and after each hit, by id, in one query. Passages of a source
        are inserted in order, so a neighbour's id is one off; the caller checks it is the same
        article and source."""
        wanted = sorted({h.id + step for h in hits for step in (-1, 1)})
        if not wanted:
            return {}
        sql = f"SELECT {_PASSAGE_COLUMNS} FROM passages p WHERE p.id IN ({','.join('?' * len(wanted))})"
        async with self._store.db.execute(sql, wanted) as cursor:
            rows = await cursor.fetchall()
        return {r["id"]: Hit(r["id"], r["article_id"], _passage(r), 0.0) for r in rows}

    async def record_ask(
        self,
        *,
        article_id: str,
        question: str,
        answered: bool,
        quotes: list[dict[str, object]],
        latency_ms: float,
        guild_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        async with self._store.transaction() as db:
            await db.execute(
                "INSERT INTO asks (asked_at, guild_id, user_id, article_id, question, answered, quotes, latency_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    guild_id,
                    user_id,
                    article_id,
                    question,
                    int(answered),
                    json.dumps(quotes, ensure_ascii=False),
                    latency_ms,
                ),
            )

    async def ask_count(self) -> int:
        async with self._store.db.execute("SELECT count(*) FROM asks") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def search_messages(
        self, match: str, *, article_id: str | None = None, author_id: int | None = None, limit: int = 25
    ) -> list[MessageHit]:
        """Readers' messages (not the bot's, not deleted) matching, best first."""
        sql = (
            "SELECT m.id, m.channel_id, m.guild_id, m.article_id, m.section, m.author_name, m.content,"
            " m.created_at, bm25(messages_fts) AS rank FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
            " WHERE messages_fts MATCH ? AND m.author_bot = 0 AND m.deleted_at IS NULL"
            " AND (? IS NULL OR m.article_id = ?) AND (? IS NULL OR m.author_id = ?)"
            " ORDER BY rank LIMIT ?"
        )
        async with self._store.db.execute(
            sql, (match, article_id, article_id, author_id, author_id, limit)
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            MessageHit(
                r["id"],
                r["channel_id"],
                r["guild_id"],
                r["article_id"],
                r["section"],
                r["author_name"],
                r["content"],
                r["created_at"],
                -r["rank"],
            )
            for r in rows
        ]
