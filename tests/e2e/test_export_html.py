"""``/archive export format:html`` of a discussion recorded through the sandbox: every section,
reader's message and original comment linked to where it is on Discord, a contents list, and a
reader's Markdown rendered while their HTML stays text."""

from __future__ import annotations

import html.parser
import re
from pathlib import Path

from bot.discord.client import ReadalongBot
from bot.sandbox import Sandbox, Seed
from tests.e2e.conftest import wait_archived
from tests.e2e.test_archive import ARTICLE, post_sample

JUMP = re.compile(r"^https://discord\.com/channels/(\d+)/(\d+)/(\d+)$")


class Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (class, href)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "a":
            self.links.append((found.get("class") or "", found.get("href") or ""))


async def test_every_message_links_to_discord(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    threads = sandbox.threads("general")
    sent = [
        sandbox.send("ben", threads[0], "See [the report](https://example.org/report) <b>now</b>"),
        sandbox.send("ada", threads[1], "<script>alert(1)</script> [x](javascript:alert(1))"),
    ]
    await sandbox.wait_idle()
    await wait_archived(bot, *sent)
    result = await sandbox.run_command(
        "ada", "general", "archive export", {"article": ARTICLE, "format": "html"}
    )
    (attachment,) = result.messages[0]["attachments"]
    assert attachment["filename"] == f"{ARTICLE}.html"
    text = sandbox.world.file_at(attachment["url"]).decode()
    page = Page()
    page.feed(text)
    jumps = [JUMP.match(href) for kind, href in page.links if kind == "jump"]
    linked = {(m.group(2), m.group(3)) for m in jumps if m is not None and m.group(1) == seed.guild_id}
    assert len(linked) == len(jumps)  # every "on Discord" link is a message of this server
    for message in sent:
        assert (message["channel_id"], message["id"]) in linked
    sections = [m for m in sandbox.messages("general") if m["content"].startswith("**§")]
    assert sections and all((seed.general_id, m["id"]) in linked for m in sections)
    comments = next(t for t in threads if t["name"].startswith("Comments:"))
    posted_comments = [m for m in sandbox.messages(comments["id"]) if m.get("webhook_id")]
    assert posted_comments and all((comments["id"], m["id"]) in linked for m in posted_comments)
    assert ("", "https://example.org/report") in [(k.split()[0] if k else "", h) for k, h in page.links]
    assert "script" not in page.tags and "javascript:" not in "".join(h for _, h in page.links)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;b&gt;now&lt;/b&gt;" in text
    toc = [href for _, href in page.links if href.startswith("#")]
    assert toc[:2] == ["#s1", "#s2"] and "#comments" in toc
