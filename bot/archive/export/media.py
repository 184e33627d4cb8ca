"""Readers' kept attachments bundled into exports, so an export needs nothing from Discord to
show them (Discord's attachment links are signed and expire; see :mod:`bot.domain.files`).

- HTML: the page stays one self-contained file (as it is delivered: one upload on Discord, one
  file on the command line): each kept file is embedded as a ``data:`` URI, images shown inline,
  other files as links that download them under their own name.
- DiscordChatExporter JSON: as DCE's "download media" option lays it out: the files in a folder
  beside each channel's JSON, ``<file>.json_Files/``, and the attachment's ``url`` the path
  relative to the JSON file. What was not kept is listed in Readalong's extras file.

Either way a file not kept is said so ("file not kept: over the 8 MiB cap"), never silently
left out; a deleted message has no files (its rows are gone, and exports show it as deleted).
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence

from bot.domain.files import KeptFile

KeptFiles = Mapping[int, Sequence[KeptFile]]
"""Message id → its attachments as the archive holds them (what the viewer may see)."""
FILES_SUFFIX = "_Files"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def data_uri(file: KeptFile) -> str:
    """The file's bytes as a ``data:`` URI (its type as Discord gave it, else a byte stream)."""
    assert file.data is not None
    kind = (file.content_type or "application/octet-stream").split(";")[0].strip()
    return f"data:{kind};base64,{base64.b64encode(file.data).decode('ascii')}"


def html_files(files: Sequence[KeptFile]) -> str:
    """A message's attachments for the HTML page: embedded, or the note that they were not kept."""
    parts = []
    for file in files:
        name = html.escape(file.name)
        if file.data is None:
            parts.append(f'<p class="not-kept">📎 {html.escape(file.not_kept_line())}</p>')
            continue
        uri = html.escape(data_uri(file), quote=True)
        link = f'<a download="{html.escape(file.name, quote=True)}" href="{uri}">{name}</a>'
        if file.is_image:
            parts.append(
                f'<figure class="file"><img src="{uri}" alt="{name}"><figcaption>{link}</figcaption></figure>'
            )
        else:
            parts.append(f'<p class="file">📎 {link} ({file.size:,} bytes)</p>')
    return "".join(parts)


def media_name(message_id: int, file: KeptFile) -> str:
    """A kept file's name in the media folder: unique per message and place, its extension kept."""
    stem, dot, extension = file.name.rpartition(".")
    if not dot:
        stem, extension = file.name, ""
    safe_stem = _UNSAFE.sub("_", stem)[:80] or "file"
    return f"{safe_stem}-{message_id}-{file.index}" + (f".{_UNSAFE.sub('_', extension)[:16]}" if dot else "")


def bundle_dce(
    files: dict[str, str], kept: KeptFiles, *, extras: str
) -> tuple[dict[str, str], dict[str, bytes]]:
    """DCE's JSON files with each kept attachment's ``url`` pointed at its copy in the media
    folder beside the file, and the media themselves (path → bytes); the files not kept listed in
    the extras file (``extras``), with why."""
    if not kept:
        return files, {}
    out: dict[str, str] = {}
    media: dict[str, bytes] = {}
    not_kept: list[dict[str, str]] = []
    for name, text in files.items():
        if name == extras:
            continue
        document = json.loads(text)
        for message in document.get("messages", []):
            held = {f.index: f for f in kept.get(int(message["id"]), ())}
            for index, attachment in enumerate(message.get("attachments", [])):
                file = held.get(index)
                if file is None:
                    continue
                if file.data is None:
                    not_kept.append(
                        {"messageId": message["id"], "file": name, "fileName": file.name, "note": file.note}
                    )
                    continue
                path = f"{name}{FILES_SUFFIX}/{media_name(int(message['id']), file)}"
                media[path] = file.data
                attachment["url"] = path
        out[name] = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if extras in files:
        document = json.loads(files[extras])
        document.setdefault("readalong", {})["filesNotKept"] = not_kept
        out[extras] = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return out, media


def zip_bundle(files: Mapping[str, str], media: Mapping[str, bytes], *, folder: str) -> bytes:
    """The export's text files and media in one zip under ``folder/``, with a fixed date (the
    same export, the same bytes); media already compressed (images) are stored, not deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in [*((n, t.encode("utf-8")) for n, t in files.items()), *media.items()]:
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name in media else zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()
