"""An article cut into passages: the sentences of its body, its author's bio and its original
comments, each with exact offsets into the text it comes from, so a quote is always a slice of
the stored source and therefore verbatim."""

from __future__ import annotations

from bot.articles.sentences import sentence_spans
from bot.domain.answer import Quote
from bot.domain.article import Article
from bot.domain.passage import Passage


def source_text(article: Article, source: str, comment: int | None) -> str:
    """The stored text a passage of ``source`` is a slice of."""
    if source == "body":
        return article.body
    if source == "bio":
        return article.author_bio or ""
    if source == "byline":
        return article.author or ""
    found = next((c for c in article.comments if c.index == comment), None)
    return found.text if found is not None else ""


def quoted_text(article: Article, quote: Quote) -> str:
    """The stored text a quote is a slice of: the article's, or the reader's message."""
    if quote.reader is not None:
        return quote.reader.content
    return source_text(article, quote.source, quote.comment)


def article_passages(article: Article) -> list[Passage]:
    """Every sentence of the body (numbered across sections), of the bio and of each comment, in that order; a
    passage's ``position`` is its place in this list for the body, within its own text otherwise."""
    passages: list[Passage] = []
    for section in article.sections:
        for start, end in sentence_spans(article.body, section.start, section.end):
            passages.append(
                Passage("body", section.index, None, len(passages), start, end, article.body[start:end])
            )
    if article.author_bio:
        bio = article.author_bio
        for number, (start, end) in enumerate(sentence_spans(bio)):
            passages.append(Passage("bio", None, None, number, start, end, bio[start:end]))
    for comment in article.comments:
        passages.extend(comment_passages(comment.index, comment.text))
    return passages


def comment_passages(index: int, text: str) -> list[Passage]:
    """The sentences of comment ``index`` whose words are ``text``: what :func:`article_passages`
    gives for it, so a comment added or edited after the import is indexed as an imported one."""
    return [
        Passage("comment", None, index, number, start, end, text[start:end])
        for number, (start, end) in enumerate(sentence_spans(text))
    ]
