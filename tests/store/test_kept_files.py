"""Readers' attachments kept in the archive (issue 22): written with their message in one
transaction, read only where the message may be read, forgotten with it, counted against the
server's cap, and the caps kept per server."""

from __future__ import annotations

from bot.articles import parse_article
from bot.domain.database import Database
from bot.domain.files import FileCaps, KeptFile
from bot.domain.message import StoredMessage
from bot.domain.viewer import Viewer
from bot.services.articles import import_article
from bot.store import Store
from tests.conftest import both_backends
from tests.messages import reader_message

pytestmark = both_backends
GUILD, CHANNEL, OTHER = 7, 70, 71
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def said(message_id: int, channel: int, files: tuple[KeptFile, ...], article_id: str) -> StoredMessage:
    return reader_message(
        message_id,
        "look at this",
        guild_id=GUILD,
        channel_id=channel,
        article_id=article_id,
        created_at="2026-12-01T10:00:00",
        attachments=tuple((f.name, f"https://cdn.example/{f.name}", f.size) for f in files),
        files=files,
    )


async def article_id(store: Store) -> str:
    text = "# Harbour\n\nBy A. Writer\n\nThe harbour froze in January, and the boats stayed in.\n"
    imported = await import_article(store, parse_article(text, source="a.md"), guild_id=GUILD)
    return imported.article.id


async def test_kept_bytes_are_read_back_only_where_the_message_may_be_seen(database: Database) -> None:
    async with Store(database) as store:
        article = await article_id(store)
        picture = KeptFile(0, "boats.png", len(PNG), "image/png", PNG)
        too_big = KeptFile(1, "film.mp4", 9 * 1024 * 1024, "video/mp4", None, "over the 8 MiB cap")
        hidden = KeptFile(0, "secret.png", 3, "image/png", b"abc")
        await store.messages.record_many(
            [said(1, CHANNEL, (picture, too_big), article), said(2, OTHER, (hidden,), article)]
        )
        member = Viewer.member(GUILD, 9, {CHANNEL})
        files = await store.files.of_messages([1, 2], member)
        assert list(files) == [1]  # the message in a channel the member cannot view: not even its name
        assert files[1][0].data == PNG and files[1][0].name == "boats.png"
        assert files[1][1].data is None and files[1][1].note == "over the 8 MiB cap"
        assert await store.files.used(GUILD) == len(PNG) + 3  # what is not kept does not count
        everything = await store.files.of_messages([1, 2], Viewer.operator())
        assert everything[2][0].data == b"abc"


async def test_a_deleted_messages_bytes_go_in_the_deletion(database: Database) -> None:
    async with Store(database) as store:
        article = await article_id(store)
        await store.messages.record_many(
            [said(1, CHANNEL, (KeptFile(0, "a.png", 3, "image/png", b"abc"),), article)]
        )
        assert await store.files.count(1) == 1
        assert await store.messages.mark_deleted(1, "2026-12-01T11:00:00")
        assert await store.files.count(1) == 0
        assert await store.files.of_messages([1], Viewer.operator()) == {}
        assert await store.files.used(GUILD) == 0


async def test_caps_are_per_server_with_defaults(database: Database) -> None:
    async with Store(database) as store:
        assert await store.files.caps(GUILD) == FileCaps(8, 500)
        assert await store.files.set_caps(GUILD, file_mib=2, server_mib=None) == FileCaps(2, 500)
        assert await store.files.set_caps(GUILD, file_mib=None, server_mib=0) == FileCaps(2, 0)
        assert await store.files.caps(GUILD + 1) == FileCaps(8, 500)
        assert FileCaps(2, 0).refusal(1, 0) == "keeping files is off in this server"
        assert FileCaps(2, 10).refusal(3 * 1024 * 1024, 0) == "over the 2 MiB cap"
        assert FileCaps(2, 10).refusal(1024 * 1024, 10 * 1024 * 1024 - 1) == "over the server's 10 MiB cap"
        assert FileCaps(2, 10).refusal(1024 * 1024, 0) is None
