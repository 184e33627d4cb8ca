"""What the services announce to whatever holds articles in memory: an article deleted in a
server (``/article delete``). The bot makes one :class:`ArticleEvents` and hands it to the services
that change articles; each part that remembers something of an article (the publisher's articles,
the discussion's placements and commenters, the embedder's vectors) listens, so a new part with a
cache listens too rather than each deleting front end having to know every cache."""

from __future__ import annotations

import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

Listener = Callable[[str], None]
"""Called with the article's key; must not block (dropping entries from memory)."""


class ArticleEvents:
    """The "article deleted" event and its listeners; see the module's docstring."""

    def __init__(self) -> None:
        self._deleted: list[Listener] = []

    def on_deleted(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` whenever an article is deleted in a server (its postings there gone,
        with them perhaps its archive there and the article itself): what it remembers of that
        article must be read afresh, if at all. Returns what stops it listening (a cog unloaded)."""
        self._deleted.append(listener)
        return lambda: self._deleted.remove(listener) if listener in self._deleted else None

    def deleted(self, article_id: str) -> None:
        """Tell every listener the article was deleted in a server. A failing listener is logged
        and the others are still told: one cache left stale must not leave the rest stale too."""
        for listener in list(self._deleted):
            try:
                listener(article_id)
            except Exception:
                log.exception("a listener of article deletions failed for %s", article_id)
