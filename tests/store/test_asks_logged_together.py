"""The question log written many at a time (issue 26): a burst of questions is logged in one
transaction, each question keeping its own id, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from bot.aio import GroupCommit
from bot.domain.database import Database
from bot.domain.viewer import Viewer
from bot.store import Store
from bot.store.asks import NewAsk, PostedAsk
from tests.conftest import both_backends

GUILD, GENERAL = 10, 100


def asked(number: int) -> NewAsk:
    return NewAsk(
        article_id="a",
        question=f"question {number}?",
        answered=True,
        quotes=[{"text": f"Quote {number}."}],
        latency_ms=1.0,
        guild_id=GUILD,
        user_id=1000 + number,
        channel_id=GENERAL,
        public=True,
        user_name=f"Reader {number}",
        answer=f"> Quote {number}.",
        quoted_messages=(5000 + number,),
    )


@both_backends
async def test_many_questions_in_one_go_keep_their_own_ids(database: Database) -> None:
    async with Store(database) as store:
        before = await store.asks.record_many([asked(0)])
        # More than one insert's worth (200 rows): the ids still follow the order given.
        ids = await store.asks.record_many([asked(n) for n in range(1, 251)])
        assert len(ids) == 250 and len(set(ids)) == 250 and min(ids) > before[0]
        everything = await store.asks.asked_about("a", Viewer.operator())
        by_question = {a.question: a for a in everything}
        assert len(by_question) == 251
        await store.asks.note_posted_many(
            [PostedAsk(ask_id, GENERAL, 9000 + n, f"**Q:** question {n}?\n") for n, ask_id in
             enumerate(ids, start=1)]
        )  # fmt: skip
        for number in (1, 137, 250):
            (posted,) = await store.asks.answers_quoting(5000 + number)
            assert posted.ask_id == ids[number - 1]
            assert (posted.channel_id, posted.message_id) == (GENERAL, 9000 + number)
            assert posted.head == f"**Q:** question {number}?\n"
        assert await store.asks.answers_quoting(5000) != []  # the first, logged alone, is there too


@both_backends
async def test_a_burst_logged_through_a_group_commit_takes_few_transactions(database: Database) -> None:
    async with Store(database) as store:
        batches: list[int] = []

        async def record_many(asks: list[NewAsk]) -> list[int]:
            batches.append(len(asks))
            return await store.asks.record_many(asks)

        log = GroupCommit(record_many)
        ids = await asyncio.gather(*(log.submit(asked(n)) for n in range(40)))
        assert len(set(ids)) == 40 and sum(batches) == 40
        assert len(batches) < 40 / 4  # the first alone, the rest together while it commits
        logged = {a.question: a for a in await store.asks.asked_about("a", Viewer.operator())}
        for number, ask_id in enumerate(ids):  # each caller was given its own question's id
            (posted,) = await store.asks.answers_quoting(5000 + number)
            assert posted.ask_id == ask_id
        assert len(logged) == 40
