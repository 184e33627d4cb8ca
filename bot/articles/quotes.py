"""Which comment quotes which: a comment paragraph that repeats an earlier comment's text (up to
whitespace and the style of quote marks) is marked as a quote of it."""

from __future__ import annotations

import re

from bot.domain.article import Comment, CommentQuote

MIN_QUOTE_CHARS = 20
_QUOTE_MARKS = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"'})
_WHITESPACE = re.compile(r"\s+")


def normalise_for_quotes(text: str) -> str:
    """Text compared up to whitespace and the style of quote marks."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MARKS)).strip()


def find_quotes(comments: tuple[Comment, ...]) -> list[Comment]:
    """Mark each comment paragraph that repeats an earlier comment's text as a quote of it (the
    latest such comment). Linear in the size of the comments: see :class:`EarlierComments`."""
    earlier = EarlierComments()
    result: list[Comment] = []
    for comment in comments:
        quotes: list[CommentQuote] = []
        for paragraph in comment.text.split("\n\n"):
            needle = normalise_for_quotes(paragraph).strip(" \"'>")
            if len(needle) < MIN_QUOTE_CHARS:
                continue
            found = earlier.latest_containing(needle)
            if found is not None:
                quotes.append(CommentQuote(comment=found, text=paragraph))
        result.append(Comment(comment.index, comment.author, comment.posted, comment.text, tuple(quotes)))
        earlier.add(comment.index, normalise_for_quotes(comment.text))
    return result


class EarlierComments:
    """The comments read so far, indexed by their words, to find which one a paragraph quotes.

    Comparing every paragraph with every earlier comment is quadratic: a scrape with 6,000
    comments took seconds. A quoted paragraph's inner words (those with a space on both sides in
    it) are whole words of the comment it quotes, and so are its runs of three inner words; only
    the comments holding its rarest such word or run are candidates, and only the latest
    ``MAX_CANDIDATES`` of those are compared. A paragraph of fewer than three words is never a
    quote: it has no inner word.
    """

    MAX_CANDIDATES = 64

    def __init__(self) -> None:
        self._texts: list[tuple[int, str]] = []
        self._holding: dict[str, list[int]] = {}

    def add(self, index: int, normalised: str) -> None:
        """Remember comment ``index``'s normalised text, for later comments that quote it."""
        position = len(self._texts)
        self._texts.append((index, normalised))
        for key in _keys(normalised.split(" ")):
            self._holding.setdefault(key, []).append(position)

    def latest_containing(self, needle: str) -> int | None:
        """The index of the latest comment whose normalised text contains ``needle``, if any."""
        inner = needle.split(" ")[1:-1]
        if not inner:
            return None
        rarest: list[int] | None = None
        for key in _keys(inner):
            holding = self._holding.get(key)
            if holding is None:
                return None  # no earlier comment has this word or run: none holds the paragraph
            if rarest is None or len(holding) < len(rarest):
                rarest = holding
        assert rarest is not None
        for position in reversed(rarest[-self.MAX_CANDIDATES :]):
            index, text = self._texts[position]
            if needle in text:
                return index
        return None


def _keys(words: list[str]) -> set[str]:
    """Each word, and each run of three (joined by spaces, so never equal to a word)."""
    return {*words, *map(" ".join, zip(words, words[1:], words[2:], strict=False))}
