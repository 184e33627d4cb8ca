"""Reading DiscordChatExporter JSON exports back the way DCE's readers do: every ``*.json`` in a
folder or zip that has ``guild``, ``channel`` and ``messages`` is one channel's or thread's
export; anything else is not DCE's. Each export is checked against the shape DCE's
``JsonMessageWriter`` writes (ids as strings of digits, ``categoryId`` null or an id, ISO times
with an offset, every array a reader iterates present)."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

SNOWFLAKE = {"type": "string", "pattern": "^[0-9]+$"}
TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$"}
NULLABLE_TIME = {"anyOf": [TIME, {"type": "null"}]}
USER = {
    "type": "object",
    "required": ["id", "name", "discriminator", "nickname", "color", "isBot", "avatarUrl"],
    "properties": {
        "id": SNOWFLAKE,
        "name": {"type": "string"},
        "discriminator": {"type": "string", "pattern": "^[0-9]{4}$"},
        "nickname": {"type": ["string", "null"]},
        "isBot": {"type": "boolean"},
        "roles": {"type": "array"},
        "avatarUrl": {"type": "string"},
    },
}
MESSAGE = {
    "type": "object",
    "required": [
        "id",
        "type",
        "timestamp",
        "timestampEdited",
        "callEndedTimestamp",
        "isPinned",
        "content",
        "author",
        "attachments",
        "embeds",
        "stickers",
        "reactions",
        "mentions",
    ],
    "properties": {
        "id": SNOWFLAKE,
        "type": {"enum": ["Default", "Reply"]},
        "timestamp": TIME,
        "timestampEdited": NULLABLE_TIME,
        "isPinned": {"type": "boolean"},
        "content": {"type": "string"},
        "author": USER,
        "attachments": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "url", "fileName", "fileSizeBytes"],
                "properties": {"id": SNOWFLAKE, "fileSizeBytes": {"type": "integer"}},
            },
        },
        "embeds": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "url", "timestamp", "description", "images", "fields"],
            },
        },
        "reference": {
            "type": "object",
            "required": ["messageId", "channelId", "guildId"],
            "properties": {"messageId": SNOWFLAKE, "channelId": SNOWFLAKE},
        },
    },
}
EXPORT = {
    "type": "object",
    "required": ["guild", "channel", "dateRange", "exportedAt", "messages", "messageCount"],
    "properties": {
        "guild": {
            "type": "object",
            "required": ["id", "name", "iconUrl"],
            "properties": {"id": SNOWFLAKE, "name": {"type": "string", "minLength": 1}},
        },
        "channel": {
            "type": "object",
            "required": ["id", "type", "categoryId", "category", "name", "topic"],
            "properties": {
                "id": SNOWFLAKE,
                "type": {"enum": ["GuildTextChat", "GuildPublicThread", "GuildPrivateThread"]},
                "categoryId": {"anyOf": [SNOWFLAKE, {"type": "null"}]},
                "category": {"type": ["string", "null"]},
                "name": {"type": "string", "minLength": 1},
            },
        },
        "exportedAt": TIME,
        "messages": {"type": "array", "items": MESSAGE},
        "messageCount": {"type": "integer"},
    },
}


@functools.cache
def export_validator() -> jsonschema.protocols.Validator:
    """A validator of :data:`EXPORT`, the schema checked once: ``jsonschema.validate`` checks
    the schema itself on every call (12 ms each, 94 calls a run)."""
    validator = jsonschema.validators.validator_for(EXPORT)
    validator.check_schema(EXPORT)
    return validator(EXPORT)


@dataclass
class DceExport:
    channels: list[dict[str, Any]]
    """Each DCE file's document, as read."""
    others: dict[str, Any]
    """The other JSON files (not DCE's), by name."""

    def messages(self) -> list[dict[str, Any]]:
        return [m for document in self.channels for m in document["messages"]]

    def authors(self) -> set[str]:
        return {m["author"]["id"] for m in self.messages()}


def read_dce(source: Path | bytes) -> DceExport:
    """A folder of DCE files, or a zip of them (at any depth), read and checked."""
    if isinstance(source, bytes):
        with zipfile.ZipFile(io.BytesIO(source)) as archive:
            texts = {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    else:
        texts = {str(p.relative_to(source)): p.read_text(encoding="utf-8") for p in source.rglob("*")}
    found = DceExport([], {})
    for name, text in sorted(texts.items()):
        if not name.endswith(".json"):
            continue
        document = json.loads(text)
        if {"guild", "channel", "messages"} <= document.keys():
            export_validator().validate(document)
            assert document["messageCount"] == len(document["messages"])
            channel = document["channel"]
            assert name.endswith(f" [{channel['id']}].json"), name  # DCE's file name ends with the id
            found.channels.append(document)
        else:
            found.others[name.rsplit("/", 1)[-1]] = document
    return found
