"""Keeping readers' attachments within the server's caps (bot.services.keeping), against a real
store: what the server keeps counts against its cap, so do the downloads under way, and a file
Discord does not serve is noted, not fatal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain.files import MIB
from bot.services.keeping import FileKeeper, FileUnavailable, Offered
from bot.services.settings import file_caps
from bot.store import Store

GUILD = 42


def offered(name: str, data: bytes, *, gate: asyncio.Event | None = None) -> Offered:
    async def read() -> bytes:
        if gate is not None:
            await gate.wait()
        return data

    return Offered(name, len(data), "image/png", read)


async def test_the_server_cap_counts_downloads_under_way(tmp_path: Path) -> None:
    async with Store(tmp_path / "r.db") as store:
        setting = await file_caps(store, GUILD, file_mib=1, server_mib=1)
        assert setting.changed and setting.used == 0
        keeper = FileKeeper(store)
        gate = asyncio.Event()
        first = asyncio.create_task(keeper.keep(GUILD, [offered("a.png", bytes(600 * 1024), gate=gate)]))
        await asyncio.sleep(0)  # the first download has begun: its 600 KiB are reserved
        (second,) = await keeper.keep(GUILD, [offered("b.png", bytes(600 * 1024))])
        assert second.data is None and second.note == "over the server's 1 MiB cap"
        gate.set()
        (kept,) = await first
        assert kept.data is not None and len(kept.data) == 600 * 1024
        (big,) = await keeper.keep(GUILD, [offered("c.png", bytes(MIB + 1))])
        assert big.not_kept_line() == "c.png: file not kept: over the 1 MiB cap"


async def test_a_file_discord_does_not_serve_is_noted(tmp_path: Path) -> None:
    async def refused() -> bytes:
        raise FileUnavailable("Discord did not serve it (404)")

    async with Store(tmp_path / "r.db") as store:
        keeper = FileKeeper(store)
        gone, fine = await keeper.keep(
            GUILD, [Offered("gone.png", 10, "image/png", refused), offered("fine.png", b"12345")]
        )
        assert (gone.data, gone.note) == (None, "Discord did not serve it (404)")
        assert fine.data == b"12345" and fine.index == 1
        assert (await file_caps(store, GUILD)).used == 0  # nothing stored until its message is
