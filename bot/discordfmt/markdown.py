"""Discord's own markup for text the bot writes: escaping a title or a name, and timestamps that
each member's client shows in their own time zone and language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

TimestampStyle = Literal["t", "T", "d", "D", "f", "F", "R"]

# A URL (bare, or in angle brackets) is left as it is: escaping it would break the link.
_LINK = r"(?P<link><[^: >]+:\/[^ >]+>|(?:https?|steam):\/\/[^\s<]+[^<.,:;\"'\]\s])"
# Emphasis, strike, spoiler and code marks anywhere; quotes, headings, list items and masked
# links where Discord renders them.
_MARK = r"(?P<mark>[_\\~|\*`]|^>(?:>>)?\s|\[.+\]\(.+\)|^#{1,3}|^\s*-)"
_ESCAPABLE = re.compile(f"(?:{_LINK}|{_MARK})", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """``text`` shown literally where it sits in the bot's own markup (an article's title, a
    search query), links left clickable; the same escaping as discord.py's ``escape_markdown``,
    so the core can write Discord's strings without importing discord."""
    return _ESCAPABLE.sub(lambda m: m["link"] or "\\" + m["mark"], text)


def timestamp(when: dt.datetime, style: TimestampStyle) -> str:
    """``<t:…>``: a moment the client renders in the reader's own zone and language."""
    return f"<t:{int(when.timestamp())}:{style}>"
