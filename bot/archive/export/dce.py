"""The JSON export: DiscordChatExporter's files (its ``JsonMessageWriter``, field for field), one
per channel and one per thread as DCE writes them, so DCE's readers and viewers read the discussion
as they read any DCE export; Readalong's extras (the article, the questions asked) in a file of
their own. Several files go out zipped."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence

from bot.archive.export.common import ExportContext, asker_label, iso_utc
from bot.domain.answer import AskedQuestion
from bot.domain.article import Article
from bot.domain.message import StoredMessage, as_shown
from bot.shown import UNKNOWN_USER, mentioned

DCE_EXTRAS = "readalong.json"
"""The file beside DCE's own with what only Readalong knows: the article and the questions asked."""
DEFAULT_AVATAR = "https://cdn.discordapp.com/embed/avatars/0.png"
MAX_FILE_NAME_BYTES = 255
_UNSAFE_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def dce_file_name(guild: str, parent: str | None, channel: str, channel_id: int) -> str:
    """DCE's default file name: ``Server - Parent - Channel [id].json``, characters no file
    system takes replaced with ``_``."""
    suffix = f" [{channel_id}].json"
    name = _UNSAFE_IN_NAMES.sub("_", " - ".join([guild, *([parent] if parent else []), channel]))
    # File systems take 255 bytes a name: long names of a server and thread (100 characters each,
    # non-Latin ones 2 to 4 bytes each) are cut, never the id that makes the name unique.
    room = MAX_FILE_NAME_BYTES - len(suffix.encode("utf-8"))
    return name.encode("utf-8")[:room].decode("utf-8", errors="ignore").rstrip() + suffix


def _dce_user(message: StoredMessage) -> dict[str, object]:
    return {
        "id": str(message.author_id),
        "name": message.author_name,
        "discriminator": "0000",
        "nickname": message.author_name,
        "color": None,
        "isBot": message.author_bot or message.webhook_id is not None,
        "roles": [],
        "avatarUrl": DEFAULT_AVATAR,
    }


def _dce_mention(user_id: int, context: ExportContext) -> dict[str, object]:
    name = context.names.users.get(user_id) or UNKNOWN_USER
    return {
        "id": str(user_id),
        "name": name,
        "discriminator": "0000",
        "nickname": name,
        "color": None,
        "isBot": False,
        "roles": [],
        "avatarUrl": DEFAULT_AVATAR,
    }


def _dce_message(message: StoredMessage, context: ExportContext) -> dict[str, object]:
    """One message as DCE's JSON writer writes it, field for field: its content as DCE writes it
    too, mentions as names (``@Name``, ``#channel``), custom emoji as ``:name:``, times in UTC."""
    document: dict[str, object] = {
        "id": str(message.id),
        "type": "Reply" if message.reply_to else "Default",
        "timestamp": iso_utc(message.created_at),
        "timestampEdited": iso_utc(message.edited_at),
        "callEndedTimestamp": None,
        "isPinned": False,
        "content": "" if message.deleted_at else context.text(message.content),
        "author": _dce_user(message),
        "attachments": [
            {"id": f"{message.id}{i}", "url": url, "fileName": name, "fileSizeBytes": size}
            for i, (name, url, size) in enumerate(message.attachments)
        ],
        "components": [],
        "embeds": [
            {
                "title": "",
                "url": None,
                "timestamp": None,
                "description": message.embeds,
                "images": [],
                "fields": [],
                "inlineEmojis": [],
            }
        ]
        if message.embeds
        else [],
        "stickers": [],
        "reactions": [],
        "mentions": [_dce_mention(u, context) for u in sorted(mentioned(message.content)[0])],
    }
    if message.reply_to is not None:
        document["reference"] = {
            "type": "Default",
            "messageId": str(message.reply_to),
            "channelId": str(message.channel_id),
            "guildId": str(message.guild_id) if message.guild_id else None,
        }
    document["inlineEmojis"] = []
    return document


