"""SQL for semantic retrieval: an article's passages in index order, and the stored passage
vectors, keyed by embedding model and the hash of the text embedded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from bot.domain.passage import Passage

if TYPE_CHECKING:
    from bot.store.db import Store

_CHUNK = 500
"""Hashes looked up per statement (SQLite allows 32,766 variables; this keeps statements small)."""


class EmbeddingQueries:
    """Sentence vectors, keyed by model and the sentence's hash: computed once, kept across
    restarts, shared by every article that holds the same sentence."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def passages(self, article_id: str) -> list[tuple[int, Passage]]:
        """The article's indexed passages with their ids, in id order (an article's passages are
        inserted together, so a passage's neighbours in its text are one id away)."""
        rows = await self._store.db.execute_fetchall(
            'SELECT id, source, section, comment, position, start, "end", text FROM passages'
            " WHERE article_id = ? ORDER BY id",
            (article_id,),
        )
        return [
            (
                row["id"],
                Passage(
                    row["source"],
                    row["section"],
                    row["comment"],
                    row["position"],
                    row["start"],
                    row["end"],
                    row["text"],
                ),
            )
            for row in rows
        ]

    async def vectors(self, model: str, hashes: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored vectors (float32 bytes) of these text hashes for ``model``."""
        found: dict[bytes, bytes] = {}
        unique = list(dict.fromkeys(hashes))
        for at in range(0, len(unique), _CHUNK):
            chunk = unique[at : at + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = await self._store.db.execute_fetchall(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                (model, *chunk),
            )
            found.update((bytes(row["text_hash"]), bytes(row["vector"])) for row in rows)
        return found

    async def save(self, model: str, rows: Iterable[tuple[bytes, int, bytes]]) -> None:
        """Store (text hash, dimensions, float32 bytes) for ``model``; a hash already stored
        (another process got there first) keeps its vector."""
        async with self._store.transaction() as db:
            await db.executemany(
                "INSERT INTO embeddings (model, text_hash, dimensions, vector) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (model, text_hash) DO NOTHING",
                [(model, text_hash, dims, vector) for text_hash, dims, vector in rows],
            )

    async def count(self, model: str | None = None) -> int:
        """How many vectors are stored (for ``model``, or for all)."""
        rows = await self._store.db.execute_fetchall(
            "SELECT count(*) FROM embeddings WHERE CAST(? AS TEXT) IS NULL OR model = ?", (model, model)
        )
        return int(next(iter(rows))[0])
