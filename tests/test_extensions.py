"""Every cog loads into the real bot, and no two commands share a name."""

from __future__ import annotations

from pathlib import Path

from bot.discord.client import create_bot, extension_names
from bot.settings import Settings


async def test_every_extension_loads_without_clashes(tmp_path: Path) -> None:
    bot = create_bot(Settings(db_path=tmp_path / "r.db"))
    await bot.store.open()
    try:
        for name in extension_names():
            await bot.load_extension(name)
        names = [command.qualified_name for command in bot.tree.walk_commands()]
        assert len(names) == len(set(names))
        assert {"about", "article post", "article import", "archive export"} <= set(names)
        assert {"help", "articles", "article cancel", "article delete"} <= set(names)
        for command in bot.tree.walk_commands():
            assert command.description and len(command.description) <= 100
    finally:
        await bot.close()