def _kind(channel_id: int, parent: int | None, context: ExportContext) -> str:
    """What the channel or thread is to Readalong (in :data:`DCE_EXTRAS`): ``channel``,
    ``forum``, ``section thread``, ``comments thread``, ``intro post``, each a ``… post`` in a
    forum, or ``thread`` (one a reader opened)."""
    if parent is None:
        return "forum" if channel_id in context.forums else "channel"
    posted = context.threads.get(channel_id)
    if posted is None:
        return "thread"
    return f"{posted.kind} {'post' if posted.forum else 'thread'}"


def _channel_type(channel_id: int, parent: int | None, context: ExportContext) -> str:
    """DCE's name for the kind of channel (its ``ChannelKind``)."""
    if parent is None:
        return "GuildTextChat"
    return "GuildPrivateThread" if channel_id in context.private_threads else "GuildPublicThread"


def to_dce(
    article: Article,
    messages: list[StoredMessage],
    context: ExportContext,
    *,
    exported_at: str,
    asks: Sequence[AskedQuestion] = (),
) -> dict[str, str]:
    """DiscordChatExporter's JSON export of the discussion, file name → text: one file per
    channel and one per thread (``GuildPublicThread``, its parent channel as the category, as
    DCE writes threads), each with its server and name; then :data:`DCE_EXTRAS` with Readalong's
    own: the article, which file holds which section, and the questions asked. Every time is
    ISO 8601 in UTC with its offset."""
    by_channel: dict[int, list[StoredMessage]] = {}
    for message in sorted(map(as_shown, messages), key=lambda m: m.id):
        by_channel.setdefault(message.channel_id, []).append(message)
    order = sorted(by_channel, key=lambda c: (by_channel[c][0].parent_id is not None, c))
    names = {c: context.channel_name(c, thread=by_channel[c][0].parent_id is not None) for c in order}
    files: dict[str, str] = {}
    index = []
    for channel_id in order:
        items = by_channel[channel_id]
        guild_id = context.guild_id or items[0].guild_id
        guild_name = context.guild_name or (f"server {guild_id}" if guild_id else "Readalong")
        parent = items[0].parent_id
        parent_name = context.channel_name(parent) if parent else None
        document = {
            "guild": {"id": str(guild_id or 0), "name": guild_name, "iconUrl": DEFAULT_AVATAR},
            "channel": {
                "id": str(channel_id),
                "type": _channel_type(channel_id, parent, context),
                "categoryId": str(parent) if parent else None,
                "category": parent_name,
                "name": names[channel_id],
                "topic": None,
            },
            "dateRange": {"after": None, "before": None},
            "exportedAt": iso_utc(exported_at),
            "messages": [_dce_message(m, context) for m in items],
            "messageCount": len(items),
        }
        name = dce_file_name(guild_name, parent_name, names[channel_id], channel_id)
        files[name] = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        sections = {m.section for m in items if m.section is not None}
        posted = context.threads.get(channel_id)
        index.append(
            {
                "file": name,
                "channelId": str(channel_id),
                "name": names[channel_id],
                "channel": {
                    "id": str(parent or channel_id),
                    "name": context.channel_name(parent or channel_id),
                },
                "place": context.place(channel_id, parent),
                "kind": _kind(channel_id, parent, context),
                "section": posted.section
                if posted is not None
                else next(iter(sections))
                if len(sections) == 1
                else None,
                "messages": len(items),
            }
        )
    extras = {
        "readalong": {
            "article": article.slug,
            "title": article.title,
            "author": article.author,
            "url": article.url,
            "timeZone": "UTC",
            "exportedAt": iso_utc(exported_at),
            "files": index,
            "asks": [
                {
                    "askedAt": iso_utc(asked.asked_at),
                    "asker": {
                        "id": str(asked.user_id) if asked.user_id is not None else None,
                        "name": asker_label(asked),
                    },
                    "channelId": str(asked.channel_id) if asked.channel_id is not None else None,
                    "question": asked.question,
                    "answer": asked.answer,
                    "answered": asked.answered,
                }
                for asked in asks
            ],
        }
    }
    files[DCE_EXTRAS] = json.dumps(extras, ensure_ascii=False, indent=2) + "\n"
    return files


def zip_files(files: Mapping[str, str], *, folder: str) -> bytes:
    """The files in one zip, under ``folder/``, with a fixed date: the same export, the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return buffer.getvalue()
