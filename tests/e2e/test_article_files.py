"""Articles in (issue 15), through the sandbox with the real bot: a Markdown file's front matter
is read, never posted; bad front matter is refused in one line and imports nothing."""

from __future__ import annotations

from bot.discord.client import ReadalongBot
from bot.domain.viewer import Viewer
from bot.sandbox import Sandbox, Seed

GOOD = b"""---
title: Oil Town Notes
author: Jane Roe
date: 2024-05-01
url: https://example.org/oil-town-notes
---

The strike began in May.

## Afterwards

The trials followed.
"""
BAD = b"---\ntitle: Broken Notes\ndate: 2024-13-40\n---\n\nBody.\n"


async def test_front_matter_is_read_and_bad_front_matter_imports_nothing(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    refused = await sandbox.run_command("ada", "general", "article import", {"file": ("broken.md", BAD)})
    assert refused.ephemeral and refused.text.count("\n") == 0
    assert "broken.md: front matter holds an impossible value" in refused.text
    assert await bot.store.articles.list() == []

    imported = await sandbox.run_command("ada", "general", "article import", {"file": ("notes.md", GOOD)})
    assert not imported.failed and "oil-town-notes" in imported.text
    article = await bot.store.articles.get("oil-town-notes")
    assert (article.title, article.author, article.url) == (
        "Oil Town Notes",
        "Jane Roe",
        "https://example.org/oil-town-notes",
    )
    assert article.published is not None and article.published.isoformat() == "2024-05-01"
    await sandbox.run_command("ada", "general", "article post", {"article": article.id, "channel": "general"})
    await sandbox.wait_until(lambda: len(sandbox.threads("general")) >= 2, within=30)
    await sandbox.wait_idle()
    posted = "\n".join(str(m.get("content")) for m in sandbox.messages("general"))
    posted += "\n".join(
        str(m.get("content")) for t in sandbox.threads("general") for m in sandbox.messages(t["id"])
    )
    assert "The strike began in May." in posted
    for never in ("---", "title:", "date: 2024", "url: https"):
        assert never not in posted
    assert [m.article_id for m in await bot.store.messages.in_article(article.id, Viewer.operator())]
