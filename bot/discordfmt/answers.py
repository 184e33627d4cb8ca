"""An answer as Discord shows it: block quotes, each labelled with where it comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.domain.answer import Quote
from bot.domain.article import Article
from bot.markup import defang, neutralise


def render(
    article: Article,
    quotes: list[Quote],
    *,
    answered: bool,
    section_urls: Mapping[int, str],
    max_chars: int = MESSAGE_LIMIT,
    unposted_section: int | None = None,
) -> str:
    """The answer as Discord shows it: block quotes, each labelled with where it comes from.
    ``unposted_section``: a section not posted yet here that answers (better); it is named,
    never quoted."""
    if not answered and unposted_section is not None:
        return _fit(
            [
                f"**§{unposted_section} answers this; it has not been posted here yet.** "
                "Ask again once it is, or use `/ask` with `ahead:True` to have it quoted now.",
            ],
            max_chars,
        )
    if not answered:
        lines = ["**Not found in the article.** It does not seem to answer that."]
        if quotes:
            lines += [
                "",
                "-# Closest passage, which may not answer it:",
                *_block(quotes[0]),
                _label(article, quotes[0], section_urls),
            ]
        return _fit(lines, max_chars)
    return _fit(_quote_lines(article, quotes, section_urls) + _later(unposted_section), max_chars)


QUOTE_DELETED = "A reader's message quoted here was deleted."
QUOTE_EDITED = "A reader's message quoted here was edited since."


def render_redacted(
    article: Article | None,
    quotes: list[Quote],
    *,
    answered: bool,
    section_urls: Mapping[int, str],
    note: str,
    max_chars: int = MESSAGE_LIMIT,
    unposted_section: int | None = None,
) -> str:
    """An answer rendered again after a reader's message it quoted was deleted or edited away:
    the quotes left, as :func:`render` shows them, then ``note``; only ``note`` when none is left
    (or the article is gone). A model's prose is never kept: it was written from the quote."""
    if article is None or not quotes:
        return f"*{note}*"
    line = f"-# {note}"
    body = render(
        article,
        quotes,
        answered=answered,
        section_urls=section_urls,
        max_chars=max(0, max_chars - len(line) - 2),
        unposted_section=unposted_section,
    )
    return f"{body}\n\n{line}"


def render_written(
    article: Article,
    prose: str,
    quotes: list[Quote],
    *,
    section_urls: Mapping[int, str],
    max_chars: int = MESSAGE_LIMIT,
    unposted_section: int | None = None,
) -> str:
    """A model's answer: its prose, labelled as such, then the verified quotes it rests on."""
    # The prose was written from readers' words too: their links and mentions do not get through.
    lines = (
        [defang(prose), "-# Written by a language model from the passages below, quoted exactly.", ""]
        if prose
        else []
    )
    return _fit(lines + _quote_lines(article, quotes, section_urls) + _later(unposted_section), max_chars)


def _later(unposted_section: int | None) -> list[str]:
    """A last line pointing to the section, not posted yet, that says more (dropped first when
    the answer is too long)."""
    if unposted_section is None:
        return []
    return ["", f"-# §{unposted_section}, not posted yet, may say more on this."]


_NOT_SAID = {
    "writer": "who wrote it",
    "author": "more about its author than their name",
    "date": "when it was published",
}


def render_about(
    *,
    byline: Quote | None,
    bio: Quote | None,
    published: str | None,
    missing: Sequence[str],
    max_chars: int = MESSAGE_LIMIT,
) -> str:
    """An answer about the article itself, from its byline and its author's bio: the name and
    the bio quoted exactly as stored, the date stated, and what the page does not give said."""
    blocks: list[list[str]] = []
    if byline is not None:
        blocks.append([*_block(byline), "-# — the article's byline"])
    if published is not None:
        blocks.append([f"Published on **{published}** (the article's byline)."])
    if bio is not None:
        blocks.append([*_block(bio), "-# — the author's bio, on the article's page"])
    said = [_NOT_SAID[kind] for kind in missing if kind in _NOT_SAID]
    if said:
        note = "The article does not say " + " or ".join(said) + "."
        blocks.append([f"-# {note}" if blocks else f"**{note}**"])
    lines = [line for block in blocks for line in ["", *block]][1:]
    return _fit(lines, max_chars)


def _quote_lines(article: Article, quotes: list[Quote], section_urls: Mapping[int, str]) -> list[str]:
    """Each quote as a block quote with its label, the article's words first, a blank line between."""
    lines: list[str] = []
    for quote in sorted(quotes, key=lambda q: q.source != "body"):
        lines += ["", *_block(quote), _label(article, quote, section_urls)]
    return lines[1:]


def _block(quote: Quote) -> list[str]:
    """The quote as a block quote. Readers' words (on Discord, or in the original comments) are
    shown with their markup neutralised: a reader's ``[jump](https://…)`` must not look like the
    bot's own link. The quote itself stays verbatim; only its rendering escapes."""
    text = quote.text if quote.source in ("body", "bio") and quote.reader is None else neutralise(quote.text)
    return [f"> {line}" if line.strip() else ">" for line in text.splitlines()]


def _label(article: Article, quote: Quote, section_urls: Mapping[int, str]) -> str:
    if quote.reader is not None:
        reader = quote.reader
        link = (
            f" · [their message]({jump_url(reader.guild_id, reader.channel_id, reader.message_id)})"
            if reader.guild_id is not None
            else ""
        )
        return f"-# — {neutralise(reader.author)}, a reader in this discussion (not the article){link}"
    if quote.source == "comment":
        author = next((c.author for c in article.comments if c.index == quote.comment), "a commenter")
        return f"-# — {neutralise(author)}, in the original comments (a reader, not the article)"
    if quote.source == "bio":
        return "-# — the author's bio"
    if quote.source == "byline":
        return "-# — the article's byline"
    url = section_urls.get(quote.section or 0)
    label = f"§{quote.section}"
    return f"-# — {label} · [jump to it]({url})" if url else f"-# — {label}"


def _fit(lines: list[str], max_chars: int) -> str:
    text = "\n".join(lines)
    while len(text) > max_chars and "\n\n" in text:
        text = text[: text.rindex("\n\n")]  # drop the last quote whole, never cut one
    return text[:max_chars]
