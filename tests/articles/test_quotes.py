"""Which earlier comment a comment quotes: the word index gives the answer a comparison with
every earlier comment gives (its speed is measured in benchmarks/event_loop.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.articles.quotes import MIN_QUOTE_CHARS, find_quotes, normalise_for_quotes
from bot.domain.article import Comment
from tests.conftest import examples

WORDS = ["gas", "pipeline", "oil", "the", "of", "Zhanaozen", "strike", "wages", "court", "“quoted”"]


def compare_with_every_earlier_comment(comments: tuple[Comment, ...]) -> list[list[int]]:
    """The reference: each paragraph against each earlier comment, latest first."""
    normalised = [normalise_for_quotes(c.text) for c in comments]
    found = []
    for position, comment in enumerate(comments):
        quoted = []
        for paragraph in comment.text.split("\n\n"):
            needle = normalise_for_quotes(paragraph).strip(" \"'>")
            if len(needle) < MIN_QUOTE_CHARS or len(needle.split(" ")) < 3:
                continue
            quoted += [comments[e].index for e in range(position - 1, -1, -1) if needle in normalised[e]][:1]
        found.append(quoted)
    return found


paragraph = st.lists(st.sampled_from(WORDS), min_size=1, max_size=12).map(" ".join)
comment_texts = st.lists(
    st.lists(paragraph, min_size=1, max_size=3).map("\n\n".join), min_size=1, max_size=12
)


@pytest.mark.slow(seconds=2)
@given(comment_texts, st.data())
@settings(max_examples=examples(300), deadline=None)
def test_same_quotes_as_comparing_every_pair(texts: list[str], data: st.DataObject) -> None:
    # Make some comments quote a paragraph of an earlier one, with other spacing and quote marks.
    texts = list(texts)
    for position in range(1, len(texts)):
        if data.draw(st.booleans()):
            source = data.draw(st.sampled_from(texts[:position])).split("\n\n")[0]
            texts[position] += "\n\n> " + source.replace(" ", "  ").replace("“", '"')
    comments = tuple(Comment(i + 1, f"c{i}", None, text) for i, text in enumerate(texts))
    got = [[q.comment for q in c.quotes] for c in find_quotes(comments)]
    assert got == compare_with_every_earlier_comment(comments)
