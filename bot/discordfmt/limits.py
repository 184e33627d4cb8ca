"""Discord's limits on what the bot sends, named once."""

from __future__ import annotations

MESSAGE_LIMIT = 2000
"""Characters in a message's content."""

PAGE_LIMIT = 1900
"""A page of a paged reply: under :data:`MESSAGE_LIMIT`, with room for the page footer."""

THREAD_NAME_LIMIT = 100
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
WEBHOOK_NAME_LIMIT = 80
