"""A posting's schedule (``/article post schedule:``): when each section is released.

``every N minutes``, ``every N hours``, ``daily at HH:MM`` and ``weekly on DAY at HH:MM``, read
in an IANA time zone (default UTC). Daily and weekly releases are computed on the zone's calendar,
so "daily at 09:00" in Europe/Paris stays at nine o'clock in Paris across a change to summer
time; the moments themselves are kept in UTC, as every due time is. No discord import: the cog,
the CLI and the tests parse the same way."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from bot.errors import ReadalongError

ScheduleKind = Literal["every", "daily", "weekly"]

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_INTERVAL_MINUTES = 10080
"""The longest ``every``: a week, as ``pace:`` allows."""
_EVERY = re.compile(r"every\s+(\d{1,6})\s*(minutes?|mins?|hours?|h)")
_DAILY = re.compile(r"daily\s+at\s+(\d{1,2}):(\d{2})")
_WEEKLY = re.compile(r"weekly\s+on\s+([a-z]+)\s+at\s+(\d{1,2}):(\d{2})")
EXAMPLES = "`every 2 hours`, `daily at 09:00` or `weekly on monday at 18:30`"


class ScheduleError(ReadalongError):
    """A schedule or time zone that cannot be read; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """When a posting's sections are released."""

    kind: ScheduleKind
    zone: str
    """The IANA time zone its hours are read in (``UTC`` by default)."""
    interval_minutes: int = 0
    """``every``: minutes between releases."""
    at: dt.time = dt.time(0, 0)
    """``daily`` and ``weekly``: the local time of each release."""
    weekday: int = 0
    """``weekly``: Monday is 0."""

    @property
    def text(self) -> str:
        """The schedule as ``schedule:`` takes it, and as it is stored."""
        if self.kind == "every":
            hours, minutes = divmod(self.interval_minutes, 60)
            return (
                f"every {hours} hours" if hours and not minutes else f"every {self.interval_minutes} minutes"
            )
        at = self.at.strftime("%H:%M")
        return f"daily at {at}" if self.kind == "daily" else f"weekly on {DAYS[self.weekday]} at {at}"

    def describe(self) -> str:
        """For people: ``daily at 09:00 (Europe/Paris)``."""
        return f"{self.text} ({self.zone})"

    def releases(self, start: dt.datetime, count: int) -> list[dt.datetime]:
        """The first ``count`` releases from ``start`` on (aware, UTC, strictly increasing):
        ``every`` releases at ``start`` and then every interval; ``daily``/``weekly`` at each
        local time of day (and day) not before ``start``."""
        if start.tzinfo is None:
            raise ValueError("start must be aware")
        start = start.astimezone(dt.UTC)
        if self.kind == "every":
            step = dt.timedelta(minutes=self.interval_minutes)
            return [start + step * k for k in range(count)]
        zone = zoneinfo.ZoneInfo(self.zone)
        day = start.astimezone(zone).date()
        if self.kind == "weekly":
            day += dt.timedelta(days=(self.weekday - day.weekday()) % 7)
        step_days = 1 if self.kind == "daily" else 7
        found: list[dt.datetime] = []
        while len(found) < count:
            moment = dt.datetime.combine(day, self.at, tzinfo=zone).astimezone(dt.UTC)
            if moment >= start and (not found or moment > found[-1]):
                found.append(moment)
            day += dt.timedelta(days=step_days)
        return found


def parse_zone(name: str | None) -> str:
    """The IANA zone ``name`` as stored (``UTC`` when not given); a one-line error otherwise."""
    if name is None or not name.strip():
        return "UTC"
    name = name.strip()
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(
            f"Unknown time zone {name[:64]!r}: give an IANA name such as `Europe/Paris` or `America/New_York`."
        ) from None
    return name


def parse_schedule(text: str, zone: str | None = None) -> Schedule:
    """``schedule:`` and ``timezone:`` as given; a one-line error naming what is wrong."""
    tz = parse_zone(zone)
    said = " ".join(text.lower().split())
    shown = text.strip()[:64]
    if match := _EVERY.fullmatch(said):
        number, unit = int(match[1]), match[2]
        minutes = number * 60 if unit.startswith("h") else number
        if not 1 <= minutes <= MAX_INTERVAL_MINUTES:
            raise ScheduleError(
                f"Schedule {shown!r}: the interval must be from 1 minute to 7 days ({MAX_INTERVAL_MINUTES} minutes)."
            )
        return Schedule("every", tz, interval_minutes=minutes)
    if match := _DAILY.fullmatch(said):
        return Schedule("daily", tz, at=_time(match[1], match[2], shown))
    if match := _WEEKLY.fullmatch(said):
        return Schedule("weekly", tz, at=_time(match[2], match[3], shown), weekday=_day(match[1], shown))
    raise ScheduleError(f"Schedule {shown!r} is not one I read: write {EXAMPLES}.")


def _time(hours: str, minutes: str, shown: str) -> dt.time:
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ScheduleError(f"Schedule {shown!r}: {hours}:{minutes} is not a time of day (00:00 to 23:59).")
    return dt.time(h, m)


def _day(word: str, shown: str) -> int:
    matches = [i for i, day in enumerate(DAYS) if len(word) >= 3 and day.startswith(word)]
    if len(matches) != 1:
        raise ScheduleError(f"Schedule {shown!r}: {word!r} is not a day of the week (monday to sunday).")
    return matches[0]
