"""Discord's attachment CDN as the sandbox serves it: signed links that expire.

Discord's API reference ("Signed Attachment CDN URLs") says attachment URLs carry ``ex`` (a hex
timestamp when the link expires), ``is`` (a hex timestamp when it was issued) and ``hm`` (a
signature valid until ``ex``), and that a payload the app receives (a fetched message) carries a
link that is valid then. The docs give no lifetime and no status for an expired link; what Discord
is seen to do is answer 404 with "This content is no longer available.", and that is what this
CDN does for an expired link, a wrong signature or a link without one. The clock can be moved on
(:meth:`Cdn.advance`) so a test sees months pass without waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GONE = "This content is no longer available."
LIFETIME = 24 * 3600.0
"""How long a link lives (Discord's is not documented; a day is the shortest seen)."""


@dataclass
class Cdn:
    """Signs attachment paths and checks the signature and expiry of links it is asked for."""

    lifetime: float = LIFETIME
    skew: float = 0.0
    """Seconds the CDN's clock is ahead of the real one (:meth:`advance`)."""
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    def now(self) -> float:
        """The CDN's clock (the real one, moved on by :meth:`advance`)."""
        return time.time() + self.skew

    def advance(self, seconds: float) -> None:
        """Move the CDN's clock on: links issued before expire as if that time had passed."""
        self.skew += seconds

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
