"""Counting words in replies: "1 section", "2 sections", said the same way everywhere."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: ``count(1, "section")`` is "1 section",
    ``count(2, "reply", "replies")`` is "2 replies"; zero takes the plural, as in English."""
    noun = singular if n == 1 else (plural if plural is not None else f"{singular}s")
    return f"{n} {noun}"
