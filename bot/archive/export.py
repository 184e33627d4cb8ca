"""Exports of an article's discussion: Markdown, one self-contained HTML page, and JSON.

Markdown and HTML read like the blog's comment section: each section of the article followed by
its discussion, replies nested under what they answer; then the original comments and the
readers' replies to them. The JSON follows DiscordChatExporter's export shape (``guild``,
``channel``, ``messages`` with ``author``, ``timestamp``, ``timestampEdited``, ``content``,
``reference``), one document per channel or thread, so existing viewers can read each of them.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage
from bot.markup import quote_paragraphs

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
body{font:16px/1.6 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222;background:#fdfdfb}
h1{font-size:2rem;margin-bottom:.2rem}.meta{color:#666;font-style:italic}
section.part{margin:2rem 0;border-top:1px solid #ddd}
.discussion{font-family:system-ui,sans-serif;font-size:15px;margin-top:1rem}
.msg{border-left:3px solid #c9d3e6;margin:.6rem 0;padding:.2rem .8rem;background:#fff}
.msg .replies{margin-left:1.2rem}.who{font-weight:600}.when{color:#777;font-size:13px;margin-left:.4rem}
.original{border-left-color:#e2c48a}blockquote{margin:.4rem 0;padding-left:.8rem;border-left:3px solid #ccc;color:#555}
.deleted{color:#999;font-style:italic}p{margin:.4rem 0}
"""


def _html_text(text: str) -> str:
    """Paragraphs, with ``>`` lines as block quotes; everything escaped."""
    blocks: list[str] = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n")
        if all(line.startswith(">") for line in lines if line):
            inner = "<br>".join(html.escape(line[1:].lstrip()) for line in lines)
            blocks.append(f"<blockquote>{inner}</blockquote>")
        else:
            blocks.append("<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>")
    return "".join(blocks)


def _html_nodes(nodes: list[_Node]) -> str:
    parts = []
    for node in nodes:
        m = node.message
        body = '<p class="deleted">message deleted</p>' if m.deleted_at else _html_text(m.content)
        body += "".join(
            f'<p><a href="{html.escape(url, quote=True)}">{html.escape(name)}</a></p>'
            for name, url, _ in m.attachments
        )
        edited = " · edited" if m.edited_at else ""
        replies = f'<div class="replies">{_html_nodes(node.replies)}</div>' if node.replies else ""
        parts.append(
            f'<div class="msg" id="m{m.id}"><span class="who">{html.escape(m.author_name)}</span>'
            f'<span class="when">{html.escape(utc_time(m.created_at))}{edited}</span>{body}{replies}</div>'
        )
    return "".join(parts)


def _html_comment(comment: Comment, replies: list[Comment]) -> str:
    text = quote_paragraphs(comment.text, {q.text for q in comment.quotes})
    when = f"{comment.posted:%Y-%m-%d %H:%M} (page time)" if comment.posted else ""
    nested = "".join(_html_comment(r, []) for r in replies)
    return (
        f'<div class="msg original"><span class="who">{html.escape(comment.author)}</span>'
        f'<span class="when">original comment · {when}</span>{_html_text(text)}'
        + (f'<div class="replies">{nested}</div>' if nested else "")
        + "</div>"
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
            f'<div class="a"><b>A:</b>{_html_text(answer_lines(asked.answer, subtext="{}"))}</div></div>'
        )
    return f'<section class="part" id="asks"><h2>Questions asked</h2><div class="discussion">{"".join(items)}</div></section>'


