"""Sections released on a schedule (``/article post schedule: timezone:``) through the sandbox,
with the clock in the test's hands, one for the bot and the sandbox: a week of daily releases runs
in seconds, each section's message is stamped with its release (as its id is made of it), the intro,
``/article status`` and ``/schedule`` show each release as a Discord timestamp, and a restart
mid-schedule releases the next section once (on SQLite: on PostgreSQL a restart in one
process waits out Discord's 5 s IDENTIFY window, which the daily test's run there does not need)."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import pytest

from bot.domain.clock import ManualClock
from bot.sandbox import Sandbox, Seed
from bot.sandbox import permissions as perms
from bot.sandbox.harness import running_bot
from bot.sandbox.state import iso, snowflake_time
from bot.settings import Settings
from tests.conftest import both_backends
from tests.e2e.test_posting import ARTICLE, assert_no_pings, import_sample

START = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
"""A Monday, 11:00 in Paris: today's 09:00 is past, so the first release is tomorrow's."""
DAY = dt.timedelta(days=1)


@pytest.fixture
def clock() -> ManualClock:
    """The one clock of the sandbox's world and of the bots these tests start."""
    return ManualClock(START)


def paris_nine(day: int) -> int:
    """The Unix time of 09:00 in Paris (08:00 UTC in winter) ``day`` days after START's date."""
    return int(release(day).timestamp())


def release(day: int) -> dt.datetime:
    """09:00 in Paris ``day`` days after START's date."""
    return dt.datetime(2026, 12, 8 + day, 8, 0, tzinfo=dt.UTC)


def posted(sandbox: Sandbox, count: int) -> bool:
    return len(sandbox.messages("general")) == count


def heads(sandbox: Sandbox, channel: str = "general") -> list[str]:
    return [m["content"][:6] for m in sandbox.messages(channel)]


async def post_daily(sandbox: Sandbox, channel: str = "general") -> str:
    result = await sandbox.run_command(
        "ada",
        "general",
        "article post",
        {
            "article": ARTICLE,
            "channel": channel,
            "comments": False,
            "schedule": "daily at 09:00",
            "timezone": "Europe/Paris",
        },
    )
    assert not result.failed, result.text
    return result.text


@both_backends
async def test_a_daily_schedule_releases_one_section_a_day(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, clock: ManualClock
) -> None:
    # A channel ben cannot see: its posting is not in his /schedule.
    staff = sandbox.world.create_channel(seed.guild_id, "staff")
    sandbox.world.set_overwrite(staff["id"], seed.guild_id, deny=perms.VIEW_CHANNEL)
    sandbox.world.set_overwrite(staff["id"], seed.admin_id, allow=perms.VIEW_CHANNEL, member=True)
    sandbox.world.set_overwrite(staff["id"], seed.bot_id, allow=perms.VIEW_CHANNEL, member=True)
    async with running_bot(settings, clock=clock):
        await import_sample(sandbox, sample_path=sample_path)
        reply = await post_daily(sandbox)
        assert "released daily at 09:00 (Europe/Paris)" in reply
        await post_daily(sandbox, "staff")
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 1)
        await sandbox.wait_idle()
        assert heads(sandbox) == ["📖 **Th"]  # the intro at once; no section before its day

        posted_intro = sandbox.messages("general")[0]
        assert posted_intro["timestamp"] == iso(START) and snowflake_time(posted_intro["id"]) == START
        intro = posted_intro["embeds"][0]["description"]
        assert "released daily at 09:00 (Europe/Paris)" in intro
        for day in range(6):
            assert f"§{day + 1}/6 <t:{paris_nine(day)}:F> (<t:{paris_nine(day)}:R>)" in intro

        seen = await sandbox.run("ben", "general", "/schedule")
        assert (
            seen.ephemeral and f"<t:{paris_nine(0)}:F>" in seen.text and f"<t:{paris_nine(0)}:R>" in seen.text
        )
        assert f"<#{seed.general_id}>" in seen.text and f"<#{staff['id']}>" not in seen.text
        assert "§1/6" in seen.text
        assert f"<#{staff['id']}>" in (await sandbox.run("ada", "general", "/schedule")).text

        for day in range(1, 7):  # a week, a day at a time: one section each day, in order
            clock.advance(release(day - 1) - clock.now())  # to the release shown, to the second
            await sandbox.wait_until(functools.partial(posted, sandbox, 1 + day))
            await sandbox.wait_idle()
            section = sandbox.messages("general")[-1]
            assert section["content"].startswith(f"**§{day}/6")
            # Sent at the clock's time, by the sandbox's clock too: the <t:…> the intro showed.
            assert section["timestamp"] == iso(release(day - 1))
            assert int(snowflake_time(section["id"]).timestamp()) == paris_nine(day - 1)
            assert len(sandbox.messages("general")) == 1 + day
            if day == 2:
                status = await sandbox.run("ada", "general", f"/article status article:{ARTICLE}")
                assert "sections posted 2/6" in status.text
                assert f"§3/6 <t:{paris_nine(2)}:F> (<t:{paris_nine(2)}:R>)" in status.text
                assert "released daily at 09:00 (Europe/Paris)" in status.text
        done = await sandbox.run("ben", "general", "/schedule")
        assert "Nothing is scheduled" in done.text  # ben sees no more; staff's posting is not his
    assert heads(sandbox) == ["📖 **Th", *(f"**§{n}/6" for n in range(1, 7))]
    assert_no_pings(sandbox)


async def test_a_restart_mid_schedule_releases_the_next_section_once(
    sandbox: Sandbox, seed: Seed, settings: Settings, sample_path: Path, clock: ManualClock
) -> None:
    async with running_bot(settings, clock=clock):
        await import_sample(sandbox, sample_path=sample_path)
        await post_daily(sandbox)
        clock.advance(DAY)
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 2)
        await sandbox.wait_idle()
    # The bot is down over the next release; it comes back on the same clock after it.
    clock.advance(DAY + dt.timedelta(hours=1))
    async with running_bot(settings, clock=clock):
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 3)
        await sandbox.wait_idle()
        assert heads(sandbox) == ["📖 **Th", "**§1/6", "**§2/6"]  # caught up, once, nothing early
        clock.advance(DAY)
        await sandbox.wait_until(lambda: len(sandbox.messages("general")) == 4)
        await sandbox.wait_idle()
    assert heads(sandbox) == ["📖 **Th", "**§1/6", "**§2/6", "**§3/6"]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"schedule": "daily at 9"}, "is not one I read"),
        ({"schedule": "daily at 09:00", "timezone": "Mars/Olympus"}, "Unknown time zone 'Mars/Olympus'"),
        ({"schedule": "every 2 hours", "pace": 30}, "Give either pace: or schedule:, not both."),
        ({"timezone": "Europe/Paris"}, "timezone: is read with schedule:"),
    ],
)
async def test_a_bad_schedule_is_refused_in_one_line_and_posts_nothing(
    sandbox: Sandbox,
    seed: Seed,
    settings: Settings,
    sample_path: Path,
    options: dict[str, object],
    said: str,
    clock: ManualClock,
) -> None:
    async with running_bot(settings, clock=clock) as bot:
        await import_sample(sandbox, sample_path=sample_path)
        result = await sandbox.run_command(
            "ada", "general", "article post", {"article": ARTICLE, "channel": "general", **options}
        )
        assert said in result.text and "\n" not in result.text.strip()
        assert await bot.store.postings.for_guild(int(seed.guild_id)) == []
    assert sandbox.messages("general") == []
