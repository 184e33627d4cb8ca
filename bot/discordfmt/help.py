"""``/help``: what Readalong does and its commands, from the command tree the bot really has."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.discordfmt.limits import EMBED_DESCRIPTION_LIMIT

EXAMPLES = {
    "ask": "/ask question:Who was prosecuted?",
    "archive search": "/archive search query:police",
    "archive show": "/archive show thread:#§1",
    "archive export": "/archive export article:the-lessons-of-zhanaozen format:html",
    "article import": "/article import file:(attach a .txt or .md file)",
    "article post": "/article post article:the-lessons-of-zhanaozen channel:#general pace:60",
    "article status": "/article status article:the-lessons-of-zhanaozen",
    "article delete": "/article delete article:the-lessons-of-zhanaozen archive:True",
    "feed follow": "/feed follow url:https://blog.example.org/ channel:#reading pace:60",
}
"""A typed example for the commands that take options worth showing; the article id is the
sample's, which `readalong sandbox` imports."""

INTRO = (
    "Readalong reads an article together with the server. An admin imports it and posts it in "
    "sections, paced if they like, each section a message with its own thread; the article's "
    "original comments come along under their authors' names. Reply in a section's thread to "
    "discuss it; `/ask` (or mentioning me in a thread) answers with exact quotes of the article; "
    "every discussion is archived, to search and export."
)


@dataclass(frozen=True, slots=True)
class CommandHelp:
    """One slash command as the tree has it."""

    name: str
    """Its full name, ``article post``."""
    description: str
    admin: bool
    """Only members with Manage Server see and may use it."""


def help_text(commands: Sequence[CommandHelp]) -> tuple[str, str]:
    """The title and description of ``/help``'s embed: the intro, then every command with its
    description and, where one helps, an example; members' commands first, then the admins'."""
    lines = [INTRO]
    for heading, admin in (("**For everyone**", False), ("**For admins** (Manage Server)", True)):
        listed = sorted((c for c in commands if c.admin is admin), key=lambda c: c.name)
        if not listed:
            continue
        lines.append("")
        lines.append(heading)
        for command in listed:
            example = EXAMPLES.get(command.name)
            lines.append(
                f"`/{command.name}`: {command.description}" + (f" · e.g. `{example}`" if example else "")
            )
    return "Readalong: read an article together", "\n".join(lines)[:EMBED_DESCRIPTION_LIMIT]
