"""Article ids are per server (issue 21, finding 1): an id never tells one server what another
imported. The same title imported in two servers is the same plain id in each; the shared
library's ids are taken in every server; the command line names an article ``ID`` where one
article has that id and ``SERVER/ID`` where several servers do; a database made before this keeps
every id its servers use."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.articles import Article, parse_article
from bot.domain.database import Database, PostgresUrl
from bot.errors import NotFoundError, ReadalongError
from bot.services import articles as articles_service
from bot.services import posting as posting_service
from bot.services.articles import import_article
from bot.services.database import copy_database
from bot.services.posting import PostingEvents
from bot.store import Store, load_migrations
from bot.store.dialect import POSTGRESQL
from tests.conftest import both_backends
from tests.postings import record_posting

A, B, C = 101, 202, 303
LAYOFFS = "layoffs-plan-q3"


def memo(words: str) -> str:
    """A file titled "Layoffs Plan Q3" whose body says ``words``: two of them are different files
    with the same title."""
    return f"# Layoffs Plan Q3\n\nBy Someone\n\n{words} This paragraph is long enough to be one.\n"


async def ids(store: Store, guild_id: int) -> list[str]:
    """The ids a server's members see in ``/articles``."""
    return sorted(listing.id for listing in await articles_service.listing(store, guild_id))


@both_backends
async def test_two_servers_importing_the_same_title_get_the_same_plain_id(database: Database) -> None:
    """The finding: server B importing a different file titled as server A's was told
    `layoffs-plan-q3-2` while a title nobody has got a plain id, so any admin could test whether a
    title exists anywhere."""
    async with Store(database) as store:
        ours = await import_article(
            store, parse_article(memo("Ours: cut the night shift."), source="a.md"), guild_id=A
        )
        theirs = await import_article(
            store, parse_article(memo("Theirs: close the depot."), source="b.md"), guild_id=B
        )
        fresh = await import_article(
            store,
            parse_article("# Nobody Has This\n\nA title no server imported, long enough.\n", source="c.md"),
            guild_id=C,
        )
        assert ours.created and theirs.created and fresh.created
        # Each server is told the plain id, as for a title nobody has: B cannot tell A has one.
        assert ours.article.slug == theirs.article.slug == LAYOFFS
        assert fresh.article.slug == "nobody-has-this"
        assert await ids(store, A) == [LAYOFFS] and await ids(store, B) == [LAYOFFS]
        # The id names each server's own article there.
        assert "night shift" in (await articles_service.article(store, LAYOFFS, A)).body
        assert "depot" in (await articles_service.article(store, LAYOFFS, B)).body
        with pytest.raises(NotFoundError, match=f"unknown article '{LAYOFFS}'"):
            await articles_service.article(store, LAYOFFS, C)
        # A second file of the same title in the same server is `-2` there: ids are unique in a server.
        again = await import_article(store, parse_article(memo("Ours, revised."), source="d.md"), guild_id=A)
        assert again.created and again.article.slug == f"{LAYOFFS}-2"
        assert await ids(store, A) == [LAYOFFS, f"{LAYOFFS}-2"] and await ids(store, B) == [LAYOFFS]


@both_backends
async def test_the_identical_sample_file_in_two_servers_is_the_same_id_in_each(
    database: Database, sample_article: Article
) -> None:
    article = sample_article
    async with Store(database) as store:
        first = await import_article(store, article, guild_id=A)
        second = await import_article(store, article, guild_id=B)
        assert first.created and second.created  # B cannot see A's: its own copy
        assert first.article.slug == second.article.slug == "the-lessons-of-zhanaozen"
        assert await ids(store, A) == await ids(store, B) == ["the-lessons-of-zhanaozen"]


@both_backends
async def test_postings_and_deletes_follow_each_servers_own_article(database: Database) -> None:
    async with Store(database) as store:
        ours = (await import_article(store, parse_article(memo("Ours."), source="a.md"), guild_id=A)).article
        theirs = (
            await import_article(store, parse_article(memo("Theirs."), source="b.md"), guild_id=B)
        ).article
        await record_posting(store, ours, guild_id=A, channel_id=11)
        await record_posting(store, theirs, guild_id=B, channel_id=22)
        stored, statuses = await posting_service.status(store, B, LAYOFFS)
        assert stored.id == theirs.id and [s.posting.channel_id for s in statuses] == [22]
        paused = await posting_service.pause(store, A, LAYOFFS, events=PostingEvents())
        assert paused.channel_id == 11 and paused.article_slug == LAYOFFS
        assert [p.state for p in await store.postings.for_guild(B)] == ["active"]
        # Deleting A's leaves B's, id and all.
        removed = await articles_service.delete_article(store, A, LAYOFFS, archive=True)
        assert removed.article_deleted and removed.postings == 1
        assert await ids(store, A) == [] and await ids(store, B) == [LAYOFFS]
        assert "Theirs." in (await articles_service.article(store, LAYOFFS, B)).body


