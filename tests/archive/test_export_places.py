"""Every export says where each thread and message was, with names from what the store knows
(issue 22, findings 3 and 4): the sample posted twice, in a text channel and in a forum; a
section thread holding an ``/ask`` answer (a webhook's message, as every interaction reply is)
is still that section's thread, a forum post is named as posted, two postings' threads of one
section are two discussions each saying its channel, and the index counts what the page shows.
Mentions, custom emoji and times come out as Discord shows them (finding 5)."""

from __future__ import annotations

import asyncio
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from bot.archive.export.dce import DCE_EXTRAS
from bot.articles import Article
from bot.cli import main
from bot.discordfmt.posting import comments_thread_name, section_label
from bot.domain.database import Database
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.services import export as export_service
from bot.store import Store
from tests.archive.dce_reader import read_dce
from tests.conftest import both_backends, db_argument
from tests.messages import reader_message
from tests.postings import record_posting

pytestmark = both_backends

GUILD, GENERAL, FORUM, BOT, ANA, BEN = 1, 500, 600, 900, 7001, 7002
SECTION_THREAD, COMMENTS_THREAD, FORUM_INTRO, FORUM_SECTION = 501, 509, 610, 611
AT = "2026-12-06T22:00:00+00:00"
WHEN = 1_765_000_000  # 2025-12-06 05:46:40 UTC


def said(
    mid: int,
    channel: int,
    parent: int | None,
    section: int | None,
    author: int,
    name: str,
    text: str,
    **more: object,
) -> StoredMessage:
    return reader_message(
        mid,
        text,
        guild_id=GUILD,
        channel_id=channel,
        parent_id=parent,
        article_id="zh",
        section=section,
        author_id=author,
        author_name=name,
        created_at=f"2026-12-01T10:{mid % 60:02d}:00+00:00",
        **more,
    )


async def _posted(store: Store, article: Article, channel: int, kind: str, threads: dict[str, int]) -> None:
    """A posting of the article in ``channel`` whose first items went out: the intro (a forum's
    opens a post), §1 (its thread or post), and the comments thread."""
    posting = await record_posting(
        store, article, guild_id=GUILD, channel_id=channel, channel_kind=kind, with_comments=True
    )
    for item in await store.postings.items(posting.id):
        key = item.kind if item.kind != "section" else f"section {item.section}"
        if key not in threads:
            continue
        thread = threads[key]
        message = thread * 10
        await store.postings.record_message(
            posting.id, item.seq, message, thread if kind == "forum" else channel
        )
        await store.postings.mark_done(posting.id, item.seq, thread)


@pytest.fixture
async def posted_twice(database: Database, sample_article: Article) -> tuple[Database, Article]:
    async with Store(database) as store:
        article = await store.articles.add(sample_article, "zh")
        await _posted(
            store, article, GENERAL, "text", {"section 1": SECTION_THREAD, "comments": COMMENTS_THREAD}
        )
        await _posted(store, article, FORUM, "forum", {"intro": FORUM_INTRO, "section 1": FORUM_SECTION})
        rows = [
            said(
                1001,
                SECTION_THREAD,
                GENERAL,
                1,
                ANA,
                "Ana",
                f"Who decided? <@{BEN}> said it at <t:{WHEN}:R> <:blob:12345>",
            ),
            said(1002, SECTION_THREAD, GENERAL, 1, BEN, "Ben", f"<@{BOT}> who was prosecuted?", to_bot=True),
            # The /ask answer: the bot's reply through the interaction's webhook.
            replace(
                said(
                    1003,
                    SECTION_THREAD,
                    GENERAL,
                    1,
                    BOT,
                    "Readalong",
                    "**Q:** who was prosecuted?\n> police\n-# — §2",
                ),
                author_bot=True,
                webhook_id=BOT,
            ),
            said(
                1004,
                FORUM_SECTION,
                FORUM,
                1,
                ANA,
                "Ana",
                f"In the forum too, <@{ANA}> and <@{BOT + 5}> and <@&77>",
            ),
            said(1005, COMMENTS_THREAD, GENERAL, None, BEN, "Ben", "A comment of mine"),
            said(1006, GENERAL, None, None, ANA, "Ana", "in the channel itself"),
        ]
        for row in rows:
            assert await store.messages.record(row)
    return database, article


async def _export(
    database: Database, format: export_service.ExportFormat, **discord: object
) -> export_service.Export:
    async with Store(database) as store:
        return await export_service.export_article(
            store,
            Viewer.operator(),
            "zh",
            format,
            exported_at=AT,
            **discord,  # type: ignore[arg-type]
        )


def _labels(article: Article) -> tuple[str, str]:
    return section_label(article, article.sections[0]), comments_thread_name(article)


