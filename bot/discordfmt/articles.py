"""The replies of ``/article …``: what the services found, as Discord text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from bot.discordfmt.limits import CHOICES_LIMIT, MESSAGE_LIMIT
from bot.discordfmt.links import jump_url
from bot.discordfmt.markdown import escape_markdown, timestamp
from bot.discordfmt.posting import release_lines
from bot.discordfmt.words import count
from bot.domain.article import Article
from bot.domain.files import MIB, FileCaps
from bot.domain.posting import ArticleListing, Posting, PostingStatus, Release

_RELEASES_LIMIT = 900
"""Room for a posting's releases in ``/article status`` (several postings share 2,000 characters)."""


def about_message(version: str, articles: int) -> str:
    """``/about``: what Readalong is, its version and how many articles it holds."""
    return (
        f"**Readalong {version}**: read an article together. Sections are posted with a thread each, "
        f"the original comments come along, `/ask` answers by quoting the article.\n"
        f"Articles stored: {articles:,}. `/help` lists the commands."
    )


def imported_message(article: Article, *, created: bool = True, channel: str = "general") -> str:
    """``/article import``: what was stored, under which id, and how to post it; or that the
    same article is already here (``created`` False), under which id. The command suggested
    runs as written: ``channel`` (the channel it was imported in, where the admin is) fills its
    required ``channel:``."""
    by = f" by {escape_markdown(article.author)}" if article.author else ""
    post = f"`/article post article:{article.slug} channel:#{channel}`"
    if not created:
        return (
            f"**{escape_markdown(article.display_title)}**{by} is already here, as `{article.slug}` "
            f"(the same text): nothing was imported. Post it with {post}."
        )
    return (
        f"Imported **{escape_markdown(article.display_title)}**{by}: "
        f"{count(len(article.sections), 'section')}, {count(len(article.comments), 'comment')}. "
        f"Id: `{article.slug}`. Post it with {post}."
    )


def posting_message(article: Article, posting: Posting, channel_mention: str) -> str:
    """``/article post``: what goes out where, at which pace, and how to follow it."""
    pace = posting.pace_minutes
    when = "now" if pace == 0 else f"one every {pace} min"
    if posting.schedule is not None:
        when = f"released {posting.schedule} ({posting.timezone})"
    extra = (
        f" and {count(len(article.comments), 'original comment')}"
        if posting.with_comments and article.comments
        else ""
    )
    return (
        f"Posting **{escape_markdown(article.display_title)}** in {channel_mention}: "
        f"{count(len(article.sections), 'section')} {when}{extra}. Follow it with `/article status article:{posting.article_slug}`."
    )


def paused_message(posting: Posting) -> str:
    """The reply to ``/article pause``, naming the command that resumes it."""
    return (
        f"Paused `{posting.article_slug}` in <#{posting.channel_id}>."
        f" `/article resume article:{posting.article_slug}#{posting.id}` picks it up."
    )


def resumed_message(posting: Posting) -> str:
    """The reply to ``/article resume``: when the next section is due, if the posting has a pace."""
    pace = posting.pace_minutes
    when = f"; the next section is due in {pace} min, at the set pace" if pace else ""
    return f"Resumed `{posting.article_slug}` in <#{posting.channel_id}>{when}."


def cancelled_message(posting: Posting, *, in_flight: bool = False) -> str:
    """``/article cancel``: the posting is over for good; what was sent stays. ``in_flight``: a
    message Discord is slow to take was being sent and may still arrive (the last one)."""
    last = " The message being sent as you cancelled may still arrive; it is the last." if in_flight else ""
    return (
        f"Cancelled the posting of `{posting.article_slug}` in <#{posting.channel_id}>: nothing more of it "
        f"will be sent, after a restart either. What was posted stays, with its threads and archive.{last}"
    )


def _state(posting: Posting) -> str:
    return "cancelled" if posting.cancelled_at else posting.state


def status_message(article: Article, statuses: list[PostingStatus], trouble: Mapping[int, str]) -> str:
    """Each posting: channel, state, sections posted, the next due, links; ``trouble`` holds what
    is holding up an active posting now, by posting id."""
    parts = [f"**{escape_markdown(article.display_title)}** (`{article.slug}`)"]
    parts.extend(_describe(status, trouble.get(status.posting.id)) for status in statuses)
    return "\n\n".join(parts)[:MESSAGE_LIMIT]


def _describe(status: PostingStatus, trouble: str | None) -> str:
    posting = status.posting
    lines = [
        f"<#{posting.channel_id}> · {_state(posting)} · sections posted "
        f"{len(status.posted)}/{status.total_sections}"
    ]
    if posting.state == "paused" and posting.paused_reason:
        lines.append(
            f"⚠️ paused by me: {posting.paused_reason}. Fix it, then"
            f" `/article resume article:{posting.article_slug}#{posting.id}`."
        )
    if trouble and posting.state == "active":
        lines.append(f"⏳ {trouble}")
    if status.next_due is not None:
        due = status.next_due
        lines.append(f"next due {timestamp(due, 'R')} ({timestamp(due, 'f')})")
    if posting.schedule is not None:
        lines.append(f"released {posting.schedule} ({posting.timezone})")
        lines.extend(release_lines(status.upcoming, status.total_sections, _RELEASES_LIMIT))
    links = [
        f"[§{row.section}]({jump_url(posting.guild_id, row.container_id or posting.channel_id, row.message_id)})"
        for row in status.posted
        if row.message_id
    ]
    if links:
        lines.append(" ".join(links))
    return "\n".join(lines)


