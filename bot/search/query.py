"""Turning anything a reader types into an FTS5 MATCH expression that cannot fail.

FTS5 has its own query language: quotes, ``AND``/``OR``/``NOT``/``NEAR``, ``*``, ``:`` column
filters, ``-``, ``^`` and parentheses all mean something, and a stray one raises a syntax error.
So the user's text is never passed through: it is cut into word tokens, each token becomes a
quoted string (which FTS5 reads as a plain phrase), and the tokens are ORed, because FTS5 ANDs
bare terms and a natural question rarely has all its words in one sentence.
"""

from __future__ import annotations

import re

MAX_TERMS = 32
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

EVENT_WORDS = frozenset(
    ["happen", "happened", "happens", "happening", "occur", "occurred", "occurs", "occurring"]
)
"""Words that frame a question about an event rather than say which ("where did the riots
happen?"): the answer never holds them, so they would only count against it."""
STOP_WORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "tell",
        "say",
        "said",
        "says",
        "also",
        "us",
        *EVENT_WORDS,
    ]
)


def query_terms(text: str) -> list[str]:
    """The words that carry the question, lowercased, in order, each once; stop words are dropped
    unless nothing else is left ("Who was it?" still searches for something)."""
    words = [w.lower() for w in _WORD.findall(text)]
    unique = list(dict.fromkeys(words))
    content = [w for w in unique if w not in STOP_WORDS]
    return (content or unique)[:MAX_TERMS]


def match_expression(text: str) -> str | None:
    """A safe MATCH expression ORing the question's terms, or None if it has no words at all."""
    terms = query_terms(text)
    if not terms:
        return None
    return " OR ".join(f'"{term}"' for term in terms)
