"""A scheduled posting in the store: each section due at its release, the schedule kept with the
posting, and a resume releasing what is left at the schedule's next releases (not at a pace)."""

from __future__ import annotations

import datetime as dt

from bot.articles import Article
from bot.domain.clock import ManualClock
from bot.services import articles as articles_service
from bot.services import posting as posting_service
from bot.services.posting import PostingEvents, PostTarget
from bot.store import Store
from tests.conftest import both_backends

GUILD, CHANNEL = 10, 20
START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)  # a Monday


@both_backends
async def test_a_scheduled_posting_keeps_its_releases_and_resumes_on_schedule(
    store: Store, parsed: Article
) -> None:
    article = (await articles_service.import_article(store, parsed, guild_id=GUILD)).article
    clock = ManualClock(START)
    events = PostingEvents()
    posting = await posting_service.post(
        store,
        article,
        PostTarget(GUILD, CHANNEL, "text"),
        pace_minutes=0,
        with_comments=True,
        admin_id=1,
        events=events,
        schedule="weekly on wed at 18:30",
        timezone="America/New_York",
        clock=clock,
    )
    assert (posting.schedule, posting.timezone) == ("weekly on wednesday at 18:30", "America/New_York")
    items = await store.postings.items(posting.id)
    sections = [row.due_at for row in items if row.kind == "section"]
    first = dt.datetime(2026, 12, 9, 23, 30, tzinfo=dt.UTC)  # Wednesday 18:30 in New York (EST)
    assert sections == [first + dt.timedelta(weeks=n) for n in range(len(article.sections))]
    assert items[0].kind == "intro" and items[0].due_at == START
    assert all(row.due_at == sections[-1] for row in items if row.kind in ("comments", "comment"))

    _, statuses = await posting_service.status(store, GUILD, None)
    assert statuses[0].upcoming == tuple((n + 1, due) for n, due in enumerate(sections))

    await posting_service.pause(store, GUILD, None, events=events)
    clock.advance(dt.timedelta(days=20))  # Sunday 27 December: three Wednesdays went by
    await posting_service.resume(store, GUILD, None, events=events, clock=clock)
    resumed = [row.due_at for row in await store.postings.items(posting.id) if row.kind == "section"]
    again = dt.datetime(2026, 12, 30, 23, 30, tzinfo=dt.UTC)
    assert resumed == [again + dt.timedelta(weeks=n) for n in range(len(article.sections))]

    shown = await posting_service.upcoming(store, GUILD, [CHANNEL])
    assert [(r.section, r.due_at) for r in shown] == list(enumerate(resumed, start=1))
    assert await posting_service.upcoming(store, GUILD, [CHANNEL + 1]) == []  # a channel not theirs
