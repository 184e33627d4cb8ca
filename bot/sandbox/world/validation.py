"""What Discord checks in a message body before it keeps it: trimmed text, content and embed
limits, and the form errors (code 50035) it answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.sandbox.world.common import ApiError, Payload


def trimmed(value: Any) -> str:
    """Text as Discord keeps it: leading and trailing whitespace removed. The Embed Limits section
    says so of embed text; message content is trimmed the same way (a whitespace-only message is
    refused as empty, 50006). Python's notion of whitespace stands in for Discord's."""
    return str(value or "").strip()


def trimmed_embed(embed: Mapping[str, Any]) -> Payload:
    """An embed with the text Discord measures (title, description, field names and values,
    footer text, author name) trimmed, as Discord stores it."""
    out: Payload = dict(embed)
    for key in ("title", "description"):
        if isinstance(out.get(key), str):
            out[key] = out[key].strip()
    if isinstance(out.get("fields"), list):
        out["fields"] = [
            {k: (v.strip() if k in ("name", "value") and isinstance(v, str) else v) for k, v in f.items()}
            for f in out["fields"]
            if isinstance(f, Mapping)
        ]
    for key, inner in (("footer", "text"), ("author", "name")):
        part = out.get(key)
        if isinstance(part, Mapping) and isinstance(part.get(inner), str):
            out[key] = dict(part) | {inner: part[inner].strip()}
    return out


def _form_error(path: tuple[str | int, ...], code: str, message: str) -> ApiError:
    """400 Invalid Form Body with Discord's nested ``errors`` object: one level per key or
    index of ``path``, ``_errors`` at the leaf."""
    errors: Payload = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(path):
        errors = {str(key): errors}
    return ApiError(400, 50035, "Invalid Form Body", errors)


EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_PART_LIMITS = {("footer", "text"): 2048, ("author", "name"): 256}
EMBED_FIELDS_MAX = 25
EMBED_TOTAL_MAX = 6000


def _too_long(path: tuple[str | int, ...], limit: int) -> ApiError:
    return _form_error(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")


def check_message(
    content: str, embeds: list[Payload], attachments: list[Any], stickers: Any, components: Any
) -> None:
    """Discord's limits on one message (Message resource, "Embed Limits"; Create Message): 400
    Invalid Form Body (50035, with the nested ``errors``) when broken, 50006 when empty. Text is
    measured after trimming (see :func:`trimmed`)."""
    if len(content) > 2000:
        raise _too_long(("content",), 2000)
    if len(embeds) > 10:
        raise _too_long(("embeds",), 10)
    total = 0
    for number, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            value = str(embed.get(key) or "")
            total += len(value)
            if len(value) > limit:
                raise _too_long(("embeds", number, key), limit)
        fields = list(embed.get("fields") or [])
        if len(fields) > EMBED_FIELDS_MAX:
            raise _too_long(("embeds", number, "fields"), EMBED_FIELDS_MAX)
        for field_number, embed_field in enumerate(fields):
            for key, limit in (("name", 256), ("value", 1024)):
                value = str(embed_field.get(key) or "")
                total += len(value)
                if len(value) > limit:
                    raise _too_long(("embeds", number, "fields", field_number, key), limit)
        for (key, inner), limit in EMBED_PART_LIMITS.items():
            value = str((embed.get(key) or {}).get(inner) or "")
            total += len(value)
            if len(value) > limit:
                raise _too_long(("embeds", number, key, inner), limit)
    if total > EMBED_TOTAL_MAX:
        raise _form_error(
            ("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}"
        )
    if not content and not embeds and not attachments and not stickers and not components:
        raise ApiError(400, 50006, "Cannot send an empty message")