def listing_message(listings: list[ArticleListing], *, reasons: bool = True) -> str:
    """One line per article (the first 25), with where it is posted in this server; ``reasons``:
    why a posting is paused (for admins, who can act on it)."""
    lines = []
    for listing in listings[:CHOICES_LIMIT]:
        where = ", ".join(
            f"<#{p.channel_id}> ({_state(p)}{f': {p.paused_reason}' if reasons and p.paused_reason else ''})"
            for p in listing.postings
        )
        title = escape_markdown(listing.title or "(untitled)")
        lines.append(
            f"`{listing.id}` · {title} · {count(listing.sections, 'section')}, "
            f"{count(listing.comments, 'comment')}" + (f" · {where}" if where else "")
        )
    if len(listings) > CHOICES_LIMIT:
        lines.append(f"…and {len(listings) - CHOICES_LIMIT:,} more (`readalong list` shows all).")
    return "\n".join(lines)[:MESSAGE_LIMIT]


def purge_setting_message(purge_deleted: bool, *, changed: bool, purged_now: int) -> str:
    """The reply of ``/article settings``: the setting as it is, or what changing it did."""
    if not changed:
        state = "forgotten" if purge_deleted else "kept, marked deleted"
        return f"Deleted messages' words: **{state}**. Change it with `purge_deleted:`."
    if purge_deleted:
        return (
            "From now on, a deleted message's words are forgotten; the archive keeps only that "
            f"a message was deleted. Forgotten now: {purged_now:,} already deleted."
        )
    return (
        "From now on, deleted messages are kept in the archive, marked deleted "
        "(words already forgotten stay forgotten)."
    )


def file_caps_message(caps: FileCaps, *, changed: bool, used: int) -> str:
    """The kept-attachments part of ``/article settings``: the caps, what the server keeps now."""
    kept = f"{used / MIB:,.1f} MiB kept now"
    if caps.file_mib == 0 or caps.server_mib == 0:
        state = f"Readers' files: **not kept** ({kept}). Keep them with `file_cap_mib:` and `server_cap_mib:` above 0."
    else:
        state = (
            f"Readers' files: **kept** up to **{caps.file_mib} MiB** a file and **{caps.server_mib:,} MiB** "
            f"for this server ({kept}); larger ones are noted as not kept."
        )
    return ("Changed. " if changed else "") + state


def delete_prompt(
    article: Article, postings: list[Posting], *, archive: bool, shared: bool, expires: dt.datetime
) -> str:
    """What ``/article delete`` will remove, above its Confirm and Cancel buttons."""
    title = f"**{escape_markdown(article.display_title)}** (`{article.slug}`)"
    lines = [f"Delete {title} in this server?"]
    going = [p for p in postings if p.state != "done"]
    if going:
        where = ", ".join(f"<#{p.channel_id}>" for p in going)
        lines.append(f"- Its {count(len(going), 'posting')} still going ({where}) will be cancelled first.")
    if postings:
        lines.append(
            f"- This server's {count(len(postings), 'posting')} of it and their archive (readers' "
            "messages, the questions asked) will be deleted; the messages on Discord stay."
        )
    elif archive:
        lines.append("- Anything archived about it in this server will be deleted.")
    if shared:
        lines.append("- The article stays in the shared library every server sees.")
    else:
        lines.append("- The article leaves this server's library (other servers keep theirs).")
    lines.append(f"-# Only you can confirm; the buttons expire {timestamp(expires, 'R')}.")
    return "\n".join(lines)[:MESSAGE_LIMIT]


def deleted_message(article_id: str, *, postings: int, messages: int, questions: int) -> str:
    """``/article delete``, once confirmed: what was removed."""
    removed = [f"`{article_id}` is deleted in this server"]
    if postings:
        removed.append(f"with {count(postings, 'posting')}")
    if messages or questions:
        removed.append(f"and its archive ({count(messages, 'message')}, {count(questions, 'question')})")
    return " ".join(removed) + "."


def delete_dropped_message(article_id: str, *, timed_out: bool) -> str:
    """What replaces the delete prompt when the admin cancels or its buttons time out: nothing was deleted."""
    why = "The buttons expired" if timed_out else "Cancelled"
    return f"{why}: `{article_id}` was not deleted."


def schedule_message(releases: list[Release]) -> str:
    """``/schedule``: the next sections to be released here, soonest first, as Discord timestamps
    (each member sees them in their own time zone)."""
    if not releases:
        return "Nothing is scheduled in the channels you can see."
    lines = ["**Coming up**"]
    for release in releases:
        line = (
            f"{timestamp(release.due_at, 'F')} ({timestamp(release.due_at, 'R')}) · "
            f"**{escape_markdown(release.title)}** §{release.section}/{release.total} in <#{release.channel_id}>"
        )
        if sum(len(x) + 1 for x in lines) + len(line) > MESSAGE_LIMIT - 20:
            break
        lines.append(line)
    return "\n".join(lines)


def closed_message(posting: Posting, closed: int) -> str:
    """``/article close``: how many threads were locked, and that nothing was lost."""
    return (
        f"Closed `{posting.article_slug}` in <#{posting.channel_id}>: {count(closed, 'thread')} locked and"
        " archived. Everything said stays in the archive (`/archive`)."
    )
