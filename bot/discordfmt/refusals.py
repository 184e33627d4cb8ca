"""What posting says when it cannot go on: ``/article post``'s one-line refusals, the reasons a
posting is paused or retried (shown by ``/article status`` and in the admin's pause notice).

Texts only, no discord import: the checks and the error policy in :mod:`bot.discord.posting`
decide, this module words it, so a wording is changed in one place and read without the
machinery around it."""

from __future__ import annotations

from collections.abc import Sequence

NOTHING_POSTED = "Nothing was posted."

REFUSALS = {
    50013: "I am missing a permission there",
    50001: "I have no access to that channel",
    10003: "the channel or thread no longer exists",
    10008: "a message I posted was deleted",
    30007: (
        "this channel already has 15 webhooks, Discord's limit, and I need one for the original "
        "comments; delete one in Server Settings › Integrations › Webhooks"
    ),
    60003: (
        "this server requires two-factor authentication for moderation, so Discord lets me create "
        "webhooks only if my owner's account has 2FA: my owner must enable 2FA, or the server's "
        "owner lowers the requirement (Server Settings › Safety Setup)"
    ),
    30033: "the server has the most threads Discord allows",
    160006: (
        "the server has reached Discord's limit on active threads (about 1,000); archive or "
        "delete some threads"
    ),
    40067: (
        "the forum requires a tag on each post and I have none to apply (was the chosen tag "
        "deleted?); add a tag named after the article, such as a word of its title"
    ),
    160005: "the thread is locked",
    50083: "the thread is archived",
    50035: "Discord refused what I tried to send (invalid form body)",
    50024: "the channel is of a kind I cannot post in",
}
"""Discord's error codes for refusals that retrying cannot fix, in words an admin can act on."""
VAGUE = {50013, 50035, 50024}
"""Refusals whose detail (which field, which permission) Discord's text adds to ours."""
MISSING_A_PERMISSION = REFUSALS[50013]
"""A pause for this reason is worded again with the permissions that are missing, named."""

PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
    "manage_webhooks": "Manage Webhooks",
}
"""discord.py's permission attributes, by the names Discord's settings show."""
CREATE_POSTS = "Create Posts"
"""What Send Messages is called in a forum's settings."""

# -- /article post's refusals: nothing was posted ------------------------------------------------


def announcement_channel(mention: str) -> str:
    """Threads there are of another type (10), never tested end to end: refused, not half-supported."""
    return f"{mention} is an announcement channel; I post in text channels and forums only. {NOTHING_POSTED}"


def media_channel(mention: str) -> str:
    """A media channel's posts are made for attachments: refused, not half-supported."""
    return f"{mention} is a media channel; I post in text channels and forums only. {NOTHING_POSTED}"


def tag_required(mention: str, tag_names: Sequence[str]) -> str:
    """A forum with REQUIRE_TAG refuses untagged posts (40067) after the intro: said before."""
    return (
        f"{mention} requires a tag on each post and none of its tags matches this "
        f"article: choose one with `tag:` (its tags: {_names(tag_names)}). {NOTHING_POSTED}"
    )


def no_such_tag(mention: str, key: str, tag_names: Sequence[str]) -> str:
    """``tag:`` names no tag of the forum (by id, as autocomplete offers, or by name)."""
    return f"{mention} has no tag {key!r} (its tags: {_names(tag_names)}). {NOTHING_POSTED}"


def moderated_tag(tag_name: str, mention: str) -> str:
    """A moderated tag needs Manage Threads (50013 on the first post otherwise)."""
    return (
        f"The tag `{tag_name}` in {mention} is moderated: only members with Manage Threads "
        "may apply it, and I do not have that permission there. Give it to me there, or choose "
        f"another tag. {NOTHING_POSTED}"
    )


def tag_outside_forum(mention: str) -> str:
    """Text channels have no tags: a ``tag:`` there is a mistake worth saying."""
    return f"`tag:` is for forums; {mention} is a text channel. {NOTHING_POSTED}"


def missing_permissions(mention: str, missing: Sequence[str]) -> str:
    """Without the final sentence it is also the reason a posting pauses for a lost permission."""
    return f"I am missing these permissions in {mention}: {', '.join(missing)}"


def missing_permissions_refused(mention: str, missing: Sequence[str]) -> str:
    """``/article post`` refused up front, for the permissions Discord would refuse later."""
    return f"{missing_permissions(mention, missing)}. {NOTHING_POSTED}"


def _names(tag_names: Sequence[str]) -> str:
    return ", ".join(f"`{name}`" for name in tag_names) or "none"


# -- why an item is retried (it may pass) -----------------------------------------------------

RATE_LIMITED = "rate limited by Discord"
WEBHOOK_DELETED = "the channel's webhook was deleted; making a new one"
NO_ANSWER_IN_TIME = "Discord did not answer in time"


def discord_answered(status: int) -> str:
    """A 429 or 5xx: Discord may take it next time."""
    return f"Discord answered {status}"


def discord_refused(status: int, code: int) -> str:
    """A 4xx whose code has no words of ours."""
    return f"Discord refused it ({status}{f', code {code}' if code else ''})"


def network_error(kind: str) -> str:
    """The connection failed (``kind`` is the exception's name): may pass."""
    return f"network error ({kind})"


def unexpected_error(kind: str) -> str:
    """Nobody foresaw it: retried, and logged with its traceback."""
    return f"unexpected error ({kind}; see the log)"


def retrying(reason: str, attempt: int) -> str:
    """``/article status``'s line for a posting whose current item is being retried."""
    return f"{reason}; trying again (attempt {attempt})"


# -- why a posting stops (it cannot pass) -----------------------------------------------------


def channel_gone(channel_id: int, detail: str) -> str:
    """The posting's channel (or thread) is deleted, or hidden from the bot."""
    return f"channel {channel_id} is gone or hidden from me ({detail})"


def not_a_server_channel(channel_id: int) -> str:
    """A DM or group id where a server channel was stored."""
    return f"channel {channel_id} is not a server channel"


def not_a_text_channel(channel_id: int) -> str:
    """The pause notice goes where ``/article post`` was used; that is no longer a text channel."""
    return f"<#{channel_id}> is not a text channel"


def neither_text_nor_forum(name: str) -> str:
    """The channel changed kind since the posting started."""
    return f"#{name} is neither a text nor a forum channel"


def need_manage_webhooks(channel_id: int) -> str:
    """The original comments are sent through a webhook, which needs Manage Webhooks."""
    return f"I need the Manage Webhooks permission in <#{channel_id}>"


COMMENTS_THREAD_MISSING = "the comments thread was not created"
COMMENTS_THREAD_NOT_A_THREAD = "the comments thread is not a thread"
COMMENTS_THREAD_NO_PARENT = "the comments thread has no parent channel"
THREADS_IN_TEXT_ONLY = "threads can only be started in a text channel"
