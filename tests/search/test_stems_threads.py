"""Stems worked out in several threads at once are the stems worked out in one: answers are
ranked in threads of their own (``asyncio.to_thread``), thirty at once in a burst of ``/ask``."""

from __future__ import annotations

import itertools
import string
import threading

from bot.search.ranking import stem

WORDS = [
    "".join(letters) + ending
    for letters in itertools.product(string.ascii_lowercase[:8], repeat=3)
    for ending in ("ational", "iveness", "fulness", "ization", "ousli", "ing", "ed", "bli", "logi")
]
"""Made-up words, each new to the stems' memo, with the endings Porter's steps 1 to 3 take off."""


def test_threads_stemming_at_once_get_the_stems_one_thread_gets() -> None:
    alone = [stem.__wrapped__(word) for word in WORDS]
    found: dict[int, list[str]] = {}
    failed: list[BaseException] = []

    def stem_all(n: int) -> None:
        try:
            found[n] = [stem.__wrapped__(word) for word in WORDS]
        except BaseException as error:  # an IndexError from a stemmer another thread was using
            failed.append(error)

    threads = [threading.Thread(target=stem_all, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failed, failed[:1]
    assert all(found[n] == alone for n in range(4))