@both_backends
async def test_the_shared_librarys_ids_are_taken_in_every_server(database: Database) -> None:
    async with Store(database) as store:
        shared = await import_article(store, parse_article(memo("The operator's."), source="s.md"))
        assert shared.article.slug == LAYOFFS
        # Every server sees the shared one as `layoffs-plan-q3`: its own is `-2`, the same in each,
        # which tells nothing of the others (the shared library is listed everywhere).
        for guild in (A, B):
            own = await import_article(
                store, parse_article(memo(f"Server {guild}'s."), source="x.md"), guild_id=guild
            )
            assert own.article.slug == f"{LAYOFFS}-2"
            assert await ids(store, guild) == [LAYOFFS, f"{LAYOFFS}-2"]
            assert f"Server {guild}'s." in (await articles_service.article(store, f"{LAYOFFS}-2", guild)).body
        # A command-line import avoids every server's ids (the operator sees them all).
        later = await import_article(store, parse_article(memo("The operator's, again."), source="t.md"))
        assert later.article.slug == f"{LAYOFFS}-3"
        assert await ids(store, A) == [LAYOFFS, f"{LAYOFFS}-2", f"{LAYOFFS}-3"]
        with pytest.raises(ReadalongError, match="already taken"):
            await import_article(
                store, parse_article(memo("Chosen id."), source="u.md"), article_id=f"{LAYOFFS}-2"
            )


@both_backends
async def test_the_operator_names_an_article_id_or_server_slash_id(database: Database) -> None:
    async with Store(database) as store:
        for guild in (A, B):
            await import_article(
                store, parse_article(memo(f"Server {guild}'s."), source="x.md"), guild_id=guild
            )
        only = await import_article(
            store,
            parse_article("# Only One\n\nOne server has this one, long enough.\n", source="o.md"),
            guild_id=B,
        )
        # Unique: the bare id.
        assert (await articles_service.article(store, "only-one")).id == only.article.id
        # In two servers: refused in one line that lists the choices.
        with pytest.raises(ReadalongError) as refused:
            await articles_service.article(store, LAYOFFS)
        message = str(refused.value)
        assert "\n" not in message and f"{A}/{LAYOFFS}" in message and f"{B}/{LAYOFFS}" in message
        for guild in (A, B):
            named = await articles_service.article(store, f"{guild}/{LAYOFFS}")
            assert f"Server {guild}'s." in named.body
        with pytest.raises(NotFoundError, match=f"in server {C}"):
            await articles_service.article(store, f"{C}/{LAYOFFS}")
        # The operator's list names each as it can be typed back.
        listed = sorted(listing.id for listing in await articles_service.listing(store))
        assert listed == sorted([f"{A}/{LAYOFFS}", f"{B}/{LAYOFFS}", "only-one"])
        # A member may name this server's article `SERVER/ID` (their own server) but never another's.
        assert "Server 202's." in (await articles_service.article(store, f"{B}/{LAYOFFS}", B)).body
        with pytest.raises(NotFoundError, match="unknown article"):
            await articles_service.article(store, f"{A}/{LAYOFFS}", B)


@both_backends
async def test_a_database_made_before_keeps_every_id_its_servers_use(new_database: Database) -> None:
    """Before this change the second server to import a title got `…-2`: after the migration each
    server still finds its article by the id it was told, and new imports follow the new rule."""
    dialect_migrations = (
        load_migrations(dialect=POSTGRESQL) if isinstance(new_database, PostgresUrl) else load_migrations()
    )
    before = dialect_migrations[:-1]
    async with Store(new_database, before) as old:
        # What the previous release stored: plain keys, unique across servers, B's `-2`.
        await old.articles.add(parse_article(memo("Ours."), source="a.md"), LAYOFFS, guild_id=A)
        await old.articles.add(parse_article(memo("Theirs."), source="b.md"), f"{LAYOFFS}-2", guild_id=B)
        await old.articles.add(parse_article(memo("Shared."), source="s.md"), "shared-one")
        assert await old.schema_version() == len(before)
    async with Store(new_database) as store:
        assert await store.schema_version() == len(dialect_migrations)
        assert await ids(store, A) == [LAYOFFS, "shared-one"]
        assert await ids(store, B) == [f"{LAYOFFS}-2", "shared-one"]
        assert "Ours." in (await articles_service.article(store, LAYOFFS, A)).body
        assert "Theirs." in (await articles_service.article(store, f"{LAYOFFS}-2", B)).body
        # B's next import of the title takes the plain id, free in B.
        new = await import_article(store, parse_article(memo("Theirs, new."), source="c.md"), guild_id=B)
        assert new.article.slug == LAYOFFS
        assert await ids(store, B) == [LAYOFFS, f"{LAYOFFS}-2", "shared-one"]
        assert "Ours." in (await articles_service.article(store, LAYOFFS, A)).body
        assert "Theirs, new." in (await articles_service.article(store, LAYOFFS, B)).body
        assert "Theirs." in (await articles_service.article(store, f"{LAYOFFS}-2")).body


