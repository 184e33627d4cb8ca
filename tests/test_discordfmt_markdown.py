"""The core's Discord escaping matches discord.py's, which the cogs used before it moved."""

from __future__ import annotations

import datetime as dt

import discord
import pytest

from bot.discordfmt.markdown import escape_markdown, timestamp

SAMPLES = [
    "A plain title",
    "*bold* _it_ __under__ ~~gone~~ ||spoiler|| `code` back\\slash",
    "> quoted\n>>> block\n# Heading\n### Small\n- item\n  - nested",
    "[masked](https://example.com/a_b) and https://example.com/x_y_z, <https://e.com/_a_>",
    "steam://run/1_2 and http://x.y/z. done",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_escape_markdown_is_discord_pys(text: str) -> None:
    assert escape_markdown(text) == discord.utils.escape_markdown(text)


def test_timestamp_is_discord_pys() -> None:
    when = dt.datetime(2026, 11, 25, 18, 0, 7, tzinfo=dt.UTC)
    for style in ("R", "f"):
        assert timestamp(when, style) == discord.utils.format_dt(when, style)
