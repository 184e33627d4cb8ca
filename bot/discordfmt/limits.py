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

LISTING_PAGE_LIMIT = 1800
"""A page of a listing under a header line (threads, search results): room for the header too."""
CHOICES_LIMIT = 25
"""Autocomplete choices, and the rows of a list shown in one message."""
CHOICE_NAME_LIMIT = 100
"""Characters in an autocomplete choice's name."""
