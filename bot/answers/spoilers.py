"""No spoilers: during a paced posting, ``/ask`` quotes only what has been posted.

Readers reading along expect an answer from what they have read. While a posting is under way in
the asker's server, the article's words are quoted only from sections already posted there; a
section further on that answers better is named ("§4, not posted yet"), never quoted. The
author's bio is no spoiler, and readers' own words in the discussion are quoted as always. The
original comments are posted after the last section and speak of the whole article: they are
quoted once every section is out.
"""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.answer import Quote


def quotable(quote: Quote, posted: Collection[int] | None) -> bool:
    """Whether a quote may be shown to a reader who has been posted the sections ``posted``
    (None: the whole article may be quoted)."""
    if posted is None or quote.reader is not None or quote.source in ("bio", "byline"):
        return True
    return quote.source == "body" and quote.section in posted


def posted_only(ranked: list[Quote], posted: Collection[int] | None) -> tuple[list[Quote], Quote | None]:
    """The ranked quotes that may be shown, and the best of the article's words withheld
    because its section is not posted yet (None when nothing was withheld)."""
    if posted is None:
        return ranked, None
    shown = [q for q in ranked if quotable(q, posted)]
    withheld = next((q for q in ranked if q.source == "body" and not quotable(q, posted)), None)
    return shown, withheld
