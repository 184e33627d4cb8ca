"""Exports of an article's discussion: Markdown, one self-contained HTML page, and JSON.

Markdown and HTML read like the blog's comment section: each section of the article followed by
its discussion, replies nested under what they answer; then the original comments and the
readers' replies to them. The JSON is DiscordChatExporter's export (its ``JsonMessageWriter``,
field for field): one file per channel and one per thread, as DCE writes them, so DCE's readers
and viewers read the discussion as they read any DCE export; Readalong's extras are in a file of
their own.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import re
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from bot.discordfmt.links import jump_url
from bot.discordfmt.posting import comments_thread_name, section_label
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage, as_shown
from bot.markup import quote_paragraphs

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

TIMES_NOTE = "Times are UTC."
COMMENT_TIMES_NOTE = "Original comments keep the time their page showed (it gives no time zone)."


def utc_time(iso: str) -> str:
    """A stored timestamp as ``YYYY-MM-DD HH:MM UTC``: converted to UTC when it carries an offset,
    taken as UTC when it does not (Readalong stores UTC); text that is not a time is kept."""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def iso_utc(iso: str | None) -> str | None:
    """A stored timestamp in ISO 8601 with its offset, ``+00:00`` (for the JSON export)."""
    if iso is None:
        return None
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    when = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return when.isoformat()


def asker_label(asked: AskedQuestion) -> str:
    """Who asked: their name then; a member's id for questions logged before names were kept;
    the operator for the command line."""
    if asked.asker:
        return asked.asker
    if asked.user_id is None:
        return "the operator (command line)"
    return f"member {asked.user_id}"


def answer_lines(answer: str, *, subtext: str) -> str:
    """An answer as posted on Discord, for a page: Discord's small print (``-# …``, a quote's
    source) written as ``subtext`` formats it (``*{}*`` in Markdown), in a paragraph of its own
    after a quote; the quotes unchanged."""
    lines: list[str] = []
    for line in answer.split("\n"):
        if line.startswith("-# "):
            if lines and lines[-1].startswith(">"):
                lines.append("")
            line = subtext.format(line[3:])  # noqa: PLW2901 - the same line, reformatted
        lines.append(line)
    return "\n".join(lines)


def asked_where(asked: AskedQuestion) -> str | None:
    """A link to the channel or thread the question was asked in, when known."""
    if asked.guild_id is None or asked.channel_id is None:
        return None
    return f"https://discord.com/channels/{asked.guild_id}/{asked.channel_id}"


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What Discord knows and the store does not: names of the server, channels and threads."""

    guild_id: int | None = None
    guild_name: str = ""
    channel_names: Mapping[int, str] = field(default_factory=dict)
    private_threads: frozenset[int] = frozenset()
    """The private threads among the exported (``GuildPrivateThread`` in DCE's files)."""
    section_links: Mapping[int, str] = field(default_factory=dict)
    """Section number → the link to its message on Discord (the newest posting the viewer sees)."""


@dataclass
class _Node:
    message: StoredMessage
    replies: list[_Node] = field(default_factory=list)


def reader_messages(messages: Iterable[StoredMessage]) -> list[StoredMessage]:
    """The readers' messages: not the bot's own posts, not the original comments' webhook posts."""
    return [m for m in messages if not m.author_bot and m.webhook_id is None]


def _threads(messages: list[StoredMessage]) -> list[_Node]:
    nodes = {m.id: _Node(m) for m in messages}
    roots: list[_Node] = []
    for message in sorted(messages, key=lambda m: m.id):
        parent = nodes.get(message.reply_to) if message.reply_to is not None else None
        (parent.replies if parent is not None else roots).append(nodes[message.id])
    return roots


def _by_section(article: Article, messages: list[StoredMessage]) -> dict[int | None, list[_Node]]:
    grouped: dict[int | None, list[StoredMessage]] = {}
    for message in reader_messages(messages):
        section = message.section if message.section in {s.index for s in article.sections} else None
        grouped.setdefault(section, []).append(message)
    return {key: _threads(value) for key, value in grouped.items()}


