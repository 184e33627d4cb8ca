"""What posting an article sends, as plain data: no discord import, so it is tested on its own.

Rendering is deterministic (the same article, item and links give the same text), which is what
lets a restart recognise a message it sent before it was killed: it renders the item again and
looks for that exact text in the channel's history.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bot.discordfmt.limits import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_TITLE_LIMIT,
    MESSAGE_LIMIT,
    THREAD_NAME_LIMIT,
    WEBHOOK_NAME_LIMIT,
)
from bot.discordfmt.markdown import timestamp
from bot.domain.article import Article, Comment, Section
from bot.domain.posting import ItemRow, PlanItem, PostingPlace
from bot.markup import quote_paragraphs

_COMMENT_BODY_LIMIT = 1800
"""Room under 2,000 for the date line and a reply line."""


@dataclass(frozen=True, slots=True)
class EmbedSpec:
    """An embed described without discord.py, so formatting stays in the core; the publisher turns it into a
    ``discord.Embed``."""

    title: str
    description: str
    fields: tuple[tuple[str, str], ...] = ()
    footer: str | None = None

    def text(self) -> str:
        """The embed's text, for limits checks and search."""
        parts = [self.title, self.description, *(f"{n}: {v}" for n, v in self.fields)]
        return "\n".join([*parts, self.footer] if self.footer else parts)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message ready to send."""

    content: str
    embed: EmbedSpec | None = None
    thread_name: str | None = None
    """Start a thread from this message (text channel) or post it as this forum post."""
    username: str | None = None
    """Send it through the channel's webhook under this name (an original commenter's), in the
    comments thread."""
    ping_role: int | None = None
    """The server's reminder role, mentioned (alone) by a released section."""
    remind_button: bool = False
    """The intro carries the "Remind me" button (the server has a reminder role, reminders on)."""


def with_reminder(out: Outgoing, role_id: int | None) -> Outgoing:
    """A released section mentioning the reminder role first; the intro with its "Remind me"
    button. Unchanged when the server has no reminder role or has reminders off."""
    if role_id is None or out.username is not None:
        return out
    if out.embed is not None:  # the intro
        return replace(out, remind_button=True)
    return replace(out, content=clip(f"<@&{role_id}> {out.content}", MESSAGE_LIMIT), ping_role=role_id)


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def section_label(article: Article, section: Section) -> str:
    """``§N/M · heading or first words``, short enough to be a thread name.

    A heading's text too long for one section continues in the next ones, which the sectioner
    leaves without a heading of their own: they keep the heading they continue, marked
    ``(cont.)``, so a reader landing in ``§4`` still knows which part of the article it is."""
    heading = section.heading
    if heading is None:
        before = [s for s in article.sections if s.index < section.index and s.heading is not None]
        if before:
            heading = f"{clip(before[-1].heading or '', THREAD_NAME_LIMIT - 20)} (cont.)"
    words = heading or " ".join(section.text.split()[:10])
    return clip(f"§{section.index}/{len(article.sections)} · {words}", THREAD_NAME_LIMIT)


def thread_label(article: Article, item: ItemRow, *, titled: bool) -> str:
    """What a posting's thread is called when listed: the section's label, the comments thread
    (``titled``: with the article's title, where threads of several articles are listed), or the
    article's title for the intro's."""
    if item.kind == "section" and item.section is not None:
        return section_label(article, next(s for s in article.sections if s.index == item.section))
    if item.kind == "comments":
        return f"Comments: {article.display_title}" if titled else "Comments"
    return article.display_title


def posted_thread_name(article: Article, item: ItemRow) -> str:
    """The name a posting's item gave the thread or forum post it opened on Discord: a section's
    label, the comments thread's name, the article's title (a forum's first post); the same
    :class:`Outgoing` ``thread_name`` that :func:`render` gives it."""
    if item.kind == "section" and item.section is not None:
        return section_label(article, next(s for s in article.sections if s.index == item.section))
    if item.kind == "comments":
        return comments_thread_name(article)
    return clip(article.display_title, THREAD_NAME_LIMIT)


