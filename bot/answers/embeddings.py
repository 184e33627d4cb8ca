"""Vectors from an OpenAI-compatible ``/v1/embeddings`` endpoint, for ranking by meaning.

Optional (``READALONG_SEMANTIC``). An article's passages are embedded once per model, in batches,
and stored in SQLite under the hash of their text (:mod:`bot.store.embeddings`), so a restart
reuses them; the question is embedded at each ask, within ``timeout``. Whatever goes wrong (the
endpoint fails, is slower than its bound, or answers nonsense), the caller answers by words alone,
as it would without this: meaning can only add candidates and reorder them. A failure is logged
once, not at every question, and the endpoint is left alone for ``retry_after`` seconds, so asks
meanwhile cost nothing extra; the first success after that is logged too.

Only the article's own text is sent, never readers' messages.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answers.llm import openai_client
from bot.domain.article import Article
from bot.search.hybrid import SEMANTIC_WEIGHT, Meaning, PassageVectors, pack, text_hash, unpack
from bot.settings import Settings
from bot.store import Store, is_read_only_error
from bot.store.embeddings import EmbeddingQueries

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

BATCH = 64
"""Passages per request: OpenAI takes up to 2,048 inputs, local servers often far fewer."""
INDEX_TIMEOUT = 30.0
"""The longest an ask waits for an article's passages to be embedded (the first time only);
batches done by then are kept, and the next ask goes on from there."""
RETRY_AFTER = 60.0
"""Seconds the endpoint is left alone after a failure."""
QUESTIONS_KEPT = 256
"""Recent questions' vectors kept: a question asked again (by /ask, then a mention) costs no call."""


class EmbeddingFailed(Exception):
    """The endpoint failed, was too slow, or answered with something that is not the vectors asked for."""