def _comment_tree(comments: tuple[Comment, ...]) -> list[tuple[Comment, list[Comment]]]:
    """Original comments with the ones that quote them nested one level under."""
    children: dict[int, list[Comment]] = {}
    roots = []
    for comment in comments:
        if comment.reply_to is not None and comment.reply_to != comment.index:
            children.setdefault(comment.reply_to, []).append(comment)
        else:
            roots.append(comment)
    return [(c, children.get(c.index, [])) for c in roots]


def _content(message: StoredMessage) -> str:
    if message.deleted_at:
        return "*(message deleted)*"
    text = message.content
    for name, url, _size in message.attachments:
        text += f"\n[{name}]({url})"
    return text or "*(no text)*"


# -- Markdown -----------------------------------------------------------------------------------


def to_markdown(article: Article, messages: list[StoredMessage], asks: Sequence[AskedQuestion] = ()) -> str:
    """The article, each section with its discussion, the original comments, then the questions
    asked with ``/ask`` and their answers."""
    messages = [as_shown(m) for m in messages]
    out = [f"# {article.display_title}", ""]
    meta = [
        f"by {article.author}" if article.author else "",
        article.published.isoformat() if article.published else "",
    ]
    meta.append(f"source: [{article.url}]({article.url})" if article.url else f"source: {article.source}")
    out += ["*" + " · ".join(m for m in meta if m) + "*", ""]
    notes = [TIMES_NOTE, COMMENT_TIMES_NOTE] if article.comments else [TIMES_NOTE]
    out += ["*" + " ".join(notes) + "*", ""]
    discussion = _by_section(article, messages)
    for section in article.sections:
        heading = f" · {section.heading}" if section.heading else ""
        out += [f"## §{section.index}/{len(article.sections)}{heading}", "", section.text, ""]
        roots = discussion.get(section.index, [])
        if roots:
            out += [f"### Discussion of §{section.index}", ""]
            out += _markdown_nodes(roots, 0)
            out.append("")
    if article.author_bio:
        out += ["## About the author", "", article.author_bio, ""]
    if article.comments or discussion.get(None):
        out += ["## Comments", ""]
        for comment, replies in _comment_tree(article.comments):
            out += _markdown_comment(comment, 0)
            for reply in replies:
                out += _markdown_comment(reply, 1)
        out += _markdown_nodes(discussion.get(None, []), 0)
    if asks:
        out += ["## Questions asked", ""]
        for asked in asks:
            where = asked_where(asked)
            place = f" · [where]({where})" if where else ""
            out.append(f"- **{asker_label(asked)}** asked · {utc_time(asked.asked_at)}{place}")
            answer = answer_lines(asked.answer, subtext="*{}*")
            out += _indent(f"**Q:** {asked.question}\n\n**A:**\n\n{answer}", 0)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _indent(text: str, level: int) -> list[str]:
    pad = "  " * level
    return [f"{pad}  {line}" if line else "" for line in text.split("\n")]


def _markdown_comment(comment: Comment, level: int) -> list[str]:
    when = f" · {comment.posted:%Y-%m-%d %H:%M} (page time)" if comment.posted else ""
    text = quote_paragraphs(comment.text, {q.text for q in comment.quotes})
    lines = [f"{'  ' * level}- **{comment.author}** (original comment){when}"]
    lines += _indent(text, level)
    return [*lines, ""]


def _markdown_nodes(nodes: list[_Node], level: int) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        message = node.message
        edited = " (edited)" if message.edited_at else ""
        lines.append(f"{'  ' * level}- **{message.author_name}** · {utc_time(message.created_at)}{edited}")
        lines += _indent(_content(message), level)
        lines.append("")
        lines += _markdown_nodes(node.replies, level + 1)
    return lines


# -- HTML ---------------------------------------------------------------------------------------

