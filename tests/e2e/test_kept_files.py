"""Archives that still open months later (issue 22): a reader's image is kept in the archive when
the message is recorded, so the HTML and DiscordChatExporter exports still show it after Discord's
signed link has expired (the sandbox's CDN refuses it then, as Discord does); a file over the
server's cap is named as not kept; and once the reader deletes the message its bytes are gone from
the database and from every export. The sandbox and the bot share one clock the tests move on:
months pass in no time, for the CDN's links as for the bot."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import aiohttp
import pytest

from bot.discord.client import ReadalongBot
from bot.domain.clock import ManualClock
from bot.domain.viewer import Viewer
from bot.sandbox import CommandRejected, Sandbox, Seed
from bot.sandbox.harness import running_bot
from bot.sandbox.world.cdn import LIFETIME
from bot.settings import Settings
from tests.archive.test_html_browser import browser_path
from tests.e2e.conftest import wait_archived
from tests.e2e.test_archive import ARTICLE, discussion, post_sample


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's and the bot's one clock, from now on, moved on by the tests."""
    return ManualClock(dt.datetime.now(dt.UTC))


def png(width: int, height: int) -> bytes:
    """A real PNG (red pixels) a browser decodes: signature, IHDR, IDAT, IEND."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PICTURE = png(3, 2)


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def export(sandbox: Sandbox, member: str, format: str) -> tuple[str, bytes]:
    """``/archive export`` as ``member``: the file the bot sent, fetched from the CDN like a member would."""
    result = await sandbox.run_command(
        member, "general", "archive export", {"article": ARTICLE, "format": format}
    )
    (attachment,) = result.messages[0]["attachments"]
    status, data = await fetch(attachment["url"])
    assert status == 200, status
    return attachment["filename"], data


def image_widths(page_path: Path) -> list[int]:
    """The page opened in Chromium, from disk, nothing else reachable: each image's decoded width."""
    from playwright.sync_api import sync_playwright

    path = browser_path()
    assert path is not None, "no Chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            fetched: list[str] = []
            page.on("request", lambda request: fetched.append(request.url))
            page.goto(page_path.as_uri())
            page.wait_for_load_state("load")
            widths: list[int] = page.evaluate(
                "[...document.images].map(i => i.complete ? i.naturalWidth : 0)"
            )
        finally:
            browser.close()
    assert all(u.startswith(("file://", "data:")) for u in fetched), fetched  # nothing from Discord
    return widths


