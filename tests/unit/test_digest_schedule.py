"""When a digest is due: daily and weekly schedules in a time zone, across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.digests.schedule import Schedule, check_schedule, due_period, next_period, previous_periods

DAILY_BERLIN = Schedule("daily", "08:00", "Europe/Berlin")


def test_daily_before_and_after_the_send_time():
    # 08:00 in Berlin in winter is 07:00 UTC
    before = due_period(DAILY_BERLIN, datetime(2026, 1, 15, 6, 59))
    assert before.key == "2026-01-14" and before.end == datetime(2026, 1, 14, 7, 0) and before.start == datetime(2026, 1, 13, 7, 0)
    at = due_period(DAILY_BERLIN, datetime(2026, 1, 15, 7, 0))
    assert at.key == "2026-01-15" and at.start == datetime(2026, 1, 14, 7, 0) and at.end == datetime(2026, 1, 15, 7, 0)
    assert due_period(DAILY_BERLIN, datetime(2026, 1, 15, 23, 59)) == at


def test_aware_instants_are_converted():
    assert due_period(DAILY_BERLIN, datetime(2026, 1, 15, 7, 0, tzinfo=UTC)).key == "2026-01-15"


def test_local_date_not_utc_date_names_the_period():
    tokyo = Schedule("daily", "07:00", "Asia/Tokyo")  # 07:00 JST = 22:00 UTC the day before
    period = due_period(tokyo, datetime(2026, 1, 14, 22, 30))
    assert period.key == "2026-01-15" and period.end == datetime(2026, 1, 14, 22, 0)


def test_spring_forward_day_is_23_hours_and_send_time_follows_local_clock():
    # Europe switches to summer time on 2026-03-29: 08:00 CEST is 06:00 UTC
    period = due_period(DAILY_BERLIN, datetime(2026, 3, 29, 6, 0))
    assert period.key == "2026-03-29" and period.end == datetime(2026, 3, 29, 6, 0)
    assert (period.end - period.start).total_seconds() == 23 * 3600
    assert due_period(DAILY_BERLIN, datetime(2026, 3, 29, 6, 59)).key == "2026-03-29"
    assert due_period(DAILY_BERLIN, datetime(2026, 3, 29, 5, 59)).key == "2026-03-28"


def test_fall_back_day_is_25_hours():
    period = due_period(DAILY_BERLIN, datetime(2026, 10, 25, 12, 0))
    assert period.key == "2026-10-25" and (period.end - period.start).total_seconds() == 25 * 3600


def test_nonexistent_local_time_on_spring_forward_day_still_sends_once():
    night = Schedule("daily", "02:30", "Europe/Berlin")  # 02:30 does not exist on 2026-03-29
    period = due_period(night, datetime(2026, 3, 29, 1, 30))
    assert period.key == "2026-03-29" and period.end == datetime(2026, 3, 29, 1, 30)  # = 03:30 CEST
    assert due_period(night, datetime(2026, 3, 29, 1, 29)).key == "2026-03-28"


def test_the_next_period_starts_where_the_due_one_ends_and_keeps_the_local_send_time():
    due = due_period(DAILY_BERLIN, datetime(2026, 1, 15, 6, 59))
    upcoming = next_period(DAILY_BERLIN, datetime(2026, 1, 15, 6, 59))
    assert upcoming.key == "2026-01-15" and upcoming.start == due.end and upcoming.end == datetime(2026, 1, 15, 7, 0)
    spring = next_period(DAILY_BERLIN, datetime(2026, 3, 28, 12, 0))  # ends on the 23-hour day: 08:00 CEST = 06:00 UTC
    assert spring.key == "2026-03-29" and spring.end == datetime(2026, 3, 29, 6, 0) == due_period(DAILY_BERLIN, spring.end).end
    weekly = Schedule("weekly", "07:30", "UTC", weekday=0)
    assert next_period(weekly, datetime(2026, 1, 14, 12, 0)).end == datetime(2026, 1, 19, 7, 30)  # Wednesday → next Monday


def test_weekly_on_a_weekday():
    monday = Schedule("weekly", "09:00", "America/New_York", weekday=0)  # 09:00 EST = 14:00 UTC
    # Wednesday 2026-01-14: the latest Monday is 2026-01-12
    period = due_period(monday, datetime(2026, 1, 14, 12, 0))
    assert period.key == "2026-01-12" and period.end == datetime(2026, 1, 12, 14, 0) and period.start == datetime(2026, 1, 5, 14, 0)
    # Monday before 09:00 local: still last week's
    assert due_period(monday, datetime(2026, 1, 19, 13, 59)).key == "2026-01-12"
    assert due_period(monday, datetime(2026, 1, 19, 14, 0)).key == "2026-01-19"


def test_weekly_period_across_the_us_clock_change_is_one_hour_short():
    sunday = Schedule("weekly", "18:00", "America/New_York", weekday=6)  # US summer time from 2026-03-08
    period = due_period(sunday, datetime(2026, 3, 9, 0, 0))
    assert period.key == "2026-03-08" and period.end == datetime(2026, 3, 8, 22, 0)
    assert (period.end - period.start).total_seconds() == 7 * 24 * 3600 - 3600


def test_previous_periods_are_contiguous():
    periods = previous_periods(DAILY_BERLIN, due_period(DAILY_BERLIN, datetime(2026, 3, 30, 12, 0)), 4)
    assert [p.key for p in periods] == ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30"]
    assert all(a.end == b.start for a, b in zip(periods, periods[1:], strict=False))


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule("hourly", "08:00", "UTC"), "daily, weekly"),
        (Schedule("weekly", "08:00", "UTC"), "needs a weekday"),
        (Schedule("daily", "8am", "UTC"), "HH:MM"),
        (Schedule("daily", "24:00", "UTC"), "HH:MM"),
        (Schedule("daily", "08:00", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (Schedule("daily", "08:00", "../etc/passwd"), "unknown time zone"),
        (Schedule("daily", "08:00", "Europe/Helsinky"), "did you mean 'Europe/Helsinki'"),
        (Schedule("daily", "08:00", "UTC+2"), "'UTC\\+2' is an offset, not a time zone: a digest follows its zone's daylight"),
    ],
)
def test_bad_schedules_are_refused_with_the_reason(schedule, message):
    with pytest.raises(ValueError, match=message):
        check_schedule(schedule)


def test_the_next_send_is_the_due_period_until_it_was_sent_then_the_next_one():
    from core.views.digests import next_send_text

    sub = {"frequency": "daily", "send_time": "10:06", "time_zone": "Europe/Helsinki", "weekday": None, "enabled": True,
           "created_at": datetime(2026, 12, 4, 7, 0)}  # fmt: skip
    before = datetime(2026, 12, 4, 8, 0)  # 10:06 in Helsinki is 08:06 UTC
    assert next_send_text(sub, None, before) == "2026-12-04 08:06 UTC"  # yesterday's period ended before it existed
    after = datetime(2026, 12, 4, 8, 10)
    assert next_send_text(sub, None, after) == "now: at the worker's next cycle"
    assert next_send_text(sub, {"period": "2026-12-04"}, after) == "2026-12-05 08:06 UTC"
    assert next_send_text(sub | {"enabled": False}, None, after) == "– (disabled)"


@pytest.mark.parametrize(
    ("typed", "zone_name"),
    [("Europe/Helsinki", "Europe/Helsinki"), ("europe/helsinki", "Europe/Helsinki"), ("Helsinki", "Europe/Helsinki"),
     ("new york", "America/New_York"), ("utc", "UTC")],
)
def test_a_time_zone_is_found_as_people_type_it(typed, zone_name):
    from core.digests.schedule import zone

    assert zone(typed).key == zone_name


def test_a_digest_stores_the_time_zone_by_its_name():
    from core.digests.subscriptions import validate_subscription

    typed = {"name": "Morning", "scope_type": "all", "time_zone": "helsinki", "recipients": "risk@example.com"}
    assert validate_subscription(typed)["time_zone"] == "Europe/Helsinki"
