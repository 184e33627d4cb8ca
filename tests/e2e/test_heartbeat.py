"""Finding 7 of issue 22: "Can't keep up, shard ID 0 websocket is 41.3s behind" logged though
nothing held the loop. discord.py stamps a heartbeat's send time on its keep-alive thread once
the send has finished; an ACK handled on the loop before that (a server that answers at once, a
thread waiting for the GIL under load) was measured from the previous heartbeat: one interval,
41.25 s. ``benchmarks/loop_lag.py`` has the figures; this replays the race deterministically on
the running bot's own handler: the previous heartbeat an interval ago, a new one made, its ACK
handled before the thread's stamp."""

from __future__ import annotations

import logging
import time

import discord.gateway
import pytest

from bot.discord import heartbeat
from bot.discord.client import ReadalongBot
from bot.sandbox.gateway import HEARTBEAT_INTERVAL_MS

INTERVAL = HEARTBEAT_INTERVAL_MS / 1000


def keep_alive(bot: ReadalongBot) -> discord.gateway.KeepAliveHandler:
    shard = bot.get_shard(0)
    assert shard is not None
    handler = shard._parent.ws._keep_alive
    assert handler is not None
    return handler


async def test_an_ack_handled_before_the_thread_stamps_is_measured_from_its_own_heartbeat(
    bot: ReadalongBot, caplog: pytest.LogCaptureFixture
) -> None:
    handler = keep_alive(bot)
    assert isinstance(handler, heartbeat.KeepAliveHandler)  # the bot's, built by discord.py on HELLO
    handler._last_send = time.perf_counter() - INTERVAL  # the previous heartbeat, an interval ago
    handler.get_payload()  # the keep-alive thread makes the next one...
    with caplog.at_level(logging.WARNING, logger="discord.gateway"):
        handler.ack()  # ...and its ACK is handled before the thread wakes to stamp the send
    assert handler.latency < 1.0
    assert "Can't keep up" not in caplog.text


async def test_discord_pys_own_handler_reports_the_interval_as_lag(
    bot: ReadalongBot, caplog: pytest.LogCaptureFixture
) -> None:
    """The same sequence on discord.py's handler, unchanged: the warning of the finding."""
    ws = keep_alive(bot).ws
    stock = heartbeat.STOCK(ws=ws, interval=INTERVAL, shard_id=0)  # made, never started
    stock._last_send = time.perf_counter() - INTERVAL
    stock.get_payload()
    with caplog.at_level(logging.WARNING, logger="discord.gateway"):
        stock.ack()
    assert stock.latency >= INTERVAL
    assert "Can't keep up, shard ID 0 websocket is 41.3s behind" in caplog.text  # the finding's line
