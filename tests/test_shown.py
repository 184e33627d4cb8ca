"""Discord's inline markup as Discord shows it (issue 22, finding 5): one module for transcripts,
exports and the sandbox chat. Mentions become names (never ids), custom emoji ``:name:``, times
in UTC in an archive and as a client words them in the chat; code is left as written."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discordfmt.transcripts import transcript_lines
from bot.domain.message import StoredMessage
from bot.markup import neutralise
from bot.shown import Names, as_client, in_utc, mentioned, relative, shown
from tests.conftest import examples
from tests.messages import reader_message

NAMES = Names(users={11: "Ana", 12: "Ben"}, roles={21: "Readers"}, channels={31: "general"})
WHEN = 1_765_000_000  # 2025-12-06 05:46:40 UTC, a Saturday


def test_mentions_emoji_and_commands_show_as_names() -> None:
    text = "<@11> and <@!12> asked <@&21> in <#31>: <:blob:123> <a:wave:456> try </ask:789>"
    assert shown(text, NAMES) == "@Ana and @Ben asked @Readers in #general: :blob: :wave: try /ask"


def test_what_is_not_known_shows_as_discord_shows_it_never_an_id() -> None:
    assert shown("<@99> <@&98> <#97>", NAMES) == "@unknown-user @unknown-role #unknown-channel"


def test_times_in_an_archive_are_utc_in_every_style() -> None:
    shown_times = {style: shown(f"<t:{WHEN}:{style}>") for style in "tTdDfFsSR"}
    assert shown_times == {
        "t": "05:46 UTC",
        "T": "05:46:40 UTC",
        "d": "06/12/2025 UTC",
        "D": "6 December 2025 UTC",
        "f": "6 December 2025 05:46 UTC",
        "F": "Saturday, 6 December 2025 05:46 UTC",
        "s": "06/12/2025, 05:46 UTC",
        "S": "06/12/2025, 05:46:40 UTC",
        "R": "6 December 2025 05:46 UTC",  # read later: the moment, not "2 days ago"
    }
    assert shown(f"<t:{WHEN}>") == in_utc(WHEN, "f")


def test_a_client_shows_relative_times_relative_and_others_in_its_zone() -> None:
    now = dt.datetime.fromtimestamp(WHEN, dt.UTC)
    clock = as_client(now, dt.timezone(dt.timedelta(hours=5)))
    assert shown(f"<t:{WHEN + 300}:R> <t:{WHEN - 7200}:R>", clock=clock) == "in 5 minutes 2 hours ago"
    assert shown(f"<t:{WHEN}:t>", clock=clock) == "10:46"
    assert relative(dt.timedelta(days=-60)) == "2 months ago"
    assert relative(dt.timedelta(seconds=10)) == "in a few seconds"


def test_code_is_left_as_written() -> None:
    assert shown("`<@11>` and ```\n<#31>\n``` but <@11>", NAMES) == "`<@11>` and ```\n<#31>\n``` but @Ana"
    assert mentioned("`<@11>` <@12> <@&21> <#31>") == (frozenset({12}), frozenset({21}), frozenset({31}))


def test_a_name_like_a_mass_ping_stays_a_word() -> None:
    assert shown("<@5>", Names(users={5: "everyone"})) == "@\u200beveryone"


@settings(max_examples=examples(200))
@given(st.text(max_size=80))
def test_text_without_markup_is_unchanged(text: str) -> None:
    if "<" not in text:
        assert shown(text, NAMES) == text


def _message(mid: int, content: str, **more: object) -> StoredMessage:
    fields: dict[str, object] = {
        "parent_id": 3,
        "article_id": "zh",
        "section": 1,
        "author_id": 11,
        "author_name": "Ana",
    }
    return reader_message(mid, content, **{**fields, **more})


def test_a_transcript_shows_names_and_the_bots_answers_as_markdown() -> None:
    reader = _message(1, f"**hi** <@12>, see <#31> at <t:{WHEN}:R>")
    answer = _message(
        2,
        "**Q:** who?\n> police\n-# — [§2](https://discord.com/channels/1/2/3)",
        author_id=900,
        author_name="Readalong",
        author_bot=True,
        webhook_id=900,
    )
    first, second = transcript_lines([reader, answer], NAMES, frozenset({900}))
    # A reader's words as text (their markup escaped), mentions as names that ping no one.
    assert first.endswith(
        "\n"
        + neutralise("**hi** ")
        + "@"
        + neutralise("Ben")
        + neutralise(", see ")
        + "#general"
        + neutralise(" at 6 December 2025 05:46 UTC")
    )
    assert "<@" not in first and "‹@" not in first
    # The bot's own answer in the Markdown it was posted in, not escaped.
    assert second.endswith("\n**Q:** who?\n> police\n-# — [§2](https://discord.com/channels/1/2/3)")


def test_the_module_imports_nothing_of_the_bot_or_discord() -> None:
    """The sandbox's fake Discord draws with it, and must not import the bot it serves."""
    import ast
    from pathlib import Path

    import bot.shown

    tree = ast.parse(Path(bot.shown.__file__).read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {"__future__", "datetime", "re", "collections", "dataclasses"}, imported
