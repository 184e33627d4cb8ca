"""The HTML export: one self-contained page per article, readable on a phone, and the index page
of ``readalong export --all``. Readers' Markdown is rendered with links kept only to the web and
mail; raw HTML from any text is escaped."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING

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
from bot.archive.export.media import html_files
from bot.discordfmt.links import jump_url
from bot.discordfmt.posting import section_label
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage, as_shown
from bot.markup import quote_paragraphs

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore

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
.deleted,.not-kept{color:#999;font-style:italic}figure.file{margin:.4rem 0}p{margin:.4rem 0}img,video{max-width:100%;height:auto}
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


def _html_nodes(nodes: list[Node], context: ExportContext) -> str:
    parts = []
    for node in nodes:
        m = node.message
        body = (
            '<p class="deleted">message deleted</p>'
            if m.deleted_at
            else markdown_html(context.text(m.content))
        )
        held = context.files.get(m.id) if m.deleted_at is None else None
        # Kept files are in the page itself; Discord's own links expire (issue 22).
        body += (
            html_files(held)
            if held
            else "".join(
                f'<p><a href="{html.escape(url, quote=True)}">{html.escape(name)}</a></p>'
                for name, url, _ in m.attachments
                if safe_link(url)
            )
        )
        edited = " · edited" if m.edited_at else ""
        replies = f'<div class="replies">{_html_nodes(node.replies, context)}</div>' if node.replies else ""
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


def _html_part(part: Discussion, context: ExportContext, heading: str) -> str:
    """One channel's or thread's discussion, headed with where it was (``heading``: the words before)."""
    return (
        f'<div class="place" data-channel="{part.channel_id}"><h3>{html.escape(heading)} '
        f"{html.escape(part.place)}</h3>{_html_nodes(part.roots, context)}</div>"
    )


def _html_asks(asks: Sequence[AskedQuestion], context: ExportContext) -> str:
    items = []
    for asked in asks:
        where = asked_where(asked)
        named = context.asked_in(asked.channel_id)
        label = f"in {html.escape(named)}" if named else "where"
        place = f' · <a href="{html.escape(where, quote=True)}">{label}</a>' if where else ""
        items.append(
            f'<div class="msg ask"><span class="who">{html.escape(asker_label(asked))}</span>'
            f'<span class="when">asked · {html.escape(utc_time(asked.asked_at))}{place}</span>'
            f'<p class="q"><b>Q:</b> {html.escape(context.text(asked.question))}</p>'
            f'<div class="a"><b>A:</b>{markdown_html(answer_lines(context.text(asked.answer), subtext="*{}*"))}'
            "</div></div>"
        )
    return f'<section class="part" id="asks"><h2>Questions asked</h2><div class="discussion">{"".join(items)}</div></section>'


def to_html(
    article: Article,
    messages: list[StoredMessage],
    asks: Sequence[AskedQuestion] = (),
    *,
    section_links: Mapping[int, str] | None = None,
    context: ExportContext | None = None,
) -> str:
    """One self-contained page, readable on a phone: a table of contents, the article, each
    section under its label (linked to its message on Discord, from ``section_links``, else
    ``context``'s) with its discussion, one part per thread it was discussed in, headed with its
    channel and thread (each message linked), the original comments, then the questions asked
    with ``/ask``. Markdown is rendered, mentions and times as Discord shows them; raw HTML from
    any text is escaped."""
    context = context or ExportContext()
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
    discussion = by_place(article, messages, context)
    links = section_links or context.section_links
    channels = posted_in(context, messages)
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
        f'<p class="meta">Discussed in {html.escape(", ".join(channels))}.</p>' if channels else "",
        f'<nav class="toc" aria-label="Contents"><h2>Contents</h2><ol>{toc}</ol></nav>',
    ]
    for section in article.sections:
        url = links.get(section.index)
        link = f'<a class="jump" href="{html.escape(url, quote=True)}">on Discord</a>' if url else ""
        places = discussion.get(section.index, [])
        talk = "".join(_html_part(p, context, "Discussion in") for p in places)
        talk = f'<div class="discussion">{talk}</div>' if places else ""
        parts.append(
            f'<section class="part" id="s{section.index}"><h2>{html.escape(section_label(article, section))}</h2>'
            f"{link}{markdown_html(section.text)}{talk}</section>"
        )
    if article.author_bio:
        parts.append(
            f'<section class="part" id="about"><h2>About the author</h2>{markdown_html(article.author_bio)}</section>'
        )
    if has_comments:
        comment_posts = _comment_posts(article.comments, messages)
        comments = "".join(_html_comment(c, r, comment_posts) for c, r in comment_tree(article.comments))
        parts.append(
            f'<section class="part" id="comments"><h2>Comments</h2><div class="discussion">{comments}'
            f"{''.join(_html_part(p, context, 'In') for p in discussion.get(None, []))}</div></section>"
        )
    if asks:
        parts.append(_html_asks(asks, context))
    parts.append("</body></html>")
    return "\n".join(part for part in parts if part) + "\n"


def html_index(entries: Sequence[tuple[str, Article, str]], *, exported_at: str) -> str:
    """The page listing every exported article: ``(file name, article, what its page holds)``
    (:func:`~bot.archive.export.common.page_summary`, counted as the page shows it)."""
    items = "".join(
        f'<li><a href="{html.escape(file, quote=True)}">{html.escape(article.display_title)}</a>'
        f'<span class="when">{html.escape(article.author or "")}'
        f"{' · ' if article.author else ''}{html.escape(summary)}</span></li>"
        for file, article, summary in entries
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
