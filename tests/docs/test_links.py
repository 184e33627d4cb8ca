"""Every relative link of the README, the changelog and ``docs/`` leads somewhere: the file is
there, and an ``#anchor`` is a heading of the page it points into (issue 22)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.docs.markdown import PAGES, ROOT, anchors, links


def broken_links(page: Path) -> list[str]:
    """What is wrong with each relative link of ``page``, one line each."""
    wrong = []
    for target in links(page):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        path, _, anchor = unquote(target).partition("#")
        into = (page.parent / path).resolve() if path else page
        if not into.exists():
            wrong.append(f"{target}: no such file")
        elif anchor and into.suffix == ".md" and anchor not in anchors(into):
            wrong.append(f"{target}: no heading makes #{anchor}")
    return wrong


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(page: Path) -> None:
    assert broken_links(page) == []


def test_the_pages_link_to_something_and_a_broken_link_is_seen(tmp_path: Path) -> None:
    # The check sees what it looks for: the README links into docs/ with anchors...
    readme = links(ROOT / "README.md")
    assert any("docs/operators.md#" in target for target in readme)
    assert "docs/images/chat.png" in readme and "docs/images/export.png" in readme
    # ...and a page with a missing file, a missing heading and a link in code is read as such.
    page = tmp_path / "page.md"
    (tmp_path / "there.md").write_text("# Where the data is\n\n## Where the data is\n", encoding="utf-8")
    page.write_text(
        "# Top\n\n[a](there.md#where-the-data-is-1) [b](gone.md) [c](there.md#nowhere) [d](#top)"
        " `[e](in-code.md)` [f](https://example.org/x)\n\n```\n[g](in-block.md)\n```\n",
        encoding="utf-8",
    )
    assert broken_links(page) == ["gone.md: no such file", "there.md#nowhere: no heading makes #nowhere"]


def test_headings_make_githubs_anchors() -> None:
    assert {"who-sees-what-the-trust-model", "the-server"} <= anchors(ROOT / "docs" / "trust.md") | anchors(
        ROOT / "docs" / "sandbox.md"
    )
    assert "semantic-retrieval-optional" in anchors(ROOT / "docs" / "operators.md")
