"""Discord's attachment CDN as the sandbox serves it: signed links that expire.

Discord's API reference ("Signed Attachment CDN URLs") says attachment URLs carry ``ex`` (a hex
timestamp when the link expires), ``is`` (a hex timestamp when it was issued) and ``hm`` (a
signature valid until ``ex``), and that a payload the app receives (a fetched message) carries a
link that is valid then. The docs give no lifetime and no status for an expired link; what Discord
is seen to do is answer 404 with "This content is no longer available.", and that is what this
CDN does for an expired link, a wrong signature or a link without one. Links are issued and
expire by the world's clock (``WorldCore.clock``): a test that moves its clock on (the one it
gave the bot too) sees months pass without waiting.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

GONE = "This content is no longer available."
LIFETIME = 24 * 3600.0
"""How long a link lives (Discord's is not documented; a day is the shortest seen)."""


@dataclass
class Cdn:
    """Signs attachment paths and checks the signature and expiry of links it is asked for."""

    clock: Callable[[], dt.datetime] = field(repr=False)
    """The world's time: links are issued at it and expire by it."""
    lifetime: float = LIFETIME
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def now(self) -> float:
        """The CDN's clock (the world's), in Unix seconds."""
        return self.clock().timestamp()

    def _signature(self, path: str, expires: str, issued: str) -> str:
        return hmac.new(self.secret, f"{path}\n{expires}\n{issued}".encode(), hashlib.sha256).hexdigest()

    def sign(self, base_url: str, path: str) -> str:
        """A link to ``path`` valid for :attr:`lifetime` from now, as Discord writes them."""
        issued = int(self.now())
        ex, is_ = f"{issued + int(self.lifetime):x}", f"{issued:x}"
        return f"{base_url}{path}?ex={ex}&is={is_}&hm={self._signature(path, ex, is_)}&"

    def valid(self, path: str, query: Mapping[str, str]) -> bool:
        """Whether a link to ``path`` with this query is signed by this CDN and not expired."""
        ex, is_, hm = query.get("ex", ""), query.get("is", ""), query.get("hm", "")
        try:
            expires = int(ex, 16)
        except ValueError:
            return False
        return hmac.compare_digest(hm, self._signature(path, ex, is_)) and self.now() < expires

    def refreshed(self, base_url: str, message: dict[str, Any]) -> dict[str, Any]:
        """The message with its attachments' links signed afresh, as Discord gives a fetched message."""
        attachments = message.get("attachments") or []
        if not attachments:
            return message
        fresh = []
        for attachment in attachments:
            path = str(attachment["url"]).removeprefix(base_url).split("?", 1)[0]
            url = self.sign(base_url, path)
            fresh.append(attachment | {"url": url, "proxy_url": url})
        return message | {"attachments": fresh}
