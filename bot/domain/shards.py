"""Which process does a server's work: Discord's sharding formula and the shards a process holds.

Discord routes a server's events to one gateway connection, its shard:
``shard_id = (guild_id >> 22) % num_shards`` (Discord's docs, Gateway, "Sharding"). A process
that runs some of the shards receives only those servers' events and commands, so it must also
be the only one to do their background work (send their postings, backfill their threads),
or two processes would post the same item twice. The same formula decides both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SHARD_COUNT = 100_000
"""A bound on ``--shard-count`` that no real bot reaches (Discord: at most 2,500 servers a
shard), so a typo such as ``80000000`` is refused rather than tried."""

_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends ``guild_id``'s events to, out of ``shard_count``."""
    if shard_count < 1:
        raise ValueError(f"a shard count is at least 1, not {shard_count}")
    return (guild_id >> 22) % shard_count


@dataclass(frozen=True, slots=True)
class ShardSet:
    """The shards this process runs: ``ids`` of ``count``, or every shard (``ids`` None), which
    is what one process with Discord's recommended count runs."""

    ids: frozenset[int] | None = None
    count: int | None = None

    def __post_init__(self) -> None:
        if self.ids is None:
            return
        if self.count is None:
            raise ValueError("shard ids need a shard count")
        if not self.ids:
            raise ValueError("a process runs at least one shard")
        outside = sorted(i for i in self.ids if not 0 <= i < self.count)
        if outside:
            raise ValueError(
                f"shard {outside[0]} does not exist with a shard count of {self.count}"
                f" (shards are numbered 0 to {self.count - 1})"
            )

    @classmethod
    def every(cls, count: int | None = None) -> ShardSet:
        """All shards: with ``count`` a fixed number of them, without it Discord's recommendation."""
        return cls(None, count)

    @classmethod
    def parse(cls, spec: str, count: int) -> ShardSet:
        """``"0-3"``, ``"5"`` or ``"0-1,4"`` of ``count`` shards; ValueError with a one-line reason."""
        if not 1 <= count <= MAX_SHARD_COUNT:
            raise ValueError(f"the shard count must be between 1 and {MAX_SHARD_COUNT}, not {count}")
        ids: set[int] = set()
        for part in spec.split(","):
            match = _RANGE.match(part.strip())
            if match is None:
                raise ValueError(
                    f"{spec!r} is not a list of shards: write a number, a range such as 0-3, or both (0-1,4)"
                )
            first = int(match.group(1))
            last = int(match.group(2)) if match.group(2) is not None else first
            if last < first:
                raise ValueError(f"the shard range {part.strip()!r} runs backwards: write {last}-{first}")
            if last >= count:
                raise ValueError(
                    f"shard {last} does not exist with a shard count of {count}"
                    f" (shards are numbered 0 to {count - 1})"
                )
            ids.update(range(first, last + 1))
        return cls(frozenset(ids), count)

    @property
    def shard_ids(self) -> list[int] | None:
        """The ids in order, as discord.py's ``AutoShardedClient(shard_ids=...)`` takes them."""
        return None if self.ids is None else sorted(self.ids)

    def owns(self, guild_id: int) -> bool:
        """Whether this process holds ``guild_id``'s shard, so does that server's work."""
        if self.ids is None or self.count is None:
            return True
        return shard_of(guild_id, self.count) in self.ids

    def describe(self) -> str:
        """The shard set in words, for the startup log and for Discord's refusal of it."""
        if self.ids is None:
            return "every shard" + (f" of {self.count}" if self.count is not None else " (Discord's count)")
        return f"shards {_ranges(sorted(self.ids))} of {self.count}"


def _ranges(ids: list[int]) -> str:
    parts: list[str] = []
    start = previous = ids[0]
    for current in [*ids[1:], None]:
        if current is not None and current == previous + 1:
            previous = current
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if current is not None:
            start = previous = current
    return ",".join(parts)


EVERY_SHARD = ShardSet()
"""Every shard of Discord's recommended count: one process serving every server (the default)."""