async def test_json_names_every_thread_from_the_store_and_says_its_channel(
    posted_twice: tuple[Database, Article], tmp_path: Path
) -> None:
    database, article = posted_twice
    section, comments = _labels(article)
    out = tmp_path / "zh.zip"
    # The shell's JSON export: no Discord to ask for names.
    arguments = ["--db", db_argument(database), "export", "zh", "--format", "json", "-o", str(out)]
    assert await asyncio.to_thread(main, arguments) == 0
    exported = read_dce(out.read_bytes())
    channels = {d["channel"]["id"]: d["channel"] for d in exported.channels}
    assert channels[str(SECTION_THREAD)]["name"] == section  # not the comments thread's name
    assert channels[str(FORUM_SECTION)]["name"] == section  # a forum post as posted, not "thread 611"
    assert channels[str(COMMENTS_THREAD)]["name"] == comments
    assert channels[str(SECTION_THREAD)]["category"] == f"channel {GENERAL}"
    assert channels[str(FORUM_SECTION)]["category"] == f"forum {FORUM}"
    with zipfile.ZipFile(out) as archive:
        file_names = archive.namelist()
    assert not [n for n in file_names if re.search(r"(thread|Comments_ .*) \[(501|611)\]", n)], file_names
    files = {f["channelId"]: f for f in exported.others[DCE_EXTRAS]["readalong"]["files"]}
    assert (
        files[str(SECTION_THREAD)]["kind"] == "section thread" and files[str(SECTION_THREAD)]["section"] == 1
    )
    assert files[str(FORUM_SECTION)]["kind"] == "section post"
    assert files[str(FORUM_SECTION)]["channel"] == {"id": str(FORUM), "name": f"forum {FORUM}"}
    assert files[str(GENERAL)]["kind"] == "channel" and files[str(GENERAL)]["place"] == f"#channel {GENERAL}"
    # Mentions as names (an author the archive knows; others as Discord shows them), emoji, time.
    content = {m["id"]: m for m in exported.messages()}
    assert content["1001"]["content"] == "Who decided? @Ben said it at 6 December 2025 05:46 UTC :blob:"
    assert content["1001"]["mentions"][0]["name"] == "Ben"
    assert content["1004"]["content"] == "In the forum too, @Ana and @unknown-user and @unknown-role"

    # On Discord the channels' names are known: the same files say #general and #reading.
    on_discord = await _export(database, "json", channel_names={GENERAL: "general", FORUM: "reading"})
    files = {f["channelId"]: f for f in json.loads(on_discord.files[DCE_EXTRAS])["readalong"]["files"]}
    assert files[str(SECTION_THREAD)]["place"] == f"#general › {section}"
    assert files[str(FORUM_SECTION)]["place"] == f"#reading › {section}"
    assert on_discord.summary == f"{len(on_discord.messages)} messages in {len(on_discord.files) - 1} files"


async def test_markdown_and_html_keep_two_postings_apart_and_say_where(
    posted_twice: tuple[Database, Article],
) -> None:
    database, article = posted_twice
    section, comments = _labels(article)
    names = {GENERAL: "general", FORUM: "reading"}
    markdown = (await _export(database, "markdown", channel_names=names)).files["zh.md"]
    assert f"## {section}\n" in markdown
    in_channel = markdown.index(f"### Discussion of §1 in #general › {section}")
    in_forum = markdown.index(f"### Discussion of §1 in #reading › {section}")
    assert in_channel < markdown.index("Who decided?") < in_forum < markdown.index("In the forum too")
    assert f"*In #general › {comments}:*" in markdown and "*In #general:*" in markdown
    assert "*Discussed in #general, #reading (forum).*" in markdown
    assert "@Ben said it at 6 December 2025 05:46 UTC :blob:" in markdown and "<@" not in markdown
    assert "**Q:** who was prosecuted?" not in markdown  # the answer is the bot's, not a reader's

    exported = await _export(database, "html", channel_names=names)
    page = exported.files["zh.html"]
    assert f"<h2>{section}</h2>" in page.replace("&#x27;", "'")
    assert f"<h3>Discussion in #general › {section}</h3>" in page.replace("&#x27;", "'")
    assert f"<h3>Discussion in #reading › {section}</h3>" in page.replace("&#x27;", "'")
    assert "@Ben said it at 6 December 2025 05:46 UTC :blob:" in page and "&lt;@" not in page
    # The summary (the reply to /archive export, the index's line) counts what the page shows.
    shown = len(re.findall(r'<div class="msg" id="m\d+"', page))
    originals = page.count('<div class="msg original"')
    assert shown == 5 and originals == len(article.comments)
    assert exported.summary == f"{shown} messages from readers, {originals} original comments"


async def test_the_index_counts_what_each_page_shows(posted_twice: tuple[Database, Article]) -> None:
    database, _ = posted_twice
    async with Store(database) as store:
        pages = await export_service.export_all(store, exported_at=AT)
    page = pages["zh.html"]
    shown = len(re.findall(r'<div class="msg" id="m\d+"', page))
    assert f"{shown} messages from readers" in pages["index.html"]
