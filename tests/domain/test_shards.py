"""Which process serves a server: Discord's sharding formula and the shards a process holds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.shards import MAX_SHARD_COUNT, ShardSet, shard_of

SNOWFLAKES = st.integers(min_value=1 << 22, max_value=2**63 - 1)


def test_shard_of_follows_discords_formula() -> None:
    # Discord's docs: shard_id = (guild_id >> 22) % num_shards. An id from another library's
    # documentation (serenity's utils::shard_id: 81384788765712384 on 17 shards is shard 7).
    assert shard_of(81384788765712384, 17) == 7
    assert shard_of(81384788765712384, 1) == 0
    with pytest.raises(ValueError, match="at least 1"):
        shard_of(81384788765712384, 0)


@given(guild_id=SNOWFLAKES, count=st.integers(1, 64), cut=st.integers(0, 64))
def test_processes_splitting_the_shards_serve_each_server_exactly_once(
    guild_id: int, count: int, cut: int
) -> None:
    cut = min(cut, count - 1)
    first = ShardSet.parse(f"0-{cut}", count)
    rest = [ShardSet.parse(str(n), count) for n in range(cut + 1, count)]
    owners = [s for s in [first, *rest] if s.owns(guild_id)]
    assert len(owners) == 1


@given(guild_id=SNOWFLAKES)
def test_every_shard_owns_every_server(guild_id: int) -> None:
    assert ShardSet().owns(guild_id) and ShardSet.every(8).owns(guild_id)


def test_parse_ranges_lists_and_single_shards() -> None:
    assert ShardSet.parse("0-3", 8).shard_ids == [0, 1, 2, 3]
    assert ShardSet.parse("5", 8).shard_ids == [5]
    assert ShardSet.parse("0-1, 4,6-7", 8).shard_ids == [0, 1, 4, 6, 7]
    assert ShardSet.parse("0-1,4,6-7", 8).describe() == "shards 0-1,4,6-7 of 8"
    assert ShardSet().describe() == "every shard (Discord's count)"


@pytest.mark.parametrize(
    ("spec", "count", "message"),
    [
        ("0-9", 8, "shard 9 does not exist with a shard count of 8 (shards are numbered 0 to 7)"),
        ("3-1", 8, "the shard range '3-1' runs backwards: write 1-3"),
        ("a-b", 8, "'a-b' is not a list of shards"),
        ("", 8, "'' is not a list of shards"),
        ("-1", 8, "'-1' is not a list of shards"),
        ("0-", 8, "'0-' is not a list of shards"),
        ("0", 0, f"the shard count must be between 1 and {MAX_SHARD_COUNT}, not 0"),
    ],
)
def test_parse_refuses_in_one_line(spec: str, count: int, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message)) as refused:
        ShardSet.parse(spec, count)
    assert "\n" not in str(refused.value)


def test_a_shard_set_needs_a_count_and_shards_inside_it() -> None:
    with pytest.raises(ValueError, match="need a shard count"):
        ShardSet(frozenset({0}), None)
    with pytest.raises(ValueError, match="at least one shard"):
        ShardSet(frozenset(), 4)
    with pytest.raises(ValueError, match="shard 4 does not exist"):
        ShardSet(frozenset({4}), 4)
