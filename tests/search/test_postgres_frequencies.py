"""Archive search on PostgreSQL works out how often a row holds a term from ``ts_rank`` (issue
26): the server confirms every count is found, and a word said from once to 255 times in a message
scores as FTS5 scores it, in the same order (what a member is shown is checked by
``test_postgres_parity.py`` and the privacy tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.database import PostgresUrl
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.search.query import match_expression
from bot.services import archive as archive_service
from bot.store import Store
from bot.store.postgres_bm25 import COUNTS_CHECKED_SQL, MAX_COUNT, count_from_rank
from tests.messages import reader_message
from tests.search.test_postgres_parity import HOSTILE

GUILD, SEEN, UNSEEN, OFTEN = 1, 2, 3, 4
MEMBER = Viewer.member(GUILD, 500, {SEEN})
EVERYWHERE = Viewer.member(GUILD, 501, {SEEN, OFTEN})
TIMES = [1, 2, 3, 4, 5, 9, 17, 60, 128, 200, 253, 254, 255]
"""How often "soup" is said in a message, up to 255: as often as ``to_tsvector`` keeps a word's
positions."""
MORE = [256, 300]
"""Said more often than ``to_tsvector`` keeps (in channel OFTEN): PostgreSQL counts 255 where
FTS5 counts them all (the module's notes say so)."""


def _message(id_: int, channel: int, text: str) -> StoredMessage:
    return reader_message(
        id_, text, guild_id=GUILD, channel_id=channel, author_id=id_, author_name=f"reader{id_}"
    )


MESSAGES = [
    *(_message(100 + k, SEEN, " ".join(["soup"] * k) + " and bread for the strikers") for k in TIMES),
    *(_message(600 + k, SEEN, f"{'bread ' * k}with no soup at all, said reader {k}") for k in (1, 2, 40)),
    *(_message(100 + k, OFTEN, " ".join(["soup"] * k) + " and bread for the strikers") for k in MORE),
    _message(900, UNSEEN, " ".join(["soup"] * 50) + " in a channel the member cannot see"),
    _message(901, SEEN, "nothing of either word here"),
]


@pytest.fixture
async def stores(tmp_path: Path, migrated_postgres_url: PostgresUrl) -> AsyncIterator[tuple[Store, Store]]:
    async with Store(tmp_path / "r.db") as lite, Store(migrated_postgres_url) as pg:
        for store in (lite, pg):
            await store.messages.record_many(MESSAGES)
        yield lite, pg


async def test_the_count_is_found_from_ts_rank_for_every_count_a_row_can_hold(
    migrated_postgres_url: PostgresUrl,
) -> None:
    async with Store(migrated_postgres_url) as store:
        async with store.db.execute(COUNTS_CHECKED_SQL, ("a",)) as cursor:
            confirmed = await cursor.fetchone()
        assert confirmed is not None
        assert confirmed["exact"] is True
        # As the messages' own column makes it: a word said k times, through to_tsvector.
        rank = "ts_rank(to_tsvector('readalong_porter', repeat('soup ', k)), plainto_tsquery('readalong_porter', 'soup'))"
        async with store.db.execute(
            f"SELECT k, {count_from_rank(rank)} AS found FROM generate_series(0, 300) AS k"
        ) as cursor:
            found = {int(r["k"]): int(r["found"]) for r in await cursor.fetchall()}
    assert found == {k: min(k, MAX_COUNT) for k in range(301)}


async def test_a_word_said_up_to_255_times_scores_as_fts5_scores_it(stores: tuple[Store, Store]) -> None:
    lite, pg = stores
    for query in ["soup", "bread soup", "strikers soup bread", "soup nothing"]:
        match = match_expression(query)
        assert match is not None
        on_sqlite = await lite.search.search_messages(match, viewer=MEMBER, limit=40)
        on_postgres = await pg.search.search_messages(match, viewer=MEMBER, limit=40)
        assert [h.id for h in on_postgres] == [h.id for h in on_sqlite], query
        assert len(on_postgres) >= len(TIMES)
        assert 900 not in {h.id for h in on_postgres}
        for a, b in zip(on_sqlite, on_postgres, strict=True):
            assert b.score == pytest.approx(a.score, rel=1e-9), (query, a.id, a.score, b.score)
        # The whole archive search too: readers' messages (no comments: no article), best first.
        hits = await archive_service.search(pg, query, viewer=MEMBER, article_id=None, limit=40)
        assert [h.message_id for h in hits] == [h.id for h in on_sqlite], query


async def test_ranks_and_counting_the_text_give_the_same_scores(stores: tuple[Store, Store]) -> None:
    """The same searches with ``ts_rank`` not trusted (every frequency counted from the row's
    entries as text): the same hits, the same scores, to the bit."""
    _, pg = stores
    queries = ["soup", "bread soup", "strikers soup bread", "reader said", *HOSTILE]
    read = {}
    for query in queries:
        match = match_expression(query)
        if match is None:
            continue
        read[query] = [
            (h.id, h.score) for h in await pg.search.search_messages(match, viewer=EVERYWHERE, limit=40)
        ]
    pg.search._ranked = False  # type: ignore[attr-defined]
    for query, ranked in read.items():
        match = match_expression(query)
        assert match is not None
        counted = [
            (h.id, h.score) for h in await pg.search.search_messages(match, viewer=EVERYWHERE, limit=40)
        ]
        assert counted == ranked, query
    assert read["reader said"]
    assert {355, 356, 400} <= {i for i, _ in read["soup"]}
