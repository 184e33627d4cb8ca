"""The opt-in reminder role: the intro's "Remind me" button gives it (and takes it back), each
released section mentions that role alone, and without Manage Roles (or below the role) the
button says what is missing and nothing changes."""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

import pytest

from bot.domain.clock import ManualClock
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.settings import Settings

START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock() -> ManualClock:
    """The one clock of the sandbox's world and of the bots these tests start."""
    return ManualClock(START)


def article_text(reader_id: str) -> str:
    """Three sections whose words try to ping: @everyone, @here, a member and a role."""
    return (
        "---\ntitle: Pings Nobody\nauthor: A. Writer\n---\n\n"
        "## First\n\nA reader once wrote @everyone and @here in a comment; nobody should hear it.\n\n"
        f"## Second\n\nThen <@{reader_id}> was named, and <@&{reader_id}> too; still silence.\n\n"
        "## Third\n\nThe end, quietly.\n"
    )


def roles(sandbox: Sandbox, seed: Seed) -> tuple[dict[str, Any], dict[str, Any]]:
    """The bot's role, and a "Readers" role for reminders placed below it."""
    world = sandbox.world
    bot_role = next(r for r in world.roles[seed.guild_id].values() if r["name"] == "Readalong")
    readers = world.create_role(seed.guild_id, "Readers", 0)
    world.set_role_position(seed.guild_id, bot_role["id"], readers["position"] + 1)
    return bot_role, readers


def posted(sandbox: Sandbox, count: int) -> bool:
    return len(sandbox.messages("general")) == count


async def start_posting(sandbox: Sandbox, seed: Seed, tmp_path: Path) -> str:
    source = tmp_path / "pings.md"
    source.write_text(article_text(seed.reader_id), encoding="utf-8")
    imported = await sandbox.run_command(
        "ada", "general", "article import", {"file": (source.name, source.read_bytes())}
    )
    match = re.search(r"article:(\S+) ", imported.text)
    assert match, imported.text
    result = await sandbox.run_command(
        "ada",
        "general",
        "article post",
        {"article": match[1], "channel": "general", "comments": False, "schedule": "daily at 09:00"},
    )
    assert not result.failed, result.text
    await sandbox.wait_until(functools.partial(posted, sandbox, 1))
    await sandbox.wait_idle()
    return match[1]


async def test_the_reminder_role_is_mentioned_at_each_release_and_nothing_else_pings(
    sandbox: Sandbox, seed: Seed, settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    world = sandbox.world
    bot_role, readers = roles(sandbox, seed)
    world.set_role_permissions(seed.guild_id, bot_role["id"], perms.BOT_DEFAULT | perms.MANAGE_ROLES)
    async with running_bot(settings, clock=clock):
        said = await sandbox.run("ada", "general", "/article settings reminder_role:@Readers")
        assert f"Release reminders: **on**, mentioning the role <@&{readers['id']}>" in said.text
        await start_posting(sandbox, seed, tmp_path)
        intro = sandbox.messages("general")[0]

        pressed = await sandbox.press("ben", intro, "Remind me")
        assert pressed.ephemeral and "You have" in pressed.text
        assert readers["id"] in world.member(seed.guild_id, seed.reader_id)["roles"]

        for day in range(1, 4):
            clock.advance(DAY)
            await sandbox.wait_until(functools.partial(posted, sandbox, 1 + day))
            await sandbox.wait_idle()
        stopped = await sandbox.press("ben", intro, "Remind me")
        assert "No more reminders" in stopped.text
        assert readers["id"] not in world.member(seed.guild_id, seed.reader_id)["roles"]

    first, *sections = sandbox.messages("general")
    assert first["mention_roles"] == [] and first["mentions"] == [] and not first["mention_everyone"]
    assert len(sections) == 3
    for section in sections:
        assert section["content"].startswith(f"<@&{readers['id']}> ")
        # That role alone: the article's @everyone, @here and member mention ping nobody.
        assert section["mention_roles"] == [readers["id"]]
        assert section["mentions"] == [] and not section["mention_everyone"]
    assert "@everyone" in sections[0]["content"] and f"<@{seed.reader_id}>" in sections[1]["content"]


async def test_without_manage_roles_the_button_says_so_and_nothing_changes(
    sandbox: Sandbox, seed: Seed, settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    world = sandbox.world
    bot_role, readers = roles(sandbox, seed)  # the bot's role as invited: no Manage Roles
    async with running_bot(settings, clock=clock):
        await sandbox.run("ada", "general", "/article settings reminder_role:@Readers")
        await start_posting(sandbox, seed, tmp_path)
        intro = sandbox.messages("general")[0]
        before = list(world.member(seed.guild_id, seed.reader_id)["roles"])

        refused = await sandbox.press("ben", intro, "Remind me")
        assert refused.ephemeral and "Manage Roles" in refused.text and "nothing was changed" in refused.text
        assert world.member(seed.guild_id, seed.reader_id)["roles"] == before

        # Granted Manage Roles, but the role sits above the bot's: Discord refuses that too.
        world.set_role_permissions(seed.guild_id, bot_role["id"], perms.BOT_DEFAULT | perms.MANAGE_ROLES)
        world.set_role_position(seed.guild_id, readers["id"], bot_role["position"] + 1)
        await sandbox.wait_idle()
        higher = await sandbox.press("ben", intro, "Remind me")
        assert "not below my highest role" in higher.text and "Nothing was changed" in higher.text
        assert world.member(seed.guild_id, seed.reader_id)["roles"] == before


async def test_reminders_turned_off_mention_nobody(
    sandbox: Sandbox, seed: Seed, settings: Settings, tmp_path: Path, clock: ManualClock
) -> None:
    world = sandbox.world
    bot_role, _ = roles(sandbox, seed)
    world.set_role_permissions(seed.guild_id, bot_role["id"], perms.BOT_DEFAULT | perms.MANAGE_ROLES)
    async with running_bot(settings, clock=clock):
        said = await sandbox.run("ada", "general", "/article settings reminder_role:@Readers reminders:False")
        assert "Release reminders: **off**" in said.text
        await start_posting(sandbox, seed, tmp_path)
        intro = sandbox.messages("general")[0]
        assert not intro.get("components")  # no button to press where reminders are off
        clock.advance(DAY)
        await sandbox.wait_until(functools.partial(posted, sandbox, 2))
        await sandbox.wait_idle()
    section = sandbox.messages("general")[1]
    assert section["mention_roles"] == [] and section["mentions"] == [] and not section["mention_everyone"]
    assert section["content"].startswith("**§1/3")