def comments_thread_name(article: Article) -> str:
    """The original comments' thread name, clipped to Discord's 100-character thread name limit."""
    return clip(f"Comments: {article.display_title}", THREAD_NAME_LIMIT)


_URL = re.compile(r"^https?://[^\s<>()\[\]]+$")
_FIELD_LIMIT = 1024
_BIO_LIMIT = 1000


def source_link(article: Article) -> str:
    """Where the article comes from: a link when it carries its address (a ``url`` given by the
    file, or a source that is itself an address), else the file it was imported from."""
    url = article.url  # the address a file format states (front matter's url:)
    if not (url is not None and _URL.match(url)):
        url = article.source if _URL.match(article.source) else None
    if url is None:
        return clip(article.source, _FIELD_LIMIT)
    shown = url.split("://", 1)[1].removeprefix("www.").rstrip("/")
    link = f"[{clip(shown, 80)}]({url})"
    return link if len(link) <= _FIELD_LIMIT else clip(url, _FIELD_LIMIT)


def release_lines(releases: Sequence[tuple[int, dt.datetime]], total: int, limit: int) -> list[str]:
    """``§N/M <t:…:F> (<t:…:R>)`` per release, as many as fit in ``limit`` characters: Discord
    shows each in the reader's own time zone and language."""
    lines: list[str] = []
    used = 0
    for number, moment in releases:
        line = f"§{number}/{total} {timestamp(moment, 'F')} ({timestamp(moment, 'R')})"
        if used + len(line) + 1 > limit - 40:
            lines.append(f"… and {len(releases) - len(lines)} more")
            break
        lines.append(line)
        used += len(line) + 1
    return lines


def intro(
    article: Article,
    *,
    pace_minutes: int,
    with_comments: bool,
    schedule: str | None = None,
    releases: Sequence[tuple[int, dt.datetime]] = (),
) -> Outgoing:
    """The first message of a posting: what the article is, who wrote it and who they are (the
    bio tells readers whose voice they are reading), where it comes from, and how to take part."""
    facts = []
    if article.author:
        facts.append(("Author", clip(article.author, _FIELD_LIMIT)))
    if article.published:
        facts.append(("Published", article.published.isoformat()))
    facts.append(("Source", source_link(article)))
    facts.append(("Sections", str(len(article.sections))))
    if with_comments and article.comments:
        facts.append(("Original comments", str(len(article.comments))))
    pacing = f", one every {pace_minutes} min" if pace_minutes else ""
    if schedule is not None:
        pacing = f", released {schedule}"
    description = (
        f"We read this article together, one section at a time{pacing}. "
        "Reply in each section's thread to discuss it; use `/ask` to ask the article a question."
    )
    if article.author_bio:
        bio = " ".join(article.author_bio.split())
        description += f"\n\n**About the author:** {clip(bio, _BIO_LIMIT)}"
    if schedule is not None and releases:
        room = EMBED_DESCRIPTION_LIMIT - len(description) - 20
        description += "\n\n**Releases:**\n" + "\n".join(release_lines(releases, len(article.sections), room))
    return Outgoing(
        content=clip(f"📖 **{article.display_title}**", MESSAGE_LIMIT),
        embed=EmbedSpec(
            title=clip(article.display_title, EMBED_TITLE_LIMIT),
            description=description,
            fields=tuple(facts),
            footer=f"Readalong · article {article.slug}",
        ),
        thread_name=clip(article.display_title, THREAD_NAME_LIMIT),
    )


def section_message(article: Article, section: Section) -> Outgoing:
    """A section as one message, clipped to Discord's 2,000 characters, under its ``§N/M`` label, which also
    names its thread (or forum post)."""
    label = section_label(article, section)
    content = f"**{label}**\n\n{section.text}"
    return Outgoing(content=clip(content, MESSAGE_LIMIT), thread_name=label)


