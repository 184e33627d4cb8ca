"""Schedules as ``/article post schedule: timezone:`` takes them: read, refused in one line, and
their releases computed on the zone's calendar."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.schedule import DAYS, ScheduleError, parse_schedule, parse_zone

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia"]
# Hypothesis takes naive bounds and makes aware moments of them with ``timezones``.
starts = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2090, 1, 1),  # noqa: DTZ001
    timezones=st.just(dt.UTC),
)
times = st.tuples(st.integers(0, 23), st.integers(0, 59))


@given(starts, times, st.sampled_from(ZONES), st.integers(1, 30))
@settings(max_examples=150, deadline=None)
def test_daily_releases_one_a_day_at_the_local_time(
    start: dt.datetime, at: tuple[int, int], zone: str, count: int
) -> None:
    schedule = parse_schedule(f"daily at {at[0]:02d}:{at[1]:02d}", zone)
    releases = schedule.releases(start, count)
    tz = zoneinfo.ZoneInfo(zone)
    assert len(releases) == count
    assert releases[0] >= start and all(a < b for a, b in itertools.pairwise(releases))
    days = [r.astimezone(tz).date() for r in releases]
    # One release per local day, none skipped (a day whose time does not exist, in a
    # spring-forward gap, releases an hour later on the same day).
    assert all((b - a).days == 1 for a, b in itertools.pairwise(days))
    wall = dt.datetime.combine(days[0], dt.time(*at), tzinfo=tz)
    assert releases[0] - wall.astimezone(dt.UTC) in (
        dt.timedelta(0),
        dt.timedelta(hours=1),
        dt.timedelta(minutes=30),
    )
    # Nothing earlier than the first release would have done: the day before was already past.
    earlier = dt.datetime.combine(days[0] - dt.timedelta(days=1), dt.time(*at), tzinfo=tz)
    assert earlier.astimezone(dt.UTC) < start


@given(starts, times, st.integers(0, 6), st.sampled_from(ZONES))
@settings(max_examples=100, deadline=None)
def test_weekly_releases_fall_on_the_day_named(
    start: dt.datetime, at: tuple[int, int], weekday: int, zone: str
) -> None:
    schedule = parse_schedule(f"weekly on {DAYS[weekday]} at {at[0]}:{at[1]:02d}", zone)
    releases = schedule.releases(start, 5)
    tz = zoneinfo.ZoneInfo(zone)
    assert releases[0] >= start and releases[0] - start < dt.timedelta(days=7, hours=2)
    assert {r.astimezone(tz).weekday() for r in releases} <= {weekday, (weekday + 1) % 7}
    local = [r.astimezone(tz).date() for r in releases]
    assert all((b - a).days == 7 for a, b in itertools.pairwise(local))


@given(starts, st.integers(1, 10080), st.integers(1, 40))
def test_every_n_minutes_starts_now_and_keeps_the_interval(
    start: dt.datetime, minutes: int, count: int
) -> None:
    releases = parse_schedule(f"every {minutes} minutes").releases(start, count)
    assert releases[0] == start
    assert all(b - a == dt.timedelta(minutes=minutes) for a, b in itertools.pairwise(releases))


@given(st.sampled_from(["every 3 hours", "Every  90 minutes", "DAILY AT 7:05", "weekly on Tue at 18:30"]))
def test_the_stored_text_reads_back_as_the_same_schedule(text: str) -> None:
    schedule = parse_schedule(text, "Europe/Paris")
    assert parse_schedule(schedule.text, schedule.zone) == schedule


def test_paris_nine_oclock_stays_nine_across_summer_time() -> None:
    schedule = parse_schedule("daily at 09:00", "Europe/Paris")
    releases = schedule.releases(dt.datetime(2026, 3, 27, 12, tzinfo=dt.UTC), 4)
    assert [r.hour for r in releases] == [8, 7, 7, 7]  # 29 March, 02:00: CET becomes CEST
    assert {r.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).hour for r in releases} == {9}


@pytest.mark.parametrize(
    ("text", "zone", "said"),
    [
        ("daily at 25:00", None, "25:00 is not a time of day"),
        ("weekly on funday at 10:00", None, "'funday' is not a day of the week"),
        ("every 0 minutes", None, "the interval must be from 1 minute to 7 days"),
        ("every 200 hours", None, "the interval must be from 1 minute to 7 days"),
        ("fortnightly", None, "is not one I read"),
        ("daily at 09:00", "Mars/Olympus", "Unknown time zone 'Mars/Olympus'"),
        ("daily at 09:00", "../../etc/passwd", "Unknown time zone"),
    ],
)
def test_bad_schedules_are_refused_in_one_line_naming_what_is_wrong(
    text: str, zone: str | None, said: str
) -> None:
    with pytest.raises(ScheduleError) as refused:
        parse_schedule(text, zone)
    assert said in str(refused.value) and "\n" not in str(refused.value)


def test_no_zone_means_utc() -> None:
    assert parse_zone(None) == "UTC" and parse_zone("  ") == "UTC"
    assert parse_schedule("daily at 09:00").zone == "UTC"
