"""Issue 21, findings 2 and 3: a deleted message shows nothing of itself anywhere the archive is
read back (a transcript's reply snippet, every export format's body, attachments, embeds and
reply context), whatever its kind or author. One rule decides it: ``bot.domain.message.as_shown``."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.archive.export.common import ExportContext
from bot.archive.export.dce import to_dce
from bot.archive.export.html import to_html
from bot.archive.export.markdown import to_markdown
from bot.articles import Article
from bot.discordfmt.transcripts import transcript_lines
from bot.domain.message import StoredMessage
from tests.archive.test_export import CHANNEL, THREAD_1, message

DELETED_AT = "2026-11-20T12:00:00+00:00"
WORDS = "Mango committee minutes are in the attached file"
FILE = "mango-minutes-secret.pdf"
LINK = "https://cdn.example/attachments/mango-minutes-secret.pdf"
EMBED = "Mango embed description"
SECRETS = ("Mango", "mango", FILE, LINK)


@pytest.fixture
def article(sample_article: Article) -> Article:
    return sample_article


def _discussion(*, author_bot: bool = False, webhook_id: int | None = None) -> list[StoredMessage]:
    """Cat's message with a file and an embed, deleted; Dan's reply to it, standing."""
    return [
        message(
            2001,
            THREAD_1,
            1,
            "Cat",
            WORDS,
            attachments=((FILE, LINK, 1234),),
            embeds=EMBED,
            deleted_at=DELETED_AT,
            author_bot=author_bot,
            webhook_id=webhook_id,
        ),
        message(2002, THREAD_1, 1, "Dan", "I read it and disagree.", reply_to=2001),
    ]


def test_a_reply_to_a_deleted_message_quotes_nothing_of_it() -> None:
    blocks = transcript_lines(_discussion())
    joined = "\n\n".join(blocks)
    assert "↪ replying to Cat: *(deleted)*" in blocks[1]
    assert "I read it and disagree." in blocks[1]  # control: the standing reply shows
    assert not any(secret in joined for secret in SECRETS), joined


def test_a_reply_to_a_standing_message_quotes_its_opening() -> None:
    """Control: the snippet shows a standing message's words (so the test above tests the deletion)."""
    standing = [
        message(2001, THREAD_1, 1, "Cat", WORDS),
        message(2002, THREAD_1, 1, "Dan", "ok", reply_to=2001),
    ]
    assert "↪ replying to Cat: Mango committee" in transcript_lines(standing)[1]


def _exports(article: Article, messages: list[StoredMessage]) -> dict[str, str]:
    files = to_dce(article, messages, ExportContext(guild_id=1), exported_at="2026-11-21T00:00:00+00:00")
    return {"markdown": to_markdown(article, messages), "html": to_html(article, messages), **files}


@pytest.mark.parametrize(
    ("author_bot", "webhook_id"), [(False, None), (True, None), (True, 42)], ids=["reader", "bot", "webhook"]
)
def test_no_export_keeps_a_deleted_messages_words_files_or_embeds(
    article: Article, author_bot: bool, webhook_id: int | None
) -> None:
    messages = _discussion(author_bot=author_bot, webhook_id=webhook_id)
    for name, text in _exports(article, messages).items():
        assert not any(secret in text for secret in SECRETS), (name, [s for s in SECRETS if s in text])
    # Control: before the deletion the JSON shows the file and embed (a bot's or webhook's
    # message is in the JSON only); Markdown and HTML show a reader's words and file.
    standing = [dataclasses.replace(m, deleted_at=None) for m in messages]
    shown = _exports(article, standing)
    if not author_bot:
        assert FILE in shown["html"] and WORDS in shown["markdown"]
    dce = next(json.loads(t) for n, t in shown.items() if f"[{THREAD_1}]" in n)
    assert dce["messages"][0]["attachments"][0]["fileName"] == FILE and dce["messages"][0]["embeds"]


def test_the_json_export_keeps_a_deleted_message_as_deleted_with_its_reply_reference(
    article: Article,
) -> None:
    files = _exports(article, _discussion())
    dce = next(json.loads(t) for n, t in files.items() if f"[{THREAD_1}]" in n)
    gone, reply = dce["messages"]
    assert (gone["id"], gone["content"], gone["attachments"], gone["embeds"]) == ("2001", "", [], [])
    assert reply["reference"]["messageId"] == "2001" and CHANNEL != THREAD_1
