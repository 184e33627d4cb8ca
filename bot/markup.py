"""Showing someone else's text on Discord as text: no markup, no links, no mentions.

Readers' words are quoted verbatim, but what Discord would *render* from them is not ours to
show: a reader's ``[jump](https://evil.example)`` would look like the bot's own section link,
``<@id>`` or ``@everyone`` like a ping. :func:`neutralise` escapes the rendering only; the quote
it is given stays an exact substring of the stored message.
"""

from __future__ import annotations

import datetime as dt
import re

_MARKUP = re.compile(r"([\\*_~`|\[\]()<>#])")
_LIST_MARKER = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s)", re.MULTILINE)
_ZERO_WIDTH_SPACE = "\u200b"


def neutralise(text: str) -> str:
    """``text`` as Discord will show it literally: markdown escaped with backslashes (Discord
    hides the backslash before punctuation), URLs broken so they are not links, ``@`` followed
    by a zero-width space so ``@everyone`` and ``@here`` are plain words."""
    escaped = _MARKUP.sub(r"\\\1", text)
    escaped = _LIST_MARKER.sub(r"\1\\\2", escaped)
    escaped = escaped.replace("://", r":\/\/")
    return escaped.replace("@", "@" + _ZERO_WIDTH_SPACE)


def defang(text: str) -> str:
    """Lighter than :func:`neutralise`, for text written *from* readers' words (a model's prose):
    its emphasis is kept, but no masked link, URL or mention of theirs gets through."""
    return (
        text.replace("](", r"]\(")
        .replace("://", r":\/\/")
        .replace("<@", r"<\@")
        .replace("<#", r"<\#")
        .replace("@everyone", "@" + _ZERO_WIDTH_SPACE + "everyone")
        .replace("@here", "@" + _ZERO_WIDTH_SPACE + "here")
    )


def quote_paragraphs(text: str, quoted: set[str]) -> str:
    """``text`` with each of its paragraphs that is in ``quoted`` (a comment quoting an earlier
    one) shown as a ``>`` block, the way Discord and Markdown both render a quotation."""
    return "\n\n".join(
        "\n".join(f"> {line}" for line in paragraph.split("\n")) if paragraph in quoted else paragraph
        for paragraph in text.split("\n\n")
    )


def short_time(iso: str) -> str:
    """A stored ISO timestamp as ``YYYY-MM-DD HH:MM`` (as stored, no time-zone conversion); text
    that is not a timestamp is shown as it is."""
    try:
        return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso
