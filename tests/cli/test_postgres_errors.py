"""The command line on PostgreSQL: a refusal of the server's that the store's own checks did not
foresee is one line naming the server without its password, and status 2."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from bot.articles import parse_article
from bot.cli import main
from bot.domain.database import PostgresUrl
from bot.store import Store


async def test_a_server_error_mid_command_is_one_line_without_the_password(
    postgres_url: PostgresUrl, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Store(postgres_url) as store:  # a Readalong schema, with an article
        await store.articles.add(
            parse_article("# A title\n\nA first paragraph, long enough.\n", source="a.md")
        )
    connection = await asyncpg.connect(postgres_url.reveal())
    # Damaged behind Readalong's back, where opening does not look (a missing table is put back):
    # a column's type, so the command's query fails on the server.
    await connection.execute("ALTER TABLE sections DROP CONSTRAINT sections_article_id_fkey")
    await connection.execute(
        "ALTER TABLE sections ALTER COLUMN article_id TYPE bytea USING article_id::bytea"
    )
    await connection.close()
    # The test server trusts its users (127.0.0.1, CI): a password is let in, and must never be shown.
    parts = urlsplit(postgres_url.reveal())
    if parts.password is not None:
        pytest.skip("READALONG_TEST_POSTGRES has a password of its own")
    url = urlunsplit(parts._replace(netloc=f"{parts.username}:hunter2@{parts.netloc.rpartition('@')[2]}"))
    assert await asyncio.to_thread(main, ["--db", url, "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"readalong: error: postgresql://{parts.username}:***@")
    assert "operator does not exist: bytea = text" in err and "hunter2" not in err
