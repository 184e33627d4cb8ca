"""One export sequence (issue 24, item 4): ``readalong export --all`` writes each article's page
with the same service call as ``readalong export --format html`` and ``/archive export``, so the
page of an article is the same file whichever way it was asked for."""

from __future__ import annotations

from pathlib import Path

from bot.articles import parse_article
from bot.articles.parse import read_article_file
from bot.domain.viewer import Viewer
from bot.services import export as export_service
from bot.services.articles import import_article
from bot.store import Store

AT = "2026-01-02T03:04:05+00:00"


async def test_export_all_pages_are_the_single_exports(tmp_path: Path, sample_path: Path) -> None:
    async with Store(tmp_path / "r.db") as store:
        article = parse_article(read_article_file(sample_path), source=sample_path.name)
        stored = (await import_article(store, article)).article
        pages = await export_service.export_all(store, exported_at=AT)
        one = await export_service.export_article(store, Viewer.operator(), stored.id, "html", exported_at=AT)
        assert sorted(pages) == ["index.html", f"{stored.id}.html"]
        assert list(one.files.values()) == [pages[f"{stored.id}.html"]]
        assert one.article.id == stored.id and one.messages == ()