def comments_header(article: Article) -> Outgoing:
    """The message that opens the original comments' thread; it invites readers to add their own."""
    n = len(article.comments)
    return Outgoing(
        content=f"💬 **The original comments** ({n:,}), as the blog showed them. Add yours in the thread.",
        thread_name=comments_thread_name(article),
    )


def split_comment(text: str) -> list[str]:
    """A comment's text in pieces that each fit one message, cut between paragraphs or words."""
    if len(text) <= _COMMENT_BODY_LIMIT:
        return [text]
    pieces: list[str] = []
    rest = text
    while len(rest) > _COMMENT_BODY_LIMIT:
        cut = rest.rfind("\n\n", 0, _COMMENT_BODY_LIMIT)
        if cut <= 0:
            cut = rest.rfind(" ", 0, _COMMENT_BODY_LIMIT)
        if cut <= 0:
            cut = _COMMENT_BODY_LIMIT
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


_LOOKALIKES = {"e": "\u0435", "E": "\u0415", "c": "\u0441", "C": "\u0421"}
"""Cyrillic letters drawn like Latin ones (е, Е, с, С)."""
_REFUSED_NAMES = ("everyone", "here")


def webhook_username(author: str) -> str:
    """The commenter's name as a webhook username Discord accepts, looking the same.

    Discord refuses (400, code 50035) a webhook username that contains "clyde" or "discord" in
    any case, that is "everyone" or "here", or that is not 1–80 characters once trimmed; it also
    collapses runs of whitespace. A blog commenter may well be called "Discord Mod", and a refused
    name must not stall the posting, so one letter of each refused word is swapped for the
    Cyrillic letter drawn the same ("clydе", "disсord"; the way python-discord's bot has posted
    such names for years). The alternative, a neutral name such as "Commenter" with the real one
    in the text, would lose who said what in the thread at a glance. The real name is kept in the
    message itself (see :func:`comment_message`), so the archive's text has it letter for letter.
    The result is a pure function of the name: a restart renders the same name, which is what
    finding an already-sent comment in the thread's history relies on.
    """
    name = " ".join(author.split())
    if not name:
        return "Commenter"
    name = clip(name, WEBHOOK_NAME_LIMIT)
    if name.lower() in _REFUSED_NAMES:
        name = re.sub("[eE]", lambda m: _LOOKALIKES[m[0]], name, count=1)
    lowered = name.lower()
    if "clyde" in lowered or "discord" in lowered:
        name = _swap_refused(name)
    return name


def commenter_names(article: Article) -> dict[str, str]:
    """Each webhook username the comments are posted under → the commenter's name as the blog
    showed it, so the archive and its exports keep "Clyde", not "Clydе", and a blank name blank.
    Two names that become one webhook name (they differ only in spacing, or past the 80th
    character) map to the first; a commenter really called the shown name keeps it."""
    names: dict[str, str] = {}
    for comment in article.comments:
        shown = webhook_username(comment.author)
        if shown not in names or comment.author == shown:
            names[shown] = comment.author
    return names


def _swap_refused(name: str) -> str:
    out = []
    lowered = name.lower()
    index = 0
    while index < len(name):
        for word, letter in (("clyde", 4), ("discord", 3)):
            if lowered.startswith(word, index):
                chunk = name[index : index + len(word)]
                out.append(
                    chunk[:letter] + _LOOKALIKES.get(chunk[letter], chunk[letter]) + chunk[letter + 1 :]
                )
                index += len(word)
                break
        else:
            out.append(name[index])
            index += 1
    return "".join(out)


