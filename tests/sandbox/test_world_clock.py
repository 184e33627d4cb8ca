"""The sandbox's world reads the time from the clock it is given (the bot's, in a test): ids are
made of it, and every timestamp it writes (messages, edits, threads, archives, joins) is its
time. Ids stay unique and increasing whatever the clock does: standing still, as a test's clock
does between its moves, or set before the ids of a world loaded from a snapshot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.domain.clock import ManualClock
from bot.sandbox.state import World, iso, snowflake_time

START = dt.datetime(2027, 3, 1, 12, 0, tzinfo=dt.UTC)


def world_at(clock: ManualClock) -> tuple[World, str, str]:
    """A world on ``clock`` with a server, its owner and a text channel."""
    world = World(clock=clock)
    ada = world.create_user("ada")
    guild = world.create_guild("Club", owner_id=ada["id"])
    world.add_member(guild["id"], ada["id"])
    channel = world.create_channel(guild["id"], "general")
    return world, ada["id"], channel["id"]


def test_ids_made_while_the_clock_stands_still_are_unique_increasing_and_of_its_time() -> None:
    clock = ManualClock(START)
    world, _, _ = world_at(clock)
    made = [int(world.ids.next()) for _ in range(5000)]
    assert made == sorted(set(made)) and len(made) == 5000
    assert {snowflake_time(i) for i in made} == {START}
    clock.advance(dt.timedelta(days=3))
    later = int(world.ids.next())
    assert later > made[-1] and snowflake_time(later) == START + dt.timedelta(days=3)


def test_every_timestamp_the_world_writes_is_its_clocks_time() -> None:
    clock = ManualClock(START)
    world, ada, channel = world_at(clock)
    said = world.create_message(channel, ada, {"content": "hello"})
    assert said["timestamp"] == iso(START) and snowflake_time(said["id"]) == START
    assert world.member(world.channel(channel)["guild_id"], ada)["joined_at"] == iso(START)

    clock.advance(dt.timedelta(hours=5))
    edited = world.edit_message(channel, said["id"], ada, {"content": "hello again"})
    assert edited["edited_timestamp"] == iso(START + dt.timedelta(hours=5))
    thread = world.create_thread(channel, ada, "talk")
    assert thread["thread_metadata"]["create_timestamp"] == iso(clock.now())
    assert snowflake_time(thread["id"]) == clock.now()

    clock.advance(dt.timedelta(days=1))
    world.archive_thread(thread["id"])
    assert world.channel(thread["id"])["thread_metadata"]["archive_timestamp"] == iso(clock.now())


def test_a_loaded_world_makes_ids_after_its_own_even_on_a_clock_set_before_them(tmp_path: Path) -> None:
    world, ada, channel = world_at(ManualClock(START))
    said = world.create_message(channel, ada, {"content": "before the snapshot"})
    world.save(tmp_path / "world.json")

    loaded = World.load(tmp_path / "world.json")
    loaded.clock = ManualClock(START - dt.timedelta(days=30))
    again = loaded.create_message(channel, ada, {"content": "after it"})
    assert int(again["id"]) > int(said["id"])
    assert [m["content"] for m in loaded.history(channel)] == ["after it", "before the snapshot"]
