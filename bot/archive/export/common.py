"""What the export formats share: times in UTC, who asked a question and where, the context
Discord gives an export (names, private threads, section links), and the discussion as trees of
replies under each section. Each format is a module of its own beside this one: Markdown
(:mod:`.markdown`), one HTML page (:mod:`.html`), DiscordChatExporter's JSON files (:mod:`.dce`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from bot.archive.export.media import KeptFiles
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article, Comment
from bot.domain.message import StoredMessage
from bot.shown import NO_NAMES, Names, in_utc, shown

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


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" if n == 1 else f"{n:,} {what}s"


def page_summary(readers: int, comments: int, questions: int) -> str:
    """What a Markdown or HTML export holds, counted as the page shows it: readers' messages
    (deleted ones shown as such included), the original comments, the questions asked."""
    parts = [_count(readers, "message") + " from readers"]
    if comments:
        parts.append(_count(comments, "original comment"))
    if questions:
        parts.append(_count(questions, "question") + " asked")
    return ", ".join(parts)


def files_summary(messages: int, files: int) -> str:
    """What a DiscordChatExporter export holds: every message (readers', the bot's, the original
    comments' posts), in its files (Readalong's extras not counted)."""
    return f"{_count(messages, 'message')} in {_count(files, 'file')}"


def asked_where(asked: AskedQuestion) -> str | None:
    """A link to the channel or thread the question was asked in, when known."""
    if asked.guild_id is None or asked.channel_id is None:
        return None
    return f"https://discord.com/channels/{asked.guild_id}/{asked.channel_id}"


@dataclass(frozen=True, slots=True)
class PostedThread:
    """A thread (or forum post) a posting opened, as the store knows it: what Readalong named it
    on Discord and what it holds. Exports name threads from this, never from who wrote in them."""

    name: str
    parent_id: int
    kind: str
    """``section``, ``comments`` (the original comments' thread) or ``intro`` (a forum's first post)."""
    section: int | None = None
    forum: bool = False
    """A forum post (the posting is in a forum channel) rather than a thread of a message."""


@dataclass(frozen=True, slots=True)
class ExportContext:
    """What an export says about Discord beside the messages: the server, the channels and
    threads (names Discord knows now, else what the store knows of the threads postings opened),
    who and what a message mentions, private threads, and where each section was posted."""

    guild_id: int | None = None
    guild_name: str = ""
    channel_names: Mapping[int, str] = field(default_factory=dict)
    private_threads: frozenset[int] = frozenset()
    """The private threads among the exported (``GuildPrivateThread`` in DCE's files)."""
    section_links: Mapping[int, str] = field(default_factory=dict)
    """Section number → the link to its message on Discord (the newest posting the viewer sees)."""
    threads: Mapping[int, PostedThread] = field(default_factory=dict)
    """The threads and forum posts the article's postings opened, by id."""
    forums: frozenset[int] = frozenset()
    """The postings' channels that are forums."""
    names: Names = NO_NAMES
    """Members', roles' and channels' names, for the mentions in what is exported."""
    files: KeptFiles = field(default_factory=dict)
    """Readers' kept attachments (bytes, or why not kept) by message id, bundled into the HTML
    and JSON exports (:mod:`.media`)."""

    def channel_name(self, channel_id: int, *, thread: bool = False) -> str:
        """A channel's or ``thread``'s name: Discord's when known, else the name Readalong gave
        the thread, else which kind of place it is, with its id (the command line knows no
        channel's name, nor that of a thread a reader opened)."""
        if channel_id in self.channel_names:
            return self.channel_names[channel_id]
        if channel_id in self.threads:
            return self.threads[channel_id].name
        kind = "thread" if thread else "forum" if channel_id in self.forums else "channel"
        return f"{kind} {channel_id}"

    def place(self, channel_id: int, parent_id: int | None) -> str:
        """Where a message was written, as a member would say it: ``#general`` (in the channel),
        ``#general › §1/6 · …`` (a thread in it), ``#reading › §1/6 · …`` for a forum post."""
        if parent_id is None:
            return f"#{self.channel_name(channel_id)}"
        return f"#{self.channel_name(parent_id)} › {self.channel_name(channel_id, thread=True)}"

    def asked_in(self, channel_id: int | None) -> str:
        """Where a question was asked (``#general › §1/6 · …``), as far as the export knows;
        empty for the command line's."""
        if channel_id is None:
            return ""
        posted = self.threads.get(channel_id)
        return self.place(channel_id, posted.parent_id if posted is not None else None)

    def text(self, content: str) -> str:
        """Words as Discord shows them: mentions as names, custom emoji as ``:name:``, times in UTC."""
        return shown(content, self.names, clock=in_utc)


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


@dataclass(frozen=True, slots=True)
class Discussion:
    """The readers' messages of one channel or thread, as reply trees, with where they were written."""

    channel_id: int
    place: str
    """``#general › §1/6 · …``: :meth:`ExportContext.place`."""
    roots: list[Node]

    def count(self) -> int:
        """How many messages these trees hold, replies included."""

        def size(nodes: list[Node]) -> int:
            return sum(1 + size(node.replies) for node in nodes)

        return size(self.roots)


def by_place(
    article: Article, messages: list[StoredMessage], context: ExportContext
) -> dict[int | None, list[Discussion]]:
    """The readers' messages by section (None: the comments, the channels and readers' own
    threads), and within a section by the channel or thread they were written in: two postings'
    threads of one section are two discussions, each saying where it was, never one merged."""
    places: dict[int | None, dict[int, list[StoredMessage]]] = {}
    sections = {s.index for s in article.sections}
    for message in sorted(reader_messages(messages), key=lambda m: m.id):
        section = message.section if message.section in sections else None
        places.setdefault(section, {}).setdefault(message.channel_id, []).append(message)
    return {
        section: [
            Discussion(channel, context.place(channel, items[0].parent_id), _threads(items))
            for channel, items in channels.items()
        ]
        for section, channels in places.items()
    }


def posted_in(context: ExportContext, messages: Iterable[StoredMessage]) -> list[str]:
    """The channels the exported discussion is in (``#general``, ``#reading (forum)``), in id order."""
    channels = {m.parent_id if m.parent_id is not None else m.channel_id for m in messages}
    channels |= {t.parent_id for t in context.threads.values()}
    return [
        f"#{context.channel_name(c)}{' (forum)' if c in context.forums else ''}" for c in sorted(channels)
    ]


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