def to_html(article: Article, messages: list[StoredMessage], asks: Sequence[AskedQuestion] = ()) -> str:
    """One self-contained page: the article, each section with its discussion, the original
    comments, then the questions asked with ``/ask``; everything from the text escaped."""
    title = html.escape(article.display_title)
    meta = " · ".join(
        part
        for part in (
            f"by {html.escape(article.author)}" if article.author else "",
            article.published.isoformat() if article.published else "",
            f'source: <a href="{html.escape(article.url, quote=True)}">{html.escape(article.url)}</a>'
            if article.url
            else f"source: {html.escape(article.source)}",
        )
        if part
    )
    notes = " ".join([TIMES_NOTE, COMMENT_TIMES_NOTE] if article.comments else [TIMES_NOTE])
    discussion = _by_section(article, messages)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} · Readalong</title><style>{_STYLE}</style></head><body>",
        f'<h1>{title}</h1><p class="meta">{meta}</p><p class="meta">{html.escape(notes)}</p>',
    ]
    for section in article.sections:
        heading = f" · {html.escape(section.heading)}" if section.heading else ""
        roots = discussion.get(section.index, [])
        talk = f'<div class="discussion"><h3>Discussion</h3>{_html_nodes(roots)}</div>' if roots else ""
        parts.append(
            f'<section class="part" id="s{section.index}"><h2>§{section.index}/{len(article.sections)}{heading}</h2>'
            f"{_html_text(section.text)}{talk}</section>"
        )
    if article.author_bio:
        parts.append(
            f'<section class="part"><h2>About the author</h2>{_html_text(article.author_bio)}</section>'
        )
    if article.comments or discussion.get(None):
        comments = "".join(_html_comment(c, r) for c, r in _comment_tree(article.comments))
        parts.append(
            f'<section class="part" id="comments"><h2>Comments</h2><div class="discussion">{comments}'
            f"{_html_nodes(discussion.get(None, []))}</div></section>"
        )
    if asks:
        parts.append(_html_asks(asks))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- JSON (DiscordChatExporter's shape) ---------------------------------------------------------


def _dce_message(message: StoredMessage) -> dict[str, object]:
    document: dict[str, object] = {
        "id": str(message.id),
        "type": "Reply" if message.reply_to else "Default",
        "timestamp": iso_utc(message.created_at),
        "timestampEdited": iso_utc(message.edited_at),
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": "" if message.deleted_at else message.content,
        "author": {
            "id": str(message.author_id),
            "name": message.author_name,
            "discriminator": "0000",
            "nickname": message.author_name,
            "color": None,
            "isBot": message.author_bot or message.webhook_id is not None,
            "roles": [],
            "avatarUrl": "",
        },
        "attachments": [
            {"id": str(i), "url": url, "fileName": name, "fileSizeBytes": size}
            for i, (name, url, size) in enumerate(message.attachments)
        ],
        "embeds": [{"title": "", "description": message.embeds}] if message.embeds else [],
        "stickers": [],
        "reactions": [],
        "mentions": [],
    }
    if message.reply_to is not None:
        document["reference"] = {
            "messageId": str(message.reply_to),
            "channelId": str(message.channel_id),
            "guildId": str(message.guild_id) if message.guild_id else None,
        }
    return document


def to_json(
    article: Article,
    messages: list[StoredMessage],
    context: ExportContext,
    *,
    exported_at: str,
    asks: Sequence[AskedQuestion] = (),
) -> str:
    """One DiscordChatExporter document for the article's channel, with one per thread in
    ``threads``; Readalong's own (the article, the questions asked) under ``readalong``. Every
    time is ISO 8601 in UTC with its offset."""
    by_channel: dict[int, list[StoredMessage]] = {}
    for message in sorted(messages, key=lambda m: m.id):
        by_channel.setdefault(message.channel_id, []).append(message)
    parents = {m.channel_id: m.parent_id for m in messages}
    roots = [c for c in by_channel if parents.get(c) is None]
    guild = {"id": str(context.guild_id or ""), "name": context.guild_name, "iconUrl": ""}

    def document(channel_id: int, kind: str) -> dict[str, object]:
        items = by_channel.get(channel_id, [])
        return {
            "guild": guild,
            "channel": {
                "id": str(channel_id),
                "type": kind,
                "categoryId": str(parents.get(channel_id) or ""),
                "category": context.channel_names.get(parents.get(channel_id) or 0, ""),
                "name": context.channel_names.get(channel_id, str(channel_id)),
                "topic": None,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": iso_utc(exported_at),
            "messages": [_dce_message(m) for m in items],
            "messageCount": len(items),
        }

    main = roots[0] if roots else next(iter(by_channel), 0)
    top = document(main, "GuildTextChat")
    top["readalong"] = {
        "article": article.id,
        "title": article.title,
        "url": article.url,
        "timeZone": "UTC",
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
    top["threads"] = [document(c, "GuildPublicThread") for c in by_channel if c != main]
    return json.dumps(top, ensure_ascii=False, indent=2) + "\n"
