"""The Markdown export: the article, each section followed by its discussion (replies nested under
what they answer), the original comments, then the questions asked with ``/ask``."""

from __future__ import annotations

from collections.abc import Sequence

from bot.archive.export.common import (
    COMMENT_TIMES_NOTE,
    TIMES_NOTE,
    Discussion,
    ExportContext,
    Node,
    answer_lines,
    asked_where,
    asker_label,
    by_place,
    comment_tree,
    posted_in,
    utc_time,
)
from bot.discordfmt.posting import section_label
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage, as_shown
from bot.markup import quote_paragraphs


def to_markdown(
    article: Article,
    messages: list[StoredMessage],
    asks: Sequence[AskedQuestion] = (),
    *,
    context: ExportContext | None = None,
) -> str:
    """The article, each section with its discussion (one part per thread it was discussed in,
    headed with its channel and thread), the original comments, then the questions asked with
    ``/ask`` and their answers. Mentions, emoji and times as Discord shows them (``context``'s names)."""
    context = context or ExportContext()
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
    channels = posted_in(context, messages)
    if channels:
        out += [f"*Discussed in {', '.join(channels)}.*", ""]
    discussion = by_place(article, messages, context)
    for section in article.sections:
        out += [f"## {section_label(article, section)}", "", section.text, ""]
        for part in discussion.get(section.index, []):
            out += [f"### Discussion of §{section.index} in {part.place}", ""]
            out += _markdown_nodes(part.roots, 0, context)
            out.append("")
    if article.author_bio:
        out += ["## About the author", "", article.author_bio, ""]
    if article.comments or discussion.get(None):
        out += ["## Comments", ""]
        for comment, replies in comment_tree(article.comments):
            out += _markdown_comment(comment, 0)
            for reply in replies:
                out += _markdown_comment(reply, 1)
        for part in discussion.get(None, []):
            out += _markdown_part(part, context)
    if asks:
        out += ["## Questions asked", ""]
        for asked in asks:
            where = asked_where(asked)
            named = context.asked_in(asked.channel_id)
            place = f" · [in {named}]({where})" if where else f" · in {named}" if named else ""
            out.append(f"- **{asker_label(asked)}** asked · {utc_time(asked.asked_at)}{place}")
            answer = answer_lines(context.text(asked.answer), subtext="*{}*")
            out += _indent(f"**Q:** {context.text(asked.question)}\n\n**A:**\n\n{answer}", 0)
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


def _markdown_part(part: Discussion, context: ExportContext) -> list[str]:
    """Readers' messages outside the sections (the comments thread, the channel, their own
    threads): each place under a line saying where."""
    return [f"*In {part.place}:*", "", *_markdown_nodes(part.roots, 0, context)]


def _markdown_nodes(nodes: list[Node], level: int, context: ExportContext) -> list[str]:
    lines: list[str] = []
    for node in nodes:
        message = node.message
        edited = " (edited)" if message.edited_at else ""
        lines.append(f"{'  ' * level}- **{message.author_name}** · {utc_time(message.created_at)}{edited}")
        lines += _indent(_content(message, context), level)
        lines.append("")
        lines += _markdown_nodes(node.replies, level + 1, context)
    return lines


def _content(message: StoredMessage, context: ExportContext) -> str:
    if message.deleted_at:
        return "*(message deleted)*"
    text = context.text(message.content)
    for index, (name, url, _size) in enumerate(message.attachments):
        note = message.not_kept(index)
        text += f"\n[{name}]({url})" + (f" *(file not kept: {note})*" if note else "")
    return text or "*(no text)*"