_STYLE = """
*{box-sizing:border-box}
body{font:17px/1.6 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222;background:#fdfdfb;overflow-wrap:break-word}
h1{font-size:2rem;line-height:1.2;margin-bottom:.2rem}.meta{color:#666;font-style:italic}
nav.toc{background:#f4f1ea;padding:.6rem 1rem;border-radius:6px;font-family:system-ui,sans-serif;font-size:15px}
nav.toc ol{margin:.2rem 0;padding-left:1.4rem}nav.toc h2{font-size:1rem;margin:.2rem 0}
section.part{margin:2rem 0;border-top:1px solid #ddd}:target{scroll-margin-top:.5rem}
.discussion{font-family:system-ui,sans-serif;font-size:15px;margin-top:1rem}
.msg{border-left:3px solid #c9d3e6;margin:.6rem 0;padding:.2rem .8rem;background:#fff}
.msg:target{background:#fff7d6}.msg .replies{margin-left:1.2rem}
.who{font-weight:600}.when,.jump{color:#777;font-size:13px;margin-left:.4rem}
.original{border-left-color:#e2c48a}blockquote{margin:.4rem 0;padding-left:.8rem;border-left:3px solid #ccc;color:#555}
.deleted{color:#999;font-style:italic}p{margin:.4rem 0}img,video{max-width:100%;height:auto}
pre{overflow-x:auto;white-space:pre-wrap}code{font-size:.9em;background:#f1f1f1;padding:0 .2em}
ul.articles{padding-left:1.2rem}ul.articles li{margin:.4rem 0}
@media (max-width:40rem){body{margin:1rem auto;font-size:16px;padding:0 .7rem}h1{font-size:1.5rem}
.msg{padding:.2rem .5rem}.msg .replies{margin-left:.5rem}}
"""

_LINK_SCHEMES = ("http://", "https://", "mailto:")


def safe_link(url: str) -> bool:
    """The links a page keeps: the web, mail, and anchors on the page. Anything else
    (``javascript:``, ``data:``, ``vbscript:``, ``file:``) stays text, never a link."""
    target = url.strip().lower()
    return target.startswith("#") or target.startswith(_LINK_SCHEMES)


def _outside_links(state: StateCore) -> None:
    """Links to elsewhere carry no referrer and no page access (``noopener``)."""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("rel", "nofollow noopener noreferrer")


