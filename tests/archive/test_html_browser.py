"""The HTML export as a reader sees it, in a real browser: Playwright driving the system's
Chromium (Debian's ``chromium`` package; ``.ci/run`` installs it). Headings, a contents list whose
links jump, Markdown links as links, no script run from anything a reader wrote, nothing fetched
from elsewhere, readable on a phone; a screenshot is saved. Skipped, saying why, only where no
browser can be had."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.articles import Article
from bot.cli import main
from bot.discordfmt.posting import section_label
from bot.store import Store
from tests.archive.test_export import CHANNEL, THREAD_1, message

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog, Page

HOSTILE = [
    "<script>window.pwned = 1</script>",
    '<img src=x onerror="window.pwned = 2">',
    "[x](javascript:window.pwned=3)",
    '<a href="javascript:window.pwned=4">click</a> and [y](JaVaScRiPt:window.pwned=5)',
]
"""What a reader may type, each a classic way into a page: all of it must stay text."""
LINKED = "See [the trial](https://example.org/trial) and https://example.org/bare for **more**."


def browser_path() -> str | None:
    """The Chromium to drive: ``READALONG_CHROMIUM`` if set, else the system's."""
    for candidate in (os.environ.get("READALONG_CHROMIUM"), "chromium", "chromium-browser"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="module")
def browser(pages: Path) -> Iterator[Browser]:
    """Chromium, started after the pages are written (Playwright's sync API keeps an event loop
    running in this thread while it is open)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[dev]'")
    path = browser_path()
    if path is None:
        if os.environ.get("CI"):  # .ci/run installs it: missing there is a failure, not a skip
            pytest.fail("no Chromium in CI: .ci/run should have installed it (apt-get install -y chromium)")
        pytest.skip("no Chromium here: apt-get install -y chromium (.ci/run installs it)")
    with sync_playwright() as playwright:
        # --no-sandbox: Chromium's own sandbox cannot start as root, as CI runs.
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory, sample_article: Article) -> Path:
    """``readalong export --all -o DIR`` of a store holding the sample article, a discussion with
    Markdown, and the hostile messages."""
    folder = tmp_path_factory.mktemp("export")
    db = folder / "r.db"

    async def fill() -> None:
        article = sample_article
        async with Store(db) as store:
            await store.articles.add(article, "zh")
            rows = [
                message(1001, CHANNEL, 1, "Readalong", "**§1/6 · It is now**", author_bot=True),
                message(1002, THREAD_1, 1, "ana", LINKED),
                *(
                    message(1003 + n, THREAD_1, 1, "mallory", text, reply_to=1002)
                    for n, text in enumerate(HOSTILE)
                ),
            ]
            for row in rows:
                assert await store.messages.record(row)

    asyncio.run(fill())
    out = folder / "site"
    assert main(["--db", str(db), "export", "--all", "-o", str(out)]) == 0
    return out


def open_page(browser: Browser, url: str, *, width: int = 1200, height: int = 800) -> tuple[Page, list[str]]:
    """A fresh page at ``url``; every request it makes and every dialog it opens is recorded."""
    page = browser.new_page(viewport={"width": width, "height": height})
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))

    def on_dialog(dialog: Dialog) -> None:
        seen.append(f"dialog:{dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(url)
    return page, seen


def test_a_reader_sees_headings_and_a_contents_list_that_jumps(
    browser: Browser, pages: Path, sample_article: Article
) -> None:
    article = sample_article
    page, seen = open_page(browser, (pages / "zh.html").as_uri())
    assert page.locator("h1").inner_text() == article.display_title
    headings = page.locator("section.part > h2").all_inner_texts()
    # Each section's heading carries its title (its heading, else its first words), as its
    # contents entry and its thread on Discord do: not a bare "§1/6" (issue 22).
    assert headings == [
        *(section_label(article, s) for s in article.sections),
        "About the author",
        "Comments",
    ]
    toc = page.locator("nav.toc a")
    assert toc.all_inner_texts() == [
        *(section_label(article, s) for s in article.sections),
        "About the author",
        "Comments",
    ]
    assert page.evaluate("window.scrollY") == 0
    toc.nth(3).click()
    page.wait_for_function("location.hash === '#s4'")
    assert page.evaluate("window.scrollY") > 0
    top = page.evaluate("document.getElementById('s4').getBoundingClientRect().top")
    assert -2 <= top <= 20, top  # §4 is at the top of the window
    assert page.evaluate("document.querySelector(':target').id") == "s4"
    assert all(url.startswith("file://") for url in seen), seen  # nothing fetched from elsewhere
    page.close()


def test_a_readers_message_runs_no_script_and_links_stay_links(browser: Browser, pages: Path) -> None:
    page, seen = open_page(browser, (pages / "zh.html").as_uri())
    would_be = page.locator("#m1005 p")
    assert would_be.inner_text() == "[x](javascript:window.pwned=3)"  # shown as typed, not a link
    would_be.click()
    page.locator("#m1006 p").click()
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert not [url for url in seen if not url.startswith("file://")], seen  # no dialog, no request
    assert page.locator("#m1003").inner_text().endswith("<script>window.pwned = 1</script>")
    assert '<img src=x onerror="window.pwned = 2">' in page.locator("#m1004").inner_text()
    assert page.locator("img").count() == 0 and page.locator("script").count() == 0
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if not h.startswith(("https://", "#", "mailto:"))], hrefs
    ana = page.locator("#m1002")
    assert ana.get_by_role("link", name="the trial").get_attribute("href") == "https://example.org/trial"
    assert ana.get_by_role("link", name="https://example.org/bare").count() == 1
    assert ana.locator("strong").inner_text() == "more"
    jump = page.locator("#m1002 > a.jump").get_attribute("href")
    assert jump == f"https://discord.com/channels/1/{THREAD_1}/1002"
    page.close()


def test_readable_on_a_phone_with_a_screenshot(browser: Browser, pages: Path, tmp_path: Path) -> None:
    page, _ = open_page(browser, (pages / "zh.html").as_uri(), width=390, height=844)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 15
    shot = tmp_path / "export-phone.png"
    page.screenshot(path=str(shot), full_page=False)
    assert shot.read_bytes().startswith(b"\x89PNG")
    page.close()


def test_the_index_page_links_each_article(browser: Browser, pages: Path) -> None:
    assert sorted(p.name for p in pages.iterdir()) == ["index.html", "zh.html"]
    page, _ = open_page(browser, (pages / "index.html").as_uri())
    assert page.locator("h1").inner_text() == "Readalong archive"
    page.get_by_role("link", name="The Lessons of Zhanaozen").click()
    page.wait_for_url("**/zh.html")
    assert page.locator("h1").inner_text() == "The Lessons of Zhanaozen"
    page.close()
