"""Exports of an article's discussion: Markdown, one self-contained HTML page, and JSON.

Markdown and HTML read like the blog's comment section: each section of the article followed by
its discussion, replies nested under what they answer; then the original comments and the
readers' replies to them. The JSON follows DiscordChatExporter's export shape (``guild``,
``channel``, ``messages`` with ``author``, ``timestamp``, ``timestampEdited``, ``content``,
``reference``), one document per channel or thread, so existing viewers can read each of them.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage
from bot.markup import quote_paragraphs, short_time


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


def to_markdown(article: Article, messages: list[StoredMessage]) -> str:
    out = [f"# {article.display_title}", ""]
    meta = [
        f"by {article.author}" if article.author else "",
        article.published.isoformat() if article.published else "",
    ]
    meta.append(f"source: {article.source}")
    out += ["*" + " · ".join(m for m in meta if m) + "*", ""]
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
    return "\n".join(out).rstrip() + "\n"


def _indent(text: str, level: int) -> list[str]:
    pad = "  " * level
    return [f"{pad}  {line}" if line else "" for line in text.split("\n")]


def _markdown_comment(comment: Comment, level: int) -> list[str]:
    when = f" · {comment.posted:%Y-%m-%d %H:%M}" if comment.posted else ""
    text = quote_paragraphs(comment.text, {q.text for q in comment.quotes})
    lines = [f"{'  ' * level}- **{comment.author}** (original comment){when}"]
    lines += _indent(text, level)
    return [*lines, ""]


def _markdown_nodes(nodes: list[_Node], level: int) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        message = node.message
        edited = " (edited)" if message.edited_at else ""
        lines.append(f"{'  ' * level}- **{message.author_name}** · {short_time(message.created_at)}{edited}")
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
            f'<span class="when">{html.escape(short_time(m.created_at))}{edited}</span>{body}{replies}</div>'
        )
    return "".join(parts)


def _html_comment(comment: Comment, replies: list[Comment]) -> str:
    text = quote_paragraphs(comment.text, {q.text for q in comment.quotes})
    when = f"{comment.posted:%Y-%m-%d %H:%M}" if comment.posted else ""
    nested = "".join(_html_comment(r, []) for r in replies)
    return (
        f'<div class="msg original"><span class="who">{html.escape(comment.author)}</span>'
        f'<span class="when">original comment · {when}</span>{_html_text(text)}'
        + (f'<div class="replies">{nested}</div>' if nested else "")
        + "</div>"
    )


def to_html(article: Article, messages: list[StoredMessage]) -> str:
    title = html.escape(article.display_title)
    meta = " · ".join(
        part
        for part in (
            f"by {html.escape(article.author)}" if article.author else "",
            article.published.isoformat() if article.published else "",
            f"source: {html.escape(article.source)}",
        )
        if part
    )
    discussion = _by_section(article, messages)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{title} · Readalong</title><style>{_STYLE}</style></head><body>",
        f'<h1>{title}</h1><p class="meta">{meta}</p>',
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
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# -- JSON (DiscordChatExporter's shape) ---------------------------------------------------------


def _dce_message(message: StoredMessage) -> dict[str, object]:
    document: dict[str, object] = {
        "id": str(message.id),
        "type": "Reply" if message.reply_to else "Default",
        "timestamp": message.created_at,
        "timestampEdited": message.edited_at,
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
    article: Article, messages: list[StoredMessage], context: ExportContext, *, exported_at: str
) -> str:
    """One DiscordChatExporter document for the article's channel, with one per thread in ``threads``."""
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
            "exportedAt": exported_at,
            "messages": [_dce_message(m) for m in items],
            "messageCount": len(items),
        }

    main = roots[0] if roots else next(iter(by_channel), 0)
    top = document(main, "GuildTextChat")
    top["readalong"] = {"article": article.id, "title": article.title}
    top["threads"] = [document(c, "GuildPublicThread") for c in by_channel if c != main]
    return json.dumps(top, ensure_ascii=False, indent=2) + "\n"
