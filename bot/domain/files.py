"""Readers' attachments kept in the archive, and the caps that decide which are kept.

Discord's attachment links are signed and expire (the ``ex`` parameter of a CDN URL), so an
archive that only points at them loses its images and files within weeks. The bytes are kept
instead, within two caps a server sets (``/article settings``): the largest file kept, and the
most one server keeps in all. A file over a cap is not kept, and the archive says so in place of
it ("file not kept: over the 8 MiB cap"), so an export never silently lacks a file.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024
DEFAULT_FILE_CAP_MIB = 8
DEFAULT_SERVER_CAP_MIB = 500


@dataclass(frozen=True, slots=True)
class FileCaps:
    """A server's caps in MiB; 0 turns keeping files off."""

    file_mib: int = DEFAULT_FILE_CAP_MIB
    server_mib: int = DEFAULT_SERVER_CAP_MIB

    def refusal(self, size: int, used: int) -> str | None:
        """Why a file of ``size`` bytes is not kept when the server already keeps ``used`` bytes;
        None when it is kept."""
        if self.file_mib == 0 or self.server_mib == 0:
            return "keeping files is off in this server"
        if size > self.file_mib * MIB:
            return f"over the {self.file_mib} MiB cap"
        if used + size > self.server_mib * MIB:
            return f"over the server's {self.server_mib} MiB cap"
        return None


@dataclass(frozen=True, slots=True)
class KeptFile:
    """One attachment of a message as the archive holds it: its bytes, or why they are not kept."""

    index: int
    """Its place among the message's attachments (0 first)."""
    name: str
    size: int
    content_type: str | None
    data: bytes | None = None
    """None when not kept; ``note`` then says why."""
    note: str = ""

    @property
    def kept(self) -> bool:
        """Whether the archive holds the bytes."""
        return self.data is not None

    @property
    def is_image(self) -> bool:
        """Whether a page may show it inline (by its type as Discord gave it, else its name)."""
        if self.content_type:
            return self.content_type.split(";")[0].strip().lower() in _IMAGE_TYPES
        return self.name.lower().rsplit(".", 1)[-1] in {"png", "jpg", "jpeg", "gif", "webp"}

    def not_kept_line(self) -> str:
        """What the archive shows in place of a file it does not hold."""
        return f"{self.name}: file not kept: {self.note or 'not fetched'}"

    def __repr__(self) -> str:  # the bytes are never worth printing
        state = f"{len(self.data)} bytes" if self.data is not None else f"not kept: {self.note}"
        return f"KeptFile({self.index}, {self.name!r}, {state})"


_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
