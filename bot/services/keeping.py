"""Keeping readers' attachments as they are recorded (issue 22): fetch each file's bytes within the
server's caps, so the archive still shows it once Discord's signed link has expired.

The recorder's callers (the discussion cog, live and by backfill) hand each message's attachments
here before the message is queued; the bytes then go into the store in the message's own
transaction, so a message and its files are acknowledged together. Fetching awaits the network
(no thread, no blocking call): it delays only the message whose files it fetches, never the
event loop or another message's acknowledgement.

A server's cap is checked against what it keeps now plus what is being fetched for it at the
moment (reserved here), so a burst of uploads cannot overshoot it together.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain.files import KeptFile
from bot.store import Store

log = logging.getLogger(__name__)


class FileUnavailable(Exception):
    """The file could not be fetched (gone, refused, the network); the front end says why in a
    few words, and the archive notes it in place of the file."""


@dataclass(frozen=True, slots=True)
class Offered:
    """An attachment as the message carries it, and how to read its bytes (the front end's)."""

    name: str
    size: int
    content_type: str | None
    read: Callable[[], Awaitable[bytes]]


class FileKeeper:
    """Fetches attachments within each server's caps; one per bot, shared by live recording and
    backfill so their reservations count together."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._reserved: dict[int | None, int] = {}

    async def keep(self, guild_id: int | None, offered: Sequence[Offered]) -> tuple[KeptFile, ...]:
        """Each attachment kept (its bytes) or noted (why not), in the message's order."""
        if not offered:
            return ()
        caps = await self._store.files.caps(guild_id)
        kept: list[KeptFile] = []
        for index, file in enumerate(offered):
            used = await self._store.files.used(guild_id) + self._reserved.get(guild_id, 0)
            refusal = caps.refusal(file.size, used)
            if refusal is not None:
                kept.append(KeptFile(index, file.name, file.size, file.content_type, None, refusal))
                continue
            self._reserved[guild_id] = self._reserved.get(guild_id, 0) + file.size
            try:
                data = await file.read()
            except FileUnavailable as error:
                log.warning("could not keep attachment %r: %s", file.name, error)
                kept.append(KeptFile(index, file.name, file.size, file.content_type, None, str(error)))
                continue
            finally:
                self._release(guild_id, file.size)
            # The size Discord reported is what the cap was checked against; the bytes decide.
            refusal = caps.refusal(len(data), used)
            if refusal is not None:
                kept.append(KeptFile(index, file.name, len(data), file.content_type, None, refusal))
            else:
                kept.append(KeptFile(index, file.name, len(data), file.content_type, data))
        return tuple(kept)

    def _release(self, guild_id: int | None, size: int) -> None:
        left = self._reserved.get(guild_id, 0) - size
        if left > 0:
            self._reserved[guild_id] = left
        else:
            self._reserved.pop(guild_id, None)
