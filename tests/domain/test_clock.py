"""The manual clock the tests hand the bot: a wait ends when time is moved past it, or when it is
woken, and never before."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from bot.domain.clock import ManualClock

START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)


async def test_a_wait_ends_when_the_clock_passes_it_not_before() -> None:
    clock = ManualClock(START)
    waiting = asyncio.ensure_future(clock.wait(asyncio.Event(), 3600))
    await asyncio.sleep(0)
    clock.advance(dt.timedelta(minutes=59))
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(dt.timedelta(minutes=1))
    await asyncio.wait_for(waiting, 1)
    assert clock.now() == START + dt.timedelta(hours=1)


async def test_a_wait_ends_when_woken() -> None:
    clock, wake = ManualClock(START), asyncio.Event()
    waiting = asyncio.ensure_future(clock.wait(wake, 86400))
    await asyncio.sleep(0)
    wake.set()
    await asyncio.wait_for(waiting, 1)
    assert clock.now() == START


def test_time_only_moves_forward_and_is_aware() -> None:
    with pytest.raises(ValueError, match="forward"):
        ManualClock(START).advance(dt.timedelta(seconds=-1))
    with pytest.raises(ValueError, match="aware"):
        ManualClock(dt.datetime(2026, 1, 1))  # noqa: DTZ001 (the naive moment refused is the point)