def dce_media(data: bytes) -> tuple[dict[str, bytes], list[dict[str, object]]]:
    """The JSON export's zip: every file by its path under the export's folder, and every
    attachment entry of every channel file."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}
    attachments = [
        {"file": name, **attachment}
        for name, body in files.items()
        if name.endswith(".json") and name != "readalong.json"
        for message in json.loads(body)["messages"]
        for attachment in message["attachments"]
    ]
    return files, attachments


@pytest.mark.slow(seconds=4)
async def test_exports_show_a_readers_image_after_discords_link_expired_and_not_once_deleted(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path, tmp_path: Path, clock: ManualClock
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[0]
    shown = sandbox.send("ben", thread, "the harbour as I saw it", files=[("harbour.png", PICTURE)])
    await sandbox.wait_idle()
    await wait_archived(bot, shown)
    message_id = int(shown["id"])
    kept = await bot.store.files.of_messages([message_id], Viewer.operator())
    assert [f.data for f in kept[message_id]] == [PICTURE]

    clock.advance(dt.timedelta(seconds=LIFETIME * 60))  # two months on: Discord's link is dead
    assert (await fetch(shown["attachments"][0]["url"]))[0] == 404

    name, page = await export(sandbox, "ben", "html")
    assert name == f"{ARTICLE}.html"
    (tmp_path / name).write_bytes(page)
    assert await asyncio.to_thread(image_widths, tmp_path / name) == [3]

    _, zipped = await export(sandbox, "ben", "json")
    files, attachments = dce_media(zipped)
    (entry,) = attachments
    assert (
        entry["fileName"] == "harbour.png"
        and entry["url"] == f"{entry['file']}_Files/harbour-{message_id}-0.png"
    )
    assert files[str(entry["url"])] == PICTURE  # beside the JSON file, as DCE lays out downloaded media

    sandbox.delete("ben", shown)
    await sandbox.wait_idle()
    await discussion(bot).recorder.drain()
    assert await bot.store.files.count(message_id) == 0
    _, page = await export(sandbox, "ada", "html")
    assert b"data:image/png" not in page and b"harbour.png" not in page
    _, zipped = await export(sandbox, "ada", "json")
    files, attachments = dce_media(zipped)
    assert attachments == [] and not [n for n in files if "_Files/" in n]


async def test_a_file_over_the_cap_is_named_as_not_kept(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    await post_sample(sandbox, sample_path=sample_path)
    with pytest.raises(CommandRejected):  # readers do not set the caps
        await sandbox.run("ben", "general", "/article settings file_cap_mib:1000")
    with pytest.raises(CommandRejected, match="file_cap_mib: must be between 0 and 1024"):
        await sandbox.run(
            "ada", "general", "/article settings file_cap_mib:-1"
        )  # as Discord's client refuses
    changed = await sandbox.run("ada", "general", "/article settings file_cap_mib:1")
    assert "**1 MiB** a file" in changed.text
    thread = sandbox.threads("general")[0]
    big = bytes(1024 * 1024 + 1)
    sent = sandbox.send(
        "ben", thread, "the whole report", files=[("report.pdf", big), ("small.txt", b"notes")]
    )
    await sandbox.wait_idle()
    await wait_archived(bot, sent)
    _, page = await export(sandbox, "ben", "html")
    assert b"report.pdf: file not kept: over the 1 MiB cap" in page
    assert b'download="small.txt"' in page
    _, zipped = await export(sandbox, "ben", "json")
    files, attachments = dce_media(zipped)
    extras = json.loads(files["readalong.json"])["readalong"]["filesNotKept"]
    assert [(e["fileName"], e["note"]) for e in extras] == [("report.pdf", "over the 1 MiB cap")]
    assert [files.get(str(a["url"])) for a in attachments] == [None, b"notes"]
    transcript = await sandbox.run_command("ben", "general", "archive show", {"thread": thread["id"]})
    assert "report.pdf *(file not kept: over the 1 MiB cap)*" in transcript.text
    assert "small.txt\n" in transcript.text + "\n" and "small.txt *(" not in transcript.text
    _, markdown = await export(sandbox, "ben", "markdown")
    assert b"*(file not kept: over the 1 MiB cap)*" in markdown
    shown = await sandbox.run("ada", "general", "/article settings")
    assert "0.0 MiB kept now" in shown.text  # five bytes


async def test_a_slow_download_delays_no_other_message(
    sandbox: Sandbox, seed: Seed, bot: ReadalongBot, sample_path: Path
) -> None:
    """The bytes are fetched before their own message is queued, awaiting the network: while
    Discord's CDN is slow to serve one reader's picture, other messages are archived meanwhile."""
    await post_sample(sandbox, sample_path=sample_path)
    thread = sandbox.threads("general")[0]
    held, asked = asyncio.Event(), asyncio.Event()

    async def slow_cdn(phase: str, route: str) -> None:
        if route.startswith("GET /attachments/"):
            asked.set()
            await held.wait()

    sandbox.faults.hook = slow_cdn
    picture = sandbox.send("ben", thread, "a picture, slow to download", files=[("slow.png", PICTURE)])
    await asyncio.wait_for(asked.wait(), 15)
    after = [sandbox.send("ada", thread, f"said while it downloads {n}") for n in range(3)]
    await wait_archived(bot, *after)
    assert await bot.store.messages.get(int(picture["id"]), Viewer.operator()) is None  # still fetching
    held.set()
    sandbox.faults.hook = None
    await wait_archived(bot, picture)
    kept = await bot.store.files.of_messages([int(picture["id"])], Viewer.operator())
    assert kept[int(picture["id"])][0].data == PICTURE


async def test_the_backfill_keeps_files_said_while_the_bot_was_away(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, clock: ManualClock
) -> None:
    """A picture posted while the bot is down, its link expired by the time the bot is back: the
    backfill reads the thread's history, which Discord gives with fresh links, and keeps it; a
    second backfill fetches nothing again."""
    async with running_bot(settings, clock=clock) as bot:
        await post_sample(sandbox, sample_path=sample_path)
        thread = sandbox.threads("general")[0]
    away = sandbox.send("ben", thread, "posted while the bot was away", files=[("away.png", PICTURE)])
    clock.advance(dt.timedelta(seconds=LIFETIME * 2))
    assert (await fetch(away["attachments"][0]["url"]))[0] == 404
    async with running_bot(settings, clock=clock) as bot:
        await discussion(bot).wait_backfilled()
        kept = await bot.store.files.of_messages([int(away["id"])], Viewer.operator())
        assert [f.data for f in kept[int(away["id"])]] == [PICTURE]
        downloads: list[str] = []

        async def count(phase: str, route: str) -> None:
            if route.startswith("GET /attachments/"):
                downloads.append(route)

        sandbox.faults.hook = count
        assert (await discussion(bot).backfill()).added == 0
        sandbox.faults.hook = None
        assert downloads == []  # the archive has it: not fetched again
