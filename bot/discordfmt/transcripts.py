"""Reading the archive back: thread summaries and transcripts, cut into pages for Discord."""

from __future__ import annotations

from collections.abc import Iterable

from bot.discordfmt.limits import PAGE_LIMIT
from bot.domain.message import StoredMessage, ThreadSummary, as_shown
from bot.markup import neutralise, short_time
from bot.shown import NO_NAMES, Names, shown


def summarise(messages: Iterable[StoredMessage]) -> list[ThreadSummary]:
    """Per channel or thread: readers' message count, who took part, when it was last active."""
    by_channel: dict[int, list[StoredMessage]] = {}
    for message in messages:
        by_channel.setdefault(message.channel_id, []).append(message)
    summaries = []
    for channel_id, items in by_channel.items():
        readers = [m for m in items if not m.author_bot and m.webhook_id is None and m.deleted_at is None]
        names = tuple(dict.fromkeys(m.author_name for m in readers))
        sections = {m.section for m in items}
        summaries.append(
            ThreadSummary(
                channel_id=channel_id,
                section=next(iter(sections)) if len(sections) == 1 else None,
                messages=len(readers),
                participants=names,
                last_activity=max((m.created_at for m in items), default=None),
            )
        )
    return sorted(summaries, key=lambda s: (s.section is None, s.section or 0, s.channel_id))


def is_own(message: StoredMessage, own: frozenset[int]) -> bool:
    """Whether the bot wrote the message: its own (``own``: its user's and application's ids;
    an ``/ask`` answer is its interaction's reply) or posted through a webhook (the original
    comments, which the bot posts under each commenter's name)."""
    return message.author_id in own or message.webhook_id is not None


def transcript_lines(
    messages: list[StoredMessage], names: Names = NO_NAMES, own: frozenset[int] = frozenset()
) -> list[str]:
    """One block per message: author, time, reply context, edits marked, deletions shown (as
    :func:`as_shown` reduces them: a reply to a deleted message quotes nothing of it). Mentions,
    custom emoji and times as Discord shows them (``names``; times in UTC); readers' words as
    text, the bot's own messages (:func:`is_own`) in the Markdown it posted them in."""
    messages = [as_shown(m) for m in messages]
    by_id = {m.id: m for m in messages}
    blocks = []
    for message in messages:
        # Readers' names and words are shown as text: no markup, links or mentions of theirs.
        head = f"**{neutralise(message.author_name)}** · {short_time(message.created_at)}"
        if message.edited_at:
            head += " · *edited*"
        if message.reply_to is not None:
            target = by_id.get(message.reply_to)
            if target is not None:
                words = " ".join(shown(target.content, names).split())[:60]
                snippet = "*(deleted)*" if target.deleted_at else neutralise(words)
                head += f"\n-# ↪ replying to {neutralise(target.author_name)}: {snippet}"
        if message.deleted_at:
            body = "*(deleted)*"
        else:
            escape = (lambda text: text) if is_own(message, own) else neutralise
            body = shown(message.content, names, escape=escape) if message.content else "*(no text)*"
            for index, (name, _url, _size) in enumerate(message.attachments):
                note = message.not_kept(index)
                body += f"\n📎 {neutralise(name)}" + (f" *(file not kept: {note})*" if note else "")
        blocks.append(f"{head}\n{body}")
    return blocks


def paginate(blocks: list[str], limit: int = PAGE_LIMIT) -> list[str]:
    """Blocks joined into pages of at most ``limit`` characters; an oversized block is cut."""
    pages: list[str] = []
    current = ""
    for block in blocks:
        if len(block) > limit:
            block = block[: limit - 1] + "…"  # noqa: PLW2901 - a clipped copy of the same block
        candidate = f"{current}\n\n{block}" if current else block
        if len(candidate) > limit:
            pages.append(current)
            candidate = block
        current = candidate
    if current:
        pages.append(current)
    return pages or ["*(nothing here yet)*"]


def transcript_pages(
    thread_id: int, messages: list[StoredMessage], names: Names = NO_NAMES, own: frozenset[int] = frozenset()
) -> list[str]:
    """``/archive show``: a thread's transcript, paged, each page headed with the thread."""
    lines = transcript_lines(messages, names, own)
    return [f"**Transcript of <#{thread_id}>**\n\n{page}" for page in paginate(lines)]