@cache
def _markdown_renderer() -> MarkdownIt:
    """Discord's Markdown as markdown-it renders it: raw HTML is never passed through (``html``
    off: a reader's ``<script>`` is text), single line breaks kept as Discord shows them, bare
    URLs made links, ``~~strike~~``; no images (a page never fetches what a reader linked) and no
    headings (a message's ``#`` lines would break the page's outline). Made on first use: only the
    HTML export needs it, and markdown-it with linkify takes 50 ms to import."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": True})
    md.enable(["linkify", "strikethrough"]).disable(["image", "heading", "lheading"])
    md.validateLink = safe_link  # type: ignore[method-assign]
    md.core.ruler.push("outside_links", _outside_links)
    return md


def markdown_html(text: str) -> str:
    """Markdown rendered to HTML: links as links, everything else escaped."""
    rendered: str = _markdown_renderer().render(text)
    return rendered


def _jump_link(message: StoredMessage) -> str:
    if message.guild_id is None:
        return ""
    url = jump_url(message.guild_id, message.channel_id, message.id)
    return f'<a class="jump" href="{html.escape(url, quote=True)}">on Discord</a>'


def _html_nodes(nodes: list[_Node]) -> str:
    parts = []
    for node in nodes:
        m = node.message
        body = '<p class="deleted">message deleted</p>' if m.deleted_at else markdown_html(m.content)
        body += "".join(
            f'<p><a href="{html.escape(url, quote=True)}">{html.escape(name)}</a></p>'
            for name, url, _ in m.attachments
            if safe_link(url)
        )
        edited = " · edited" if m.edited_at else ""
        replies = f'<div class="replies">{_html_nodes(node.replies)}</div>' if node.replies else ""
        parts.append(
            f'<div class="msg" id="m{m.id}"><span class="who">{html.escape(m.author_name)}</span>'
            f'<span class="when">{html.escape(utc_time(m.created_at))}{edited}</span>{_jump_link(m)}'
            f"{body}{replies}</div>"
        )
    return "".join(parts)


def _comment_posts(
    comments: Sequence[Comment], messages: Iterable[StoredMessage]
) -> dict[int, StoredMessage]:
    """Each original comment's first message as posted on Discord (under the commenter's name,
    through the webhook), found by name and opening words."""
    posted = sorted((m for m in messages if m.webhook_id is not None), key=lambda m: m.id)
    found: dict[int, StoredMessage] = {}
    for comment in comments:
        opening = " ".join(comment.text.split()[:8])
        for message in posted:
            if message.author_name == comment.author and opening in " ".join(message.content.split()):
                found[comment.index] = message
                break
    return found


def _html_comment(comment: Comment, replies: list[Comment], posts: Mapping[int, StoredMessage]) -> str:
    text = quote_paragraphs(comment.text, {q.text for q in comment.quotes})
    when = f"{comment.posted:%Y-%m-%d %H:%M} (page time)" if comment.posted else ""
    nested = "".join(_html_comment(r, [], posts) for r in replies)
    post = posts.get(comment.index)
    return (
        f'<div class="msg original" id="c{comment.index}"><span class="who">{html.escape(comment.author)}</span>'
        f'<span class="when">original comment · {when}</span>{_jump_link(post) if post else ""}'
        f"{markdown_html(text)}" + (f'<div class="replies">{nested}</div>' if nested else "") + "</div>"
    )


def _html_asks(asks: Sequence[AskedQuestion]) -> str:
    items = []
    for asked in asks:
        where = asked_where(asked)
        place = f' · <a href="{html.escape(where, quote=True)}">where</a>' if where else ""
        items.append(
            f'<div class="msg ask"><span class="who">{html.escape(asker_label(asked))}</span>'
            f'<span class="when">asked · {html.escape(utc_time(asked.asked_at))}{place}</span>'
            f'<p class="q"><b>Q:</b> {html.escape(asked.question)}</p>'
            f'<div class="a"><b>A:</b>{markdown_html(answer_lines(asked.answer, subtext="*{}*"))}</div></div>'
        )
    return f'<section class="part" id="asks"><h2>Questions asked</h2><div class="discussion">{"".join(items)}</div></section>'


def to_html(
    article: Article,
    messages: list[StoredMessage],
    asks: Sequence[AskedQuestion] = (),
    *,
    section_links: Mapping[int, str] | None = None,
) -> str:
    """One self-contained page, readable on a phone: a table of contents, the article, each
    section (linked to its message on Discord, from ``section_links``) with its discussion (each
    message linked), the original comments, then the questions asked with ``/ask``. Markdown is
    rendered; raw HTML from any text is escaped."""
    messages = [as_shown(m) for m in messages]
    title = html.escape(article.display_title)
    meta = " · ".join(
        part
        for part in (
            f"by {html.escape(article.author)}" if article.author else "",
            article.published.isoformat() if article.published else "",
            f'source: <a href="{html.escape(article.url, quote=True)}">{html.escape(article.url)}</a>'
            if article.url and safe_link(article.url)
            else f"source: {html.escape(article.url or article.source)}",
        )
        if part
    )
    notes = " ".join([TIMES_NOTE, COMMENT_TIMES_NOTE] if article.comments else [TIMES_NOTE])
    discussion = _by_section(article, messages)
    links = section_links or {}
    has_comments = bool(article.comments or discussion.get(None))
    contents = [(f"s{s.index}", section_label(article, s)) for s in article.sections]
    if article.author_bio:
        contents.append(("about", "About the author"))
    if has_comments:
        contents.append(("comments", "Comments"))
    if asks:
        contents.append(("asks", "Questions asked"))
    toc = "".join(f'<li><a href="#{anchor}">{html.escape(label)}</a></li>' for anchor, label in contents)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} · Readalong</title><style>{_STYLE}</style></head><body>",
        f'<h1>{title}</h1><p class="meta">{meta}</p><p class="meta">{html.escape(notes)}</p>',
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>',
    ]
    for section in article.sections:
        heading = f" · {html.escape(section.heading)}" if section.heading else ""
        roots = discussion.get(section.index, [])
        url = links.get(section.index)
        link = f'<a class="jump" href="{html.escape(url, quote=True)}">on Discord</a>' if url else ""
        talk = f'<div class="discussion"><h3>Discussion</h3>{_html_nodes(roots)}</div>' if roots else ""
        parts.append(
            f'<section class="part" id="s{section.index}"><h2>§{section.index}/{len(article.sections)}{heading}</h2>'
            f"{link}{markdown_html(section.text)}{talk}</section>"
        )
    if article.author_bio:
        parts.append(
            f'<section class="part" id="about"><h2>About the author</h2>{markdown_html(article.author_bio)}</section>'
        )
    if has_comments:
        comment_posts = _comment_posts(article.comments, messages)
        comments = "".join(_html_comment(c, r, comment_posts) for c, r in _comment_tree(article.comments))
        parts.append(
            f'<section class="part" id="comments"><h2>Comments</h2><div class="discussion">{comments}'
            f"{_html_nodes(discussion.get(None, []))}</div></section>"
        )
    if asks:
        parts.append(_html_asks(asks))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def html_index(entries: Sequence[tuple[str, Article, int]], *, exported_at: str) -> str:
    """The page listing every exported article: ``(file name, article, readers' messages)``."""
    items = "".join(
        f'<li><a href="{html.escape(file, quote=True)}">{html.escape(article.display_title)}</a>'
        f'<span class="when">{html.escape(article.author or "")}'
        f"{' · ' if article.author else ''}{count} message{'' if count == 1 else 's'}</span></li>"
        for file, article, count in entries
    )
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en"><head><meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                f"<title>Readalong archive</title><style>{_STYLE}</style></head><body>",
                "<h1>Readalong archive</h1>",
                f'<p class="meta">{len(entries)} article{"" if len(entries) == 1 else "s"} · exported '
                f"{html.escape(utc_time(exported_at))}</p>",
                f'<ul class="articles">{items}</ul>',
                "</body></html>",
            ]
        )
        + "\n"
    )