def comment_message(
    article: Article, comment: Comment, part: int, jump_url: Callable[[int], str | None]
) -> Outgoing:
    """One part of an original comment, posted under its author's name.

    Discord does not let a webhook message reply to another, so a comment that quotes an earlier
    one shows the quote as a ``>`` block under a line linking to the quoted comment.
    """
    pieces = split_comment(comment.text)
    text = pieces[part - 1]
    quoted = quote_paragraphs(text, {q.text for q in comment.quotes})
    lines = []
    if part == 1:
        when = (
            f"{comment.posted:%B} {comment.posted.day}, {comment.posted:%Y at %H:%M}"
            if comment.posted
            else None
        )
        lines.append(f"-# Originally posted {when}" if when else "-# Originally posted on the blog")
        if comment.reply_to is not None:
            quoted_author = next((c.author for c in article.comments if c.index == comment.reply_to), "?")
            link = jump_url(comment.reply_to)
            target = f"[{quoted_author}]({link})" if link else quoted_author
            lines.append(f"-# ↪ replying to {target}")
    else:
        lines.append(f"-# (continued, part {part}/{len(pieces)})")
    body = quoted if text.strip() else "*(no text)*"
    username = webhook_username(comment.author)
    if part == 1 and username != " ".join(comment.author.split()) and comment.author.strip():
        lines[0] += f" by {clip(_escape(' '.join(comment.author.split())), WEBHOOK_NAME_LIMIT)}"
    return Outgoing(
        content=clip("\n".join(lines) + "\n" + body, MESSAGE_LIMIT),
        username=username,
    )


def _escape(name: str) -> str:
    """A name as plain text in Markdown (no formatting, no mention syntax)."""
    return re.sub(r"([\\*_~`|>\[\]<@])", r"\\\1", name)


def render(
    article: Article,
    item: PlanItem,
    *,
    pace_minutes: int,
    with_comments: bool,
    comment_jump_url: Callable[[int], str | None],
    schedule: str | None = None,
    releases: Sequence[tuple[int, dt.datetime]] = (),
) -> Outgoing:
    """The message for one plan item; the same item always renders the same, so a retry after a crash sends
    what the first try would have. A scheduled posting's intro lists its ``releases``."""
    if item.kind == "intro":
        return intro(
            article,
            pace_minutes=pace_minutes,
            with_comments=with_comments,
            schedule=schedule,
            releases=releases,
        )
    if item.kind == "section":
        section = next(s for s in article.sections if s.index == item.section)
        return section_message(article, section)
    if item.kind == "comments":
        return comments_header(article)
    comment = next(c for c in article.comments if c.index == item.comment)
    return comment_message(article, comment, item.part, comment_jump_url)


def pause_notice(slug: str, channel_id: int, started_by: int, reason: str, *, named: bool) -> str:
    """What the admin who started a posting is told when it pauses, where they used ``/article
    post``. ``named``: everyone who reads there can see the posting's channel, so the notice names
    it and gives the reason; otherwise it names neither (the reason may name the channel too) and
    points to ``/article status``, which shows the admin both privately."""
    resume = f"`/article resume article:{slug}`"
    if named:
        text = (
            f"⚠️ The posting of `{slug}` in <#{channel_id}> (started by <@{started_by}>) "
            f"is paused: {reason}. Fix it, then run {resume}."
        )
    else:
        text = (
            f"⚠️ A posting of `{slug}` (started by <@{started_by}>) is paused. "
            f"`/article status article:{slug}` shows where and why; fix it, then run {resume}."
        )
    return text[:MESSAGE_LIMIT]


def comments_refused_notice(slug: str, channel_id: int, *, brings_them: bool, named: bool) -> str:
    """One line for the admin of a finished posting that new comments on its blog post could not
    reopen, because another posting of the article is under way in its channel (one at a time per
    article and channel). ``brings_them``: that posting has its comments, so the new ones reach
    the channel through it. ``named``: as for :func:`pause_notice`."""
    where = f" in <#{channel_id}>" if named else ""
    then = (
        "that posting brings them"
        if brings_them
        else "that posting brings no comments, so they are not posted there"
    )
    return (
        f"⚠️ New comments on the blog post of `{slug}` were not added to its finished posting{where}: "
        f"another posting of `{slug}` is under way there (one at a time per channel); {then}."
    )[:MESSAGE_LIMIT]


def posting_label(place: PostingPlace, channel_name: str) -> str:
    """A posting as members pick it: ``The Lessons of Zhanaozen — #general, done``,
    ``… — #reading-room, cancelled at §2``."""
    return f"{place.title} — #{channel_name}, {place.progress}"