async def test_db_copy_keeps_each_servers_id(tmp_path: Path, postgres_url: PostgresUrl) -> None:
    """`readalong db copy` moves the keys as they are: after SQLite → PostgreSQL → SQLite each
    server still finds its own article by the same id, and the operator by ``SERVER/ID``."""
    original = tmp_path / "original.db"
    async with Store(original) as store:
        for guild in (A, B):
            await import_article(
                store, parse_article(memo(f"Server {guild}'s."), source="x.md"), guild_id=guild
            )
    back = tmp_path / "back.db"
    await copy_database(original, postgres_url)
    await copy_database(postgres_url, back)
    for database in (postgres_url, back):
        async with Store(database) as store:
            for guild in (A, B):
                assert await ids(store, guild) == [LAYOFFS]
                assert f"Server {guild}'s." in (await articles_service.article(store, LAYOFFS, guild)).body
                assert (
                    f"Server {guild}'s." in (await articles_service.article(store, f"{guild}/{LAYOFFS}")).body
                )


BEFORE = "d2ea944"
"""The last commit before ids were per server: its code stores a second server's copy of a title
as `…-2`."""

_OLD_IMPORTS = """
import asyncio, sys
from pathlib import Path
from bot.articles import parse_article
from bot.domain.database import PostgresUrl
from bot.services.articles import import_article
from bot.store import Store

async def main(target):
    database = PostgresUrl(target) if target.startswith("postgresql") else Path(target)
    async with Store(database) as store:
        for guild, words in ((101, "Ours."), (202, "Theirs.")):
            text = "# Layoffs Plan Q3\\n\\nBy Someone\\n\\n" + words + " This paragraph is long enough to be one.\\n"
            imported = await import_article(store, parse_article(text, source="x.md"), guild_id=guild)
            print(imported.article.id)

asyncio.run(main(sys.argv[1]))
"""


@both_backends
def test_a_database_made_by_the_code_before_keeps_the_ids_it_gave(
    new_database: Database, tmp_path: Path
) -> None:
    """The code before this change, run from git, imports the same title in two servers (B is
    told `…-2`); this code opens the database, migrates it, and each server keeps its id."""
    root = Path(__file__).parents[2]
    found = subprocess.run(
        ["git", "-C", str(root), "cat-file", "-e", f"{BEFORE}^{{commit}}"], check=False, capture_output=True
    )
    if found.returncode != 0:
        pytest.skip(f"commit {BEFORE} is not in this checkout's history")
    old = tmp_path / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", BEFORE, "bot"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("READALONG_")}
    env["PYTHONPATH"] = str(old)
    target = new_database.reveal() if isinstance(new_database, PostgresUrl) else str(new_database)
    made = subprocess.run(
        [sys.executable, "-c", _OLD_IMPORTS, target],
        check=False,
        cwd=old,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.split() == [LAYOFFS, f"{LAYOFFS}-2"]  # what the old code told each server

    async def check() -> None:
        async with Store(new_database) as store:
            migrations = (
                load_migrations(dialect=POSTGRESQL)
                if isinstance(new_database, PostgresUrl)
                else load_migrations()
            )
            assert await store.schema_version() == len(migrations)
            assert await ids(store, A) == [LAYOFFS] and await ids(store, B) == [f"{LAYOFFS}-2"]
            assert "Ours." in (await articles_service.article(store, LAYOFFS, A)).body
            assert "Theirs." in (await articles_service.article(store, f"{LAYOFFS}-2", B)).body
            with pytest.raises(NotFoundError):
                await articles_service.article(store, LAYOFFS, B)

    asyncio.run(check())


@both_backends
async def test_imports_by_two_processes_at_once_never_give_one_server_an_id_twice(database: Database) -> None:
    """The operator's `readalong import` and a server's `/article import` of the same title at the
    same moment, from two processes (two stores on one database): each checks the ids taken in
    its transaction, so one waits for the other and the server never lists two articles under one id."""
    async with Store(database) as bot, Store(database) as command_line:
        for round_ in range(3):
            title = f"# Race {round_}\n\nBy Someone\n\n"
            await asyncio.gather(
                import_article(
                    command_line, parse_article(f"{title}The operator's text, long enough.\n", source="s.md")
                ),
                import_article(
                    bot,
                    parse_article(f"{title}The server's text, long enough here.\n", source="g.md"),
                    guild_id=A,
                ),
            )
            listed = [listing.id for listing in await articles_service.listing(bot, A)]
            assert sorted(i for i in listed if i.startswith(f"race-{round_}")) == [
                f"race-{round_}",
                f"race-{round_}-2",
            ]
