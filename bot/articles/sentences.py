"""Sentence boundaries as character spans, so that callers slice the original text verbatim."""

from __future__ import annotations

import re

# A sentence ends at terminal punctuation (optionally followed by closing quotes or brackets),
# then whitespace, then something that can open a sentence.
_BOUNDARY = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9À-Ý])""")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "u.s",
        "u.k",
        "u.n",
        "no",
        "fig",
        "gen",
        "gov",
        "sen",
        "rep",
        "col",
        "lt",
        "mt",
        "inc",
        "ltd",
        "co",
        "corp",
    ]
)
_WORD_BEFORE = re.compile(r"([\w.]+)\.$")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(a, b)`` of the sentences of ``text[start:end]``, offsets into ``text``.

    Leading and trailing whitespace is left out of every span; the spans cover every
    non-whitespace character of the range exactly once.
    """
    stop = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, stop):
        cut = match.end()
        word = _WORD_BEFORE.search(text, max(cursor, cut - 12), cut)
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS and text[cut - 1] == ".":
            continue
        if word and len(word.group(1)) == 1 and word.group(1).isupper():
            continue  # an initial, as in "John F. Kennedy"
        _append_trimmed(text, cursor, cut, spans)
        cursor = cut
    _append_trimmed(text, cursor, stop, spans)
    return spans


def _append_trimmed(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    if a < b:
        spans.append((a, b))