# -- JSON: DiscordChatExporter's files ----------------------------------------------------------

DCE_EXTRAS = "readalong.json"
"""The file beside DCE's own with what only Readalong knows: the article and the questions asked."""
DEFAULT_AVATAR = "https://cdn.discordapp.com/embed/avatars/0.png"
MAX_FILE_NAME_BYTES = 255
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def dce_file_name(guild: str, parent: str | None, channel: str, channel_id: int) -> str:
    """DCE's default file name: ``Server - Parent - Channel [id].json``, characters no file
    system takes replaced with ``_``."""
    suffix = f" [{channel_id}].json"
    name = _UNSAFE_IN_NAMES.sub("_", " - ".join([guild, *([parent] if parent else []), channel]))
    # File systems take 255 bytes a name: long names of a server and thread (100 characters each,
    # non-Latin ones 2 to 4 bytes each) are cut, never the id that makes the name unique.
    room = MAX_FILE_NAME_BYTES - len(suffix.encode("utf-8"))
    return name.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip() + suffix


def _dce_user(message: StoredMessage) -> dict[str, object]:
    return {
        "id": str(message.author_id),
        "name": message.author_name,
        "discriminator": "0000",
        "nickname": message.author_name,
        "color": None,
        "isBot": message.author_bot or message.webhook_id is not None,
        "roles": [],
        "avatarUrl": DEFAULT_AVATAR,
    }


