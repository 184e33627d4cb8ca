"""``readalong export`` with readers' kept files (issue 22): the JSON export written to a folder
has DCE's media folder beside each channel file, the attachment's ``url`` its relative path; the
HTML page embeds the file; a file not kept is named with why in both."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.articles import Article
from bot.cli import main
from bot.domain.files import KeptFile
from bot.store import Store
from tests.archive.test_export import THREAD_1, message

PICTURE = b"\x89PNG\r\n\x1a\n a picture"


def stored(db: Path, sample_article: Article) -> None:
    async def fill() -> None:
        async with Store(db) as store:
            await store.articles.add(sample_article, "zh")
            files = (
                KeptFile(0, "map.png", len(PICTURE), "image/png", PICTURE),
                KeptFile(1, "film.mp4", 9 * 1024 * 1024, "video/mp4", None, "over the 8 MiB cap"),
            )
            attachments = (
                (
                    "map.png",
                    "https://cdn.discordapp.com/attachments/1/2/map.png?ex=1&is=1&hm=x&",
                    len(PICTURE),
                ),
                (
                    "film.mp4",
                    "https://cdn.discordapp.com/attachments/1/3/film.mp4?ex=1&is=1&hm=y&",
                    9 * 1024 * 1024,
                ),
            )
            row = message(
                1002, THREAD_1, 1, "ana", "The square, from above.", attachments=attachments, files=files
            )
            assert await store.messages.record(row)

    asyncio.run(fill())


def test_the_json_export_folder_holds_the_media_beside_each_file(
    tmp_path: Path, sample_article: Article
) -> None:
    db = tmp_path / "r.db"
    stored(db, sample_article)
    out = tmp_path / "dce"
    assert main(["--db", str(db), "export", "zh", "--format", "json", "-o", str(out)]) == 0
    (channel_file,) = [p for p in out.glob("*.json") if p.name != "readalong.json"]
    (entry, film) = json.loads(channel_file.read_text())["messages"][0]["attachments"]
    assert entry["url"] == f"{channel_file.name}_Files/map-1002-0.png"
    assert (out / entry["url"]).read_bytes() == PICTURE
    assert film["url"].startswith("https://cdn.discordapp.com/")  # not kept: Discord's link, and said so
    extras = json.loads((out / "readalong.json").read_text())["readalong"]["filesNotKept"]
    assert extras == [
        {"messageId": "1002", "file": channel_file.name, "fileName": "film.mp4", "note": "over the 8 MiB cap"}
    ]


def test_the_html_page_embeds_the_file_and_names_the_one_not_kept(
    tmp_path: Path, sample_article: Article
) -> None:
    db = tmp_path / "r.db"
    stored(db, sample_article)
    page = tmp_path / "zh.html"
    assert main(["--db", str(db), "export", "zh", "--format", "html", "-o", str(page)]) == 0
    text = page.read_text()
    assert '<img src="data:image/png;base64,iVBORw0KGgog' in text
    assert "film.mp4: file not kept: over the 8 MiB cap" in text
    assert "cdn.discordapp.com" not in text  # nothing points at Discord's expiring links
