"""What the export formats share: times in UTC, who asked a question and where, the context
Discord gives an export (names, private threads, section links), and the discussion as trees of
replies under each section. Each format is a module of its own beside this one: Markdown
(:mod:`.markdown`), one HTML page (:mod:`.html`), DiscordChatExporter's JSON files (:mod:`.dce`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage

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
class Node:
    """A message with the replies to it, in order (the replies' own replies under them)."""

    message: StoredMessage
    replies: list[Node] = field(default_factory=list)


def reader_messages(messages: Iterable[StoredMessage]) -> list[StoredMessage]:
    """The readers' messages: not the bot's own posts, not the original comments' webhook posts."""
    return [m for m in messages if not m.author_bot and m.webhook_id is None]


def _threads(messages: list[StoredMessage]) -> list[Node]:
    nodes = {m.id: Node(m) for m in messages}
    roots: list[Node] = []
    for message in sorted(messages, key=lambda m: m.id):
        parent = nodes.get(message.reply_to) if message.reply_to is not None else None
        (parent.replies if parent is not None else roots).append(nodes[message.id])
    return roots


def by_section(article: Article, messages: list[StoredMessage]) -> dict[int | None, list[Node]]:
    """The readers' messages as reply trees, by section (None: the comments and anything not in a section)."""
    grouped: dict[int | None, list[StoredMessage]] = {}
    for message in reader_messages(messages):
        section = message.section if message.section in {s.index for s in article.sections} else None
        grouped.setdefault(section, []).append(message)
    return {key: _threads(value) for key, value in grouped.items()}


def comment_tree(comments: tuple[Comment, ...]) -> list[tuple[Comment, list[Comment]]]:
    """Original comments with the ones that quote them nested one level under."""
    children: dict[int, list[Comment]] = {}
    roots = []
    for comment in comments:
        if comment.reply_to is not None and comment.reply_to != comment.index:
            children.setdefault(comment.reply_to, []).append(comment)
        else:
            roots.append(comment)
    return [(c, children.get(c.index, [])) for c in roots]