def _dce_message(message: StoredMessage) -> dict[str, object]:
    """One message as DCE's JSON writer writes it, field for field."""
    document: dict[str, object] = {
        "id": str(message.id),
        "type": "Reply" if message.reply_to else "Default",
        "timestamp": iso_utc(message.created_at),
        "timestampEdited": iso_utc(message.edited_at),
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": "" if message.deleted_at else message.content,
        "author": _dce_user(message),
        "attachments": [
            {"id": f"{message.id}{i}", "url": url, "fileName": name, "fileSizeBytes": size}
            for i, (name, url, size) in enumerate(message.attachments)
        ],
        "components": [],
        "embeds": [
            {
                "title": "",
                "url": None,
                "timestamp": None,
                "description": message.embeds,
                "images": [],
                "fields": [],
                "inlineEmojis": [],
            }
        ]
        if message.embeds
        else [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
    }
    if message.reply_to is not None:
        document["reference"] = {
            "type": "Default",
            "messageId": str(message.reply_to),
            "channelId": str(message.channel_id),
            "guildId": str(message.guild_id) if message.guild_id else None,
        }
    document["inlineEmojis"] = []
    return document


def _channel_name(
    article: Article, channel_id: int, items: list[StoredMessage], context: ExportContext
) -> str:
    """The channel's or thread's name on Discord when known (``/archive export``); otherwise the
    name Readalong gave the thread (a section's label, the comments thread's), else its id."""
    if channel_id in context.channel_names:
        return context.channel_names[channel_id]
    if any(m.webhook_id is not None for m in items):
        return comments_thread_name(article)
    sections = {m.section for m in items if m.section is not None}
    known = [s for s in article.sections if s.index in sections]
    if len(known) == 1 and items[0].parent_id is not None:
        return section_label(article, known[0])
    return f"{'thread' if items[0].parent_id is not None else 'channel'} {channel_id}"


def _channel_type(channel_id: int, parent: int | None, context: ExportContext) -> str:
    """DCE's name for the kind of channel (its ``ChannelKind``)."""
    if parent is None:
        return "GuildTextChat"
    return "GuildPrivateThread" if channel_id in context.private_threads else "GuildPublicThread"


def to_dce(
    article: Article,
    messages: list[StoredMessage],
    context: ExportContext,
    *,
    exported_at: str,
    asks: Sequence[AskedQuestion] = (),
) -> dict[str, str]:
    """DiscordChatExporter's JSON export of the discussion, file name → text: one file per
    channel and one per thread (``GuildPublicThread``, its parent channel as the category, as
    DCE writes threads), each with its server and name; then :data:`DCE_EXTRAS` with Readalong's
    own: the article, which file holds which section, and the questions asked. Every time is
    ISO 8601 in UTC with its offset."""
    by_channel: dict[int, list[StoredMessage]] = {}
    for message in sorted(map(as_shown, messages), key=lambda m: m.id):
        by_channel.setdefault(message.channel_id, []).append(message)
    order = sorted(by_channel, key=lambda c: (by_channel[c][0].parent_id is not None, c))
    names = {c: _channel_name(article, c, by_channel[c], context) for c in order}
    files: dict[str, str] = {}
    index = []
    for channel_id in order:
        items = by_channel[channel_id]
        guild_id = context.guild_id or items[0].guild_id
        guild_name = context.guild_name or (f"server {guild_id}" if guild_id else "Readalong")
        parent = items[0].parent_id
        parent_name = (
            (names.get(parent) or context.channel_names.get(parent) or f"channel {parent}")
            if parent
            else None
        )
        document = {
            "guild": {"id": str(guild_id or 0), "name": guild_name, "iconUrl": DEFAULT_AVATAR},
            "channel": {
                "id": str(channel_id),
                "type": _channel_type(channel_id, parent, context),
                "categoryId": str(parent) if parent else None,
                "category": parent_name,
                "name": names[channel_id],
                "topic": None,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": iso_utc(exported_at),
            "messages": [_dce_message(m) for m in items],
            "messageCount": len(items),
        }
        name = dce_file_name(guild_name, parent_name, names[channel_id], channel_id)
        files[name] = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        sections = {m.section for m in items if m.section is not None}
        index.append(
            {
                "file": name,
                "channelId": str(channel_id),
                "section": next(iter(sections)) if len(sections) == 1 else None,
                "messages": len(items),
            }
        )
    extras = {
        "readalong": {
            "article": article.slug,
            "title": article.title,
            "author": article.author,
            "url": article.url,
            "timeZone": "UTC",
            "exportedAt": iso_utc(exported_at),
            "files": index,
            "asks": [
                {
                    "askedAt": iso_utc(asked.asked_at),
                    "asker": {
                        "id": str(asked.user_id) if asked.user_id is not None else None,
                        "name": asker_label(asked),
                    },
                    "channelId": str(asked.channel_id) if asked.channel_id is not None else None,
                    "question": asked.question,
                    "answer": asked.answer,
                    "answered": asked.answered,
                }
                for asked in asks
            ],
        }
    }
    files[DCE_EXTRAS] = json.dumps(extras, ensure_ascii=False, indent=2) + "\n"
    return files


def zip_files(files: Mapping[str, str], *, folder: str) -> bytes:
    """The files in one zip, under ``folder/``, with a fixed date: the same export, the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
