"""When a digest is due: pure functions of a schedule and a UTC instant.

A schedule is daily at HH:MM or weekly on a weekday at HH:MM, in the subscriber's time zone. The period a digest
covers runs from the previous scheduled moment to this one, so on the days the clocks change a daily period is
23 or 25 hours long. A local time that does not exist on a spring-forward day (02:30 in Europe) is taken with the
offset before the change (it falls at 03:30 local); one that occurs twice on a fall-back day is its first occurrence.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

FREQUENCIES = ("daily", "weekly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Schedule:
    frequency: str  # daily | weekly
    send_time: str  # HH:MM in time_zone
    time_zone: str  # a zoneinfo name
    weekday: int | None = None  # weekly: 0 = Monday … 6 = Sunday

    def describe(self) -> str:
        day = "every day" if self.frequency == "daily" else f"every {WEEKDAYS[self.weekday]}"
        return f"{day} at {self.send_time} ({self.time_zone})"


@dataclass(frozen=True)
class Period:
    """The items a digest covers, published from ``start`` up to (not including) ``end``; naive UTC. ``key`` is the
    local date the digest is due on: one digest per subscription and key."""

    key: str
    start: datetime
    end: datetime


def parse_time(text: str) -> time:
    match = TIME.match(str(text or "").strip())
    if not match:
        raise ValueError(f"the send time must be HH:MM on a 24-hour clock (e.g. 08:00), got {text!r}")
    return time(int(match[1]), int(match[2]))


def zone(name: str) -> ZoneInfo:
    """The time zone ``name`` names: its IANA name in any capitals ("europe/helsinki"), or a city that names one zone
    ("Helsinki", "new york"); ValueError with the closest name otherwise."""
    typed = str(name or "").strip()
    try:
        return ZoneInfo(typed)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    key = typed.casefold().replace(" ", "_")
    names = _zone_names()
    found = names.get(key) or _zones_by_city().get(key)
    if found:
        return ZoneInfo(found)
    if OFFSET.match(typed):
        raise ValueError(f"{typed!r} is an offset, not a time zone: a digest follows its zone's daylight saving time, so "
                         "use the zone's name, such as Europe/Berlin, America/New_York or UTC")  # fmt: skip
    regional = [n for n in names if "/" in n]
    meant = difflib.get_close_matches(key, [*regional, *_zones_by_city()], 1, 0.8)
    hint = f"did you mean {(names.get(meant[0]) or _zones_by_city()[meant[0]])!r}? Or use" if meant else "use"
    raise ValueError(f"unknown time zone {name!r}: {hint} a name such as Europe/Berlin, America/New_York or UTC")


OFFSET = re.compile(r"^(utc|gmt)?\s*[+-]\s*\d{1,2}(:?\d{2})?$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """{name in lower case: IANA name} of every time zone this machine knows."""
    return {known.casefold(): known for known in available_timezones()}


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    """{city in lower case: IANA name} for the cities ("helsinki") that name exactly one region's zone."""
    cities: dict[str, list[str]] = {}
    for known in available_timezones():
        region, _, city = known.rpartition("/")
        if region and region.split("/")[0] in REGIONS:
            cities.setdefault(city.casefold(), []).append(known)
    return {city: found[0] for city, found in cities.items() if len(found) == 1}


REGIONS = {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}


def check_schedule(schedule: Schedule) -> None:
    """ValueError naming the first problem of the schedule."""
    if schedule.frequency not in FREQUENCIES:
        raise ValueError(f"the schedule must be one of {', '.join(FREQUENCIES)}, got {schedule.frequency!r}")
    if schedule.frequency == "weekly" and schedule.weekday not in range(7):
        raise ValueError("a weekly digest needs a weekday, 0 (Monday) to 6 (Sunday)")
    parse_time(schedule.send_time)
    zone(schedule.time_zone)


def _moment(schedule: Schedule, day: date) -> datetime:
    """The scheduled moment on the local ``day``, as naive UTC."""
    local = datetime.combine(day, parse_time(schedule.send_time), tzinfo=zone(schedule.time_zone))
    return local.astimezone(UTC).replace(tzinfo=None)


def _step(schedule: Schedule) -> timedelta:
    return timedelta(days=1 if schedule.frequency == "daily" else 7)


def due_period(schedule: Schedule, now: datetime) -> Period:
    """The latest period whose digest is due at ``now`` (naive UTC or aware): it ends at the last scheduled moment
    at or before ``now``."""
    now = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
    day = now.replace(tzinfo=UTC).astimezone(zone(schedule.time_zone)).date()
    if schedule.frequency == "weekly":
        day -= timedelta(days=(day.weekday() - schedule.weekday) % 7)
    if _moment(schedule, day) > now:
        day -= _step(schedule)
    return Period(day.isoformat(), _moment(schedule, day - _step(schedule)), _moment(schedule, day))


def next_period(schedule: Schedule, now: datetime) -> Period:
    """The period after the one due at ``now``: the digest that will go out next, which has begun and ends at the
    next scheduled moment (stepped on the local calendar, so a day when the clocks change keeps its send time)."""
    due = due_period(schedule, now)
    day = date.fromisoformat(due.key) + _step(schedule)
    return Period(day.isoformat(), due.end, _moment(schedule, day))


def previous_periods(schedule: Schedule, period: Period, count: int) -> list[Period]:
    """``count`` periods ending with ``period``, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.insert(0, due_period(schedule, periods[0].start))
    return periods
