"""The replies of ``/article …``: what the services found, as Discord text."""

from __future__ import annotations

from collections.abc import Mapping

from bot.discordfmt.limits import CHOICES_LIMIT, MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.discordfmt.markdown import escape_markdown, timestamp
from bot.domain.article import Article
from bot.domain.posting import ArticleListing, Posting, PostingStatus


def about_message(version: str, articles: int) -> str:
    """``/about``: what Readalong is, its version and how many articles it holds."""
    return (
        f"**Readalong {version}**: read an article together. Sections are posted with a thread each, "
        f"the original comments come along, `/ask` answers by quoting the article.\n"
        f"Articles stored: {articles}."
    )


def imported_message(article: Article) -> str:
    """``/article import``: what was stored, under which id, and how to post it."""
    by = f" by {article.author}" if article.author else ""
    return (
        f"Imported **{escape_markdown(article.display_title)}**{by}: "
        f"{len(article.sections)} sections, {len(article.comments)} comments. Id: `{article.id}`. "
        f"Post it with `/article post article:{article.id}`."
    )


def posting_message(article: Article, posting: Posting, channel_mention: str) -> str:
    """``/article post``: what goes out where, at which pace, and how to follow it."""
    pace = posting.pace_minutes
    when = "now" if pace == 0 else f"one every {pace} min"
    extra = (
        f" and {len(article.comments)} original comments"
        if posting.with_comments and article.comments
        else ""
    )
    return (
        f"Posting **{escape_markdown(article.display_title)}** in {channel_mention}: "
        f"{len(article.sections)} sections {when}{extra}. Follow it with `/article status article:{posting.article_id}`."
    )


def paused_message(posting: Posting) -> str:
    return f"Paused `{posting.article_id}` in <#{posting.channel_id}>. `/article resume` picks it up."


def resumed_message(posting: Posting) -> str:
    return f"Resumed `{posting.article_id}` in <#{posting.channel_id}>."


def status_message(article: Article, statuses: list[PostingStatus], trouble: Mapping[int, str]) -> str:
    """Each posting: channel, state, sections posted, the next due, links; ``trouble`` holds what
    is holding up an active posting now, by posting id."""
    parts = [f"**{escape_markdown(article.display_title)}** (`{article.id}`)"]
    parts.extend(_describe(status, trouble.get(status.posting.id)) for status in statuses)
    return "\n\n".join(parts)[:MESSAGE_LIMIT]


def _describe(status: PostingStatus, trouble: str | None) -> str:
    posting = status.posting
    lines = [
        f"<#{posting.channel_id}> · {posting.state} · sections posted "
        f"{len(status.posted)}/{status.total_sections}"
    ]
    if posting.state == "paused" and posting.paused_reason:
        lines.append(f"⚠️ paused by me: {posting.paused_reason}. Fix it, then `/article resume`.")
    if trouble and posting.state == "active":
        lines.append(f"⏳ {trouble}")
    if status.next_due is not None:
        due = status.next_due
        lines.append(f"next due {timestamp(due, 'R')} ({timestamp(due, 'f')})")
    links = [
        f"[§{row.section}]({jump_url(posting.guild_id, row.container_id or posting.channel_id, row.message_id)})"
        for row in status.posted
        if row.message_id
    ]
    if links:
        lines.append(" ".join(links))
    return "\n".join(lines)


def listing_message(listings: list[ArticleListing]) -> str:
    """One line per article (the first 25), with where it is posted in this server."""
    lines = []
    for listing in listings[:CHOICES_LIMIT]:
        where = ", ".join(
            f"<#{p.channel_id}> ({p.state}{f': {p.paused_reason}' if p.paused_reason else ''})"
            for p in listing.postings
        )
        title = escape_markdown(listing.title or "(untitled)")
        lines.append(
            f"`{listing.id}` · {title} · {listing.sections} sections, {listing.comments} comments"
            + (f" · {where}" if where else "")
        )
    if len(listings) > CHOICES_LIMIT:
        lines.append(f"…and {len(listings) - CHOICES_LIMIT} more (`readalong list` shows all).")
    return "\n".join(lines)[:MESSAGE_LIMIT]


def purge_setting_message(purge_deleted: bool, *, changed: bool, purged_now: int) -> str:
    """The reply of ``/article settings``: the setting as it is, or what changing it did."""
    if not changed:
        state = "forgotten" if purge_deleted else "kept, marked deleted"
        return f"Deleted messages' words: **{state}**. Change it with `purge_deleted:`."
    if purge_deleted:
        return (
            "From now on, a deleted message's words are forgotten; the archive keeps only that "
            f"a message was deleted. Forgotten now: {purged_now} already deleted."
        )
    return (
        "From now on, deleted messages are kept in the archive, marked deleted "
        "(words already forgotten stay forgotten)."
    )
