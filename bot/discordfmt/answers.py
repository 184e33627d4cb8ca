"""An answer as Discord shows it: block quotes, each labelled with where it comes from.

Discord's limits apply here and nowhere below: an answer is data (:class:`Answer`) until this
module fits it in a message, after whatever the message shows before it (``head``: ``/ask``'s
question)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.discordfmt.limits import MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.discordfmt.markdown import escape_markdown
from bot.domain.answer import About, Answer, Chosen, Quote, Rendering
from bot.domain.article import Article, article_slug
from bot.markup import defang, neutralise

_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{17,20})")


def heading(question: str) -> str:
    """What ``/ask``'s public reply shows before the answer: the question, its mentions broken
    (as ``discord.utils.escape_mentions`` breaks them), so that quoting it pings no one."""
    return "**Q:** " + _MENTION.sub("@\u200b\\1", question) + "\n"


def answer_text(answer: Answer, article: Article, *, head: str = "") -> str:
    """``answer`` as Discord shows it, in what is left of one message after ``head``: a question
    about the article itself from its page, a model's prose with the quotes it rests on, or the
    quotes alone (or "not found" with the closest passage)."""
    note = "" if answer.chosen is None else chosen_note(answer.chosen) + "\n"
    return note + _answer_body(answer, article, max_chars=MESSAGE_LIMIT - len(head) - len(note))


def chosen_note(chosen: Chosen) -> str:
    """The line saying which article an answer is from, when the asker did not name it and the
    place did not settle it: the others posted there are named as choices."""
    title = escape_markdown(chosen.title)
    slug = article_slug(chosen.article_id)
    if not chosen.in_place:
        return (
            f"-# Answered from **{title}** (`{slug}`), the latest article posted in this server"
            " (none is posted here); name another with `article:`."
        )
    others = ", ".join(f"`{o}`" for o in chosen.others[:_OTHERS_SHOWN])
    more = " …" if len(chosen.others) > _OTHERS_SHOWN else ""
    return (
        f"-# Answered from **{title}** (`{slug}`), the latest of {len(chosen.others) + 1} articles"
        f" posted here; also here: {others}{more}. Name one with `article:`."
    )


_OTHERS_SHOWN = 5


def _answer_body(answer: Answer, article: Article, *, max_chars: int) -> str:
    """The answer itself, in ``max_chars``."""
    if answer.about is not None:
        return render_about(answer.about, max_chars=max_chars)
    if answer.written_by is not None:
        return render_written(
            article,
            answer.prose,
            list(answer.quotes),
            section_urls=answer.section_urls,
            max_chars=max_chars,
            unposted_section=answer.unposted_section,
        )
    return render(
        article,
        list(answer.quotes),
        answered=answer.answered,
        section_urls=answer.section_urls,
        max_chars=max_chars,
        unposted_section=answer.unposted_section,
        ask_ahead=ask_ahead(answer, article),
    )


def ask_ahead(answer: Answer, article: Article) -> str | None:
    """The command that asks the same question again reading ahead, as it runs (None where the
    question cannot sit in a code span)."""
    if "`" in answer.question or "\n" in answer.question:
        return None
    return f"/ask question:{answer.question} article:{article.slug} ahead:True"


def render(
    article: Article,
    quotes: list[Quote],
    *,
    answered: bool,
    section_urls: Mapping[int, str],
    max_chars: int = MESSAGE_LIMIT,
    unposted_section: int | None = None,
    ask_ahead: str | None = None,
) -> str:
    """The answer as Discord shows it: block quotes, each labelled with where it comes from.
    ``unposted_section``: a section not posted yet here that answers (better); it is named,
    never quoted. ``ask_ahead``: the command that asks again reading ahead, shown as it runs."""
    if not answered and unposted_section is not None:
        again = f"`{ask_ahead}`" if ask_ahead else "`/ask` with `ahead:True`"
        return _fit(
            [
                f"**§{unposted_section} answers this; it has not been posted here yet.** "
                f"Ask again once it is, or use {again} to have it quoted now.",
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


def redacted_text(article: Article | None, rendering: Rendering | None, *, note: str, head: str = "") -> str:
    """An answer rendered again after a reader's message it quoted was deleted or edited away,
    to fit after ``head`` as the posted message did: the quotes left, as :func:`render` shows
    them, then ``note``; only ``note`` when none is left (or the article is gone, or the log
    kept nothing to render from). A model's prose is never kept: it was written from the quote."""
    if article is None or rendering is None or not rendering.quotes:
        return f"*{note}*"
    line = f"-# {note}"
    said = "" if rendering.chosen is None else chosen_note(rendering.chosen) + "\n"
    body = said + render(
        article,
        list(rendering.quotes),
        answered=rendering.answered,
        section_urls=rendering.section_urls,
        max_chars=max(0, MESSAGE_LIMIT - len(head) - len(said) - len(line) - 2),
        unposted_section=rendering.unposted_section,
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


def render_about(about: About, *, max_chars: int = MESSAGE_LIMIT) -> str:
    """An answer about the article itself, from its byline and its author's bio: the name and
    the bio quoted exactly as stored, the date stated, and what the page does not give said."""
    blocks: list[list[str]] = []
    if about.byline is not None:
        blocks.append([*_block(about.byline), "-# — the article's byline"])
    if about.published is not None:
        blocks.append([f"Published on **{about.published}** (the article's byline)."])
    if about.bio is not None:
        blocks.append([*_block(about.bio), "-# — the author's bio, on the article's page"])
    note = about.not_said
    if note is not None:
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
