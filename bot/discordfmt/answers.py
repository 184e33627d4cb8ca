"""An answer as Discord shows it: block quotes, each labelled with where it comes from."""

from __future__ import annotations

from collections.abc import Mapping

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
) -> str:
    """The answer as Discord shows it: block quotes, each labelled with where it comes from."""
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
    return _fit(_quote_lines(article, quotes, section_urls), max_chars)


def render_written(
    article: Article,
    prose: str,
    quotes: list[Quote],
    *,
    section_urls: Mapping[int, str],
    max_chars: int = MESSAGE_LIMIT,
) -> str:
    """A model's answer: its prose, labelled as such, then the verified quotes it rests on."""
    # The prose was written from readers' words too: their links and mentions do not get through.
    lines = (
        [defang(prose), "-# Written by a language model from the passages below, quoted exactly.", ""]
        if prose
        else []
    )
    return _fit(lines + _quote_lines(article, quotes, section_urls), max_chars)


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
    url = section_urls.get(quote.section or 0)
    label = f"§{quote.section}"
    return f"-# — {label} · [jump to it]({url})" if url else f"-# — {label}"


def _fit(lines: list[str], max_chars: int) -> str:
    text = "\n".join(lines)
    while len(text) > max_chars and "\n\n" in text:
        text = text[: text.rindex("\n\n")]  # drop the last quote whole, never cut one
    return text[:max_chars]
