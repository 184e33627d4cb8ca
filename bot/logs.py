"""Logging, set up once, with every kind of token taken out of every line it writes.

discord.py logs the URL of each request at DEBUG, and webhook and interaction URLs carry their
tokens (``/webhooks/{id}/{token}``, ``/interactions/{id}/{token}/callback``): anyone with such a
line can post as the bot's webhook, or answer its interactions for 15 minutes. An exception's
text can carry them too. So the redaction is a formatter around each handler's own: it sees the
whole finished line, traceback included (discord.py's colour formatter writes the traceback
itself, after any filter has run), and it cannot be bypassed by a logger that has no filter.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

REDACTED = "[redacted]"
_TOKEN_PATTERNS = (
    # Group 1 is kept, the rest of the match goes.
    # Webhook tokens, which are also the tokens of interaction follow-ups (/webhooks/{app}/{token}).
    re.compile(r"(/webhooks/\d+/)[\w.-]+"),
    re.compile(r"(/interactions/\d+/)[\w.-]+"),
    # A payload's token field, as in a gateway INTERACTION_CREATE or a webhook object, dumped at DEBUG.
    re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]+"""),
    # A Discord bot token: base64 user id, timestamp and HMAC, dot-separated.
    re.compile(r"()[\w-]{23,28}\.[\w-]{6,7}\.[\w-]{27,}"),
    # The Authorization header's value, should a library ever print one.
    re.compile(r"((?:Bot|Bearer) )[\w.-]{8,}"),
    # OpenAI-style API keys.
    re.compile(r"()\bsk-[\w-]{8,}"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with tokens of every kind, and each of ``secrets``, replaced by ``[redacted]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + REDACTED, text)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats with the handler's own formatter, then redacts the finished line."""

    def __init__(self, inner: logging.Formatter | None, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._inner = inner or logging.Formatter()
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        """Format as the inner formatter does, then replace every token-like string and each known secret with
        ``[redacted]``."""
        return redact(self._inner.format(record), self._secrets)


class _DiscordsFormatter(logging.Formatter):
    """The formatter discord.utils.setup_logging gives ``handler`` (colour on a terminal, plain
    otherwise), chosen when the first line is written: importing discord.py costs a quarter of a
    second of CPU, and the commands that log only warnings (``list``, ``ask``...) mostly write none."""

    def __init__(self, handler: logging.Handler) -> None:
        super().__init__()
        self._handler = handler
        self._chosen: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        """Format as discord.py's own formatter for this handler would."""
        if self._chosen is None:
            self._chosen = _discords_choice(self._handler)
        return self._chosen.format(record)


def _discords_choice(handler: logging.Handler) -> logging.Formatter:
    """discord.py's formatter for a handler like ``handler``, asked of discord.utils.setup_logging
    itself (on a stand-in handler, removed again) rather than copied from it."""
    import discord.utils

    root = logging.getLogger()
    stand_in: logging.Handler = (
        logging.StreamHandler(handler.stream)
        if isinstance(handler, logging.StreamHandler)
        else logging.NullHandler()
    )
    discord.utils.setup_logging(level=root.level, handler=stand_in)
    root.removeHandler(stand_in)
    return stand_in.formatter or logging.Formatter()


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler :func:`setup_logging` installs, told apart from others so it is installed once.
    It writes to whatever ``sys.stderr`` is when a line is written (as logging's own last-resort
    handler does), not the stream of the moment it was made: a process that swaps its standard
    error (the tests' capture, a daemon) would otherwise write to a closed file."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        """StreamHandler's constructor sets a stream; the current standard error is always used."""


def setup_logging(level: int, *, secrets: Iterable[str] = (), handler: logging.Handler | None = None) -> None:
    """discord.py's logging set-up (one handler on the root logger, colour on a terminal), with
    every root handler's output redacted. ``secrets`` are the configured token and keys. Called
    again in the same process (the tests run ``main()`` many times), it replaces its handler, on
    the current standard error, instead of printing every line twice."""
    root = logging.getLogger()
    for installed in [h for h in root.handlers if isinstance(h, _StandardError)]:
        root.removeHandler(installed)
    # What discord.utils.setup_logging does, with its formatter chosen when the first line is written.
    handler = handler or _StandardError()
    handler.setFormatter(_DiscordsFormatter(handler))
    root.setLevel(level)
    root.addHandler(handler)
    kept = tuple(secrets)
    for each in root.handlers:
        if not isinstance(each.formatter, RedactingFormatter):
            each.setFormatter(RedactingFormatter(each.formatter, kept))