class Embedder:
    """An embedding model behind an OpenAI-compatible endpoint, bounded in time, with its vectors
    kept in the store."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        model: str,
        *,
        timeout: float,
        index_timeout: float = INDEX_TIMEOUT,
        retry_after: float = RETRY_AFTER,
        batch: int = BATCH,
    ) -> None:
        self._client = client
        self.model = model
        self.timeout = timeout
        self.index_timeout = index_timeout
        self.retry_after = retry_after
        self.batch = batch
        self._articles: dict[str, PassageVectors] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._failed_at: float | None = None
        """When the endpoint last failed, while it has not answered since (None: it is fine)."""
        self._warned_read_only = False
        self._questions: dict[str, list[float]] = {}
        self.weight = SEMANTIC_WEIGHT
        """The cosine's weight in the fused score (the benchmark tries others)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder | None:
        """The embedder the settings ask for, or None when semantic retrieval is off (the default):
        then nothing is sent anywhere."""
        if not settings.semantic:
            return None
        client = openai_client(settings, timeout=max(settings.embedding_timeout_seconds, INDEX_TIMEOUT))
        return cls(client, settings.embedding_model, timeout=settings.embedding_timeout_seconds)

    def __repr__(self) -> str:
        return f"<Embedder model={self.model!r} timeout={self.timeout:g}s>"

    async def close(self) -> None:
        """Close the HTTP client (the bot closes it on shutdown)."""
        await self._client.close()

    @property
    def available(self) -> bool:
        """False while the endpoint is being left alone after a failure."""
        return self._failed_at is None or time.monotonic() - self._failed_at >= self.retry_after

    async def meaning(self, store: Store, article: Article, question: str) -> Meaning | None:
        """The question's vector against the article's passages, or None (answer by words alone)
        when the endpoint failed or was slow, now or a moment ago."""
        if not self.available:
            return None
        try:
            passages = await self.passage_vectors(store, article)
            if not passages.ids:
                return None
            vector = self._questions.get(question)
            if vector is None:
                (vector,) = await self._embed([question], self.timeout)
                if len(self._questions) >= QUESTIONS_KEPT:
                    del self._questions[next(iter(self._questions))]
                self._questions[question] = vector
            if len(vector) != len(passages.vectors[0]):
                raise EmbeddingFailed(
                    f"a vector of {len(vector)} dimensions for the question, {len(passages.vectors[0])} for passages"
                )
        except EmbeddingFailed as error:
            if self._failed_at is None:
                log.warning("semantic retrieval is unavailable (%s); answering by words alone", error)
            self._failed_at = time.monotonic()
            return None
        if self._failed_at is not None:
            log.info("semantic retrieval is back (%s)", self.model)
            self._failed_at = None
        return Meaning(passages, vector, weight=self.weight)

    def forget(self, article_id: str) -> None:
        """The article was deleted (``/article delete``): its vectors are read afresh from the
        store, so an article imported later under the same id is not ranked by the old passages."""
        self._articles.pop(article_id, None)

    async def passage_vectors(self, store: Store, article: Article) -> PassageVectors:
        """Every passage of the (indexed) article with its vector: read from the store, and those
        missing embedded in batches and stored, within ``index_timeout``. Kept in memory after."""
        known = self._articles.get(article.id)
        if known is not None:
            return known
        async with self._locks.setdefault(article.id, asyncio.Lock()):
            known = self._articles.get(article.id)
            if known is not None:
                return known
            queries = EmbeddingQueries(store)
            rows = await queries.passages(article.id)
            hashes = [text_hash(p.text) for _, p in rows]
            stored = await queries.vectors(self.model, hashes)
            missing = list(
                {h: p.text for h, (_, p) in zip(hashes, rows, strict=True) if h not in stored}.items()
            )
            if missing:
                log.info("embedding %d passages of %s with %s", len(missing), article.id, self.model)
            try:
                async with asyncio.timeout(self.index_timeout):
                    for at in range(0, len(missing), self.batch):
                        chunk = missing[at : at + self.batch]
                        vectors = await self._embed([text for _, text in chunk], self.index_timeout)
                        made = [(h, len(v), pack(v)) for (h, _), v in zip(chunk, vectors, strict=True)]
                        stored.update((h, blob) for h, _, blob in made)
                        await self._save(queries, made)
            except TimeoutError:
                raise EmbeddingFailed(
                    f"embedding the article's passages took over {self.index_timeout:g}s"
                ) from None
            found = PassageVectors(
                tuple(i for i, _ in rows),
                tuple(p for _, p in rows),
                tuple(unpack(stored[h]) for h in hashes),
                article.id,
            )
            if len({len(v) for v in found.vectors}) > 1:
                raise EmbeddingFailed(f"stored vectors of {self.model} differ in dimensions")
            if found.ids:  # none yet: the article is not indexed yet, so look again next time
                self._articles[article.id] = found
            return found

    async def _save(self, queries: EmbeddingQueries, made: list[tuple[bytes, int, bytes]]) -> None:
        try:
            await queries.save(self.model, made)
        except Exception as error:  # the store's read-only error, or the driver's
            if not is_read_only_error(error):
                raise
            if not self._warned_read_only:
                log.warning("the database is read-only: passage vectors are kept in memory only")
                self._warned_read_only = True

    async def _embed(self, texts: Sequence[str], within: float) -> list[list[float]]:
        """One request for ``texts``' vectors, in their order, within ``within`` seconds."""
        import openai  # already loaded: the client is one of its objects

        # A lone surrogate (from undecodable input) cannot be sent as JSON text.
        inputs = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        try:
            async with asyncio.timeout(within):
                reply = await self._client.embeddings.create(
                    model=self.model, input=inputs, encoding_format="float"
                )
        except TimeoutError:
            raise EmbeddingFailed(f"no answer within {within:g}s") from None
        except openai.APIStatusError as error:
            # Only the status: a server's error body may echo anything, even the request headers.
            raise EmbeddingFailed(f"the endpoint answered {error.status_code}") from None
        except openai.OpenAIError as error:
            raise EmbeddingFailed(f"the endpoint could not be reached: {type(error).__name__}") from None
        data = sorted(reply.data, key=lambda d: d.index)
        if len(data) != len(inputs) or [d.index for d in data] != list(range(len(inputs))):
            raise EmbeddingFailed(f"{len(data)} vectors for {len(inputs)} texts")
        vectors = [list(d.embedding) for d in data]
        if not vectors[0] or any(len(v) != len(vectors[0]) for v in vectors):
            raise EmbeddingFailed("vectors of differing or no dimensions")
        return vectors
