"""``/article import url:`` through the sandbox with the real bot (issue 23): a real WordPress page,
served by a local server under its own name with the address guard on, imports with its comments and
posts with them; a refusal is one line and imports nothing; the same page again is already there."""

from __future__ import annotations

import json

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from bot.services.webfetch import Fetcher
from tests.articles.test_web_pages import LEMIRE
from tests.articles.web_server import page, serving


async def test_import_by_url_then_post_with_its_comments(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot
) -> None:
    cog = bot.get_cog("Reading")  # loaded as an extension: its own module object, not cogs.reading's
    assert cog is not None and isinstance(cog.fetcher, Fetcher)  # type: ignore[attr-defined]
    assert not cog.fetcher.allow_private  # type: ignore[attr-defined]  # the guard is on: the sites below "resolve" to a public address
    async with serving() as site:
        cog.fetcher = Fetcher(resolve=site.resolve, tls=site.client_tls)  # type: ignore[attr-defined]
        site.html(
            "lemire.me",
            "/blog/2019/08/02/json-parsing-simdjson-vs-json-for-modern-c/",
            page("lemire.me.json.html"),
        )

        refused = await sandbox.run_command(
            "ada", "general", "article import", {"url": "http://10.0.0.8/post"}
        )
        assert refused.ephemeral and refused.messages
        last = str(refused.messages[-1]["content"])
        assert last == "10.0.0.8/post: is a private address (10.0.0.8); only public web addresses are fetched"
        missing = await sandbox.run_command(
            "ada", "general", "article import", {"url": "https://lemire.me/no-such-post/"}
        )
        assert (
            str(missing.messages[-1]["content"])
            == "lemire.me/no-such-post/: not found (HTTP 404); check the address"
        )
        both = await sandbox.run_command(
            "ada", "general", "article import", {"url": LEMIRE, "file": ("a.md", b"# A\n\nB.\n")}
        )
        assert "not both" in str(both.messages[-1]["content"])
        assert await bot.store.articles.list() == []

        imported = await sandbox.run_command("ada", "general", "article import", {"url": LEMIRE})
        assert not imported.failed and imported.ephemeral
        # The deferred answer showed the progress ("fetching…", "found 5 comments…"), then the summary.
        assert imported.messages[0]["content"] == "found 5 comments…"
        said = "\n".join(str(m.get("content")) for m in imported.messages)
        slug = "json-parsing-simdjson-vs-json-for-modern-c"
        assert "Imported **JSON parsing: simdjson vs. JSON for Modern C++** by Daniel Lemire" in said
        assert "5 comments" in said and f"`/article post article:{slug} channel:#general`" in said
        again = await sandbox.run_command("ada", "general", "article import", {"url": LEMIRE})
        assert "is already here" in str(again.messages[-1]["content"])
        [listed] = await bot.store.articles.list()
        article = await bot.store.articles.get(listed.id)
        assert article.url == LEMIRE and [c.reply_to for c in article.comments] == [None, None, 2, None, 4]

    await sandbox.run_command("ada", "general", "article post", {"article": slug, "channel": "general"})
    await sandbox.wait_until(
        lambda: any("Comments" in str(t.get("name")) for t in sandbox.threads("general")), within=30
    )
    await sandbox.wait_idle()
    comments_thread = next(t for t in sandbox.threads("general") if "Comments" in str(t.get("name")))
    await sandbox.wait_until(lambda: len(sandbox.messages(comments_thread["id"])) >= 5, within=30)
    posted = [str(m.get("content")) for m in sandbox.messages(comments_thread["id"])]
    assert any("vcpkg has simdjson in its repo" in text for text in posted)
    assert any(
        "replying to" in text and "We are working toward releasing version 0.2" in text for text in posted
    )
    intro = json.dumps(sandbox.messages("general"))  # the intro's Source field links the page
    assert f"({LEMIRE})" in intro
