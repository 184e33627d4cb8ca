"""What ``/article post`` refuses before anything is sent, in one line with nothing posted: what
Discord would refuse for the whole posting and can be known now (the channel's kind, a required
or moderated forum tag, a missing permission). What passes becomes the plain
:class:`~bot.services.posting.PostTarget` the posting service records."""

from __future__ import annotations

import re

import discord

from bot.discordfmt import refusals
from bot.domain.article import Article
from bot.errors import ReadalongError
from bot.services.posting import PostTarget


def post_target(
    channel: discord.TextChannel | discord.ForumChannel,
    article: Article,
    *,
    tag: str | None,
    with_comments: bool,
) -> PostTarget:
    """Check the channel, the tag and the bot's permissions there for posting ``article``."""
    refuse_channel_kind(channel)
    if isinstance(channel, discord.ForumChannel):
        chosen = choose_tag(channel, article, tag)
    else:
        _no_tag_outside_forums(channel, tag)
        chosen = None
    return _target(channel, chosen, with_comments=with_comments and bool(article.comments))


def _target(
    channel: discord.TextChannel | discord.ForumChannel, tag: discord.ForumTag | None, *, with_comments: bool
) -> PostTarget:
    """The checked channel and tag as a target, once the bot is found to hold every permission
    the posting needs there (refused in one line naming those it lacks)."""
    forum = isinstance(channel, discord.ForumChannel)
    missing = missing_permissions(
        channel.permissions_for(channel.guild.me), forum=forum, with_comments=with_comments
    )
    if missing:
        raise ReadalongError(refusals.missing_permissions_refused(channel.mention, missing))
    return PostTarget(
        guild_id=channel.guild.id,
        channel_id=channel.id,
        channel_kind="forum" if forum else "text",
        tag_id=tag.id if tag is not None else None,
    )


def missing_permissions(permissions: discord.Permissions, *, forum: bool, with_comments: bool) -> list[str]:
    """The permissions (by their names in Discord's settings) the bot lacks to post here."""
    needed = [
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "read_message_history",
    ]
    if not forum:
        needed.insert(2, "create_public_threads")
    if with_comments:
        needed.append("manage_webhooks")
    names = [refusals.PERMISSION_NAMES[name] for name in needed if not getattr(permissions, name)]
    send = refusals.PERMISSION_NAMES["send_messages"]
    if forum and send in names:
        names[names.index(send)] = refusals.CREATE_POSTS
    return names


def refuse_channel_kind(channel: discord.abc.GuildChannel) -> None:
    """Announcement and media channels are refused in one line: Readalong posts in text
    channels (a thread per section) and forums (a post per section) only. Threads in an
    announcement channel are of another type (10) and media channels' posts are made for
    attachments; neither is tested end to end, so neither is offered as if it worked."""
    if isinstance(channel, discord.TextChannel) and channel.is_news():
        raise ReadalongError(refusals.announcement_channel(channel.mention))
    if isinstance(channel, discord.ForumChannel) and channel.is_media():
        raise ReadalongError(refusals.media_channel(channel.mention))


def matching_tags(forum: discord.ForumChannel, article: Article) -> list[discord.ForumTag]:
    """The forum's tags for this article, the bot may apply: one named as its id, or a word of
    its title (tag names are at most 20 characters, so "Zhanaozen" stands for "The Lessons of
    Zhanaozen"). A moderated tag needs Manage Threads, so without it one is never picked."""
    title_words = set(re.findall(r"\w+", (article.title or "").lower()))
    may_moderate = forum.permissions_for(forum.guild.me).manage_threads

    def fits(tag: discord.ForumTag) -> bool:
        name = tag.name.lower()
        matches = name == article.slug.lower() or (len(name) >= 4 and name in title_words)
        return matches and (may_moderate or not tag.moderated)

    return [tag for tag in forum.available_tags if fits(tag)]


def choose_tag(forum: discord.ForumChannel, article: Article, wanted: str | None) -> discord.ForumTag | None:
    """The tag every post of this posting carries, checked before anything is posted.

    ``wanted`` is a tag's id (what the ``tag:`` autocomplete offers) or its name. A forum with the
    REQUIRE_TAG flag refuses untagged posts (code 40067), and a moderated tag needs Manage
    Threads (code 50013): both would otherwise stop the posting after its intro."""
    names = [t.name for t in forum.available_tags]
    if wanted is None or not wanted.strip():
        found = matching_tags(forum, article)
        if not found and forum.flags.require_tag:
            raise ReadalongError(refusals.tag_required(forum.mention, names))
        return found[0] if found else None
    return named_tag(forum, wanted)


def named_tag(forum: discord.ForumChannel, wanted: str) -> discord.ForumTag:
    """The forum's tag ``wanted`` names (its id, or its name in any case), which the bot may
    apply: an unknown tag, or a moderated one without Manage Threads, is refused in one line."""
    key = wanted.strip()
    tag = next((t for t in forum.available_tags if str(t.id) == key or t.name.lower() == key.lower()), None)
    if tag is None:
        raise ReadalongError(refusals.no_such_tag(forum.mention, key, [t.name for t in forum.available_tags]))
    if tag.moderated and not forum.permissions_for(forum.guild.me).manage_threads:
        raise ReadalongError(refusals.moderated_tag(tag.name, forum.mention))
    return tag


def _no_tag_outside_forums(channel: discord.abc.GuildChannel, tag: str | None) -> None:
    if tag is not None and tag.strip():
        raise ReadalongError(refusals.tag_outside_forum(channel.mention))


def feed_target(channel: discord.TextChannel | discord.ForumChannel, *, tag: str | None) -> PostTarget:
    """Check a channel for ``/feed follow`` as :func:`post_target` does for one article: its kind,
    the tag every post carries (named, since no title is known yet; required where the forum
    requires one) and the bot's permissions there, comments included (entries bring theirs)."""
    refuse_channel_kind(channel)
    chosen: discord.ForumTag | None = None
    if isinstance(channel, discord.ForumChannel):
        if tag is not None and tag.strip():
            chosen = named_tag(channel, tag)
        elif channel.flags.require_tag:
            raise ReadalongError(
                refusals.tag_required(channel.mention, [t.name for t in channel.available_tags])
            )
    else:
        _no_tag_outside_forums(channel, tag)
    return _target(channel, chosen, with_comments=True)
