"""Keeping the audit log for BEACON_KEEP_AUDIT_DAYS days: the worker's audit_log step deletes older events (oldest
first, a batch per cycle), records that it did, and keeps the rest; unset, nothing is deleted; the Settings tab says
how long events are kept. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from core.auth import WORKER, acting_as, list_events, record
from core.auth.retention import delete_old_events
from core.settings import SettingsError, get_settings
from core.storage import session_scope
from core.storage.tables import AuditEvent, utcnow
from core.views import admin
from tests.app.helpers import open_page

NOW = datetime(2026, 3, 20, 9, 30)


@pytest.fixture
def keep_days(monkeypatch):
    def keep(value: str) -> None:
        monkeypatch.setenv("BEACON_KEEP_AUDIT_DAYS", value)
        get_settings.cache_clear()

    return keep


def events_on_days(*days_ago: float, now: datetime = NOW) -> None:
    for age in days_ago:
        record("feed added", f"added {age} days ago")
    with session_scope() as session:  # the log stamps events now; move each to its day
        for age in days_ago:
            stamp = now - timedelta(days=age)
            session.execute(update(AuditEvent).where(AuditEvent.target == f"added {age} days ago").values(at=stamp))


def targets_left() -> list[str]:
    return [e["target"] for e in reversed(list_events(limit=None, action="feed added"))]


def test_events_older_than_the_days_kept_are_deleted_oldest_first(db, keep_days):
    events_on_days(40, 31, 30.3, 29, 1, 0)
    keep_days("30")  # the first day kept starts at midnight 30 days before today (UTC): 18 Feb
    assert delete_old_events(now=NOW, limit=1) == {"deleted": 1, "before": "2026-02-18"}
    assert targets_left()[0] == "added 31 days ago"  # the oldest went first
    assert delete_old_events(now=NOW)["deleted"] == 1
    # 30.3 days ago is early on the first day kept: whole days are kept
    assert targets_left() == ["added 30.3 days ago", "added 29 days ago", "added 1 days ago", "added 0 days ago"]
    assert delete_old_events(now=NOW)["deleted"] == 0


def test_unset_or_forever_keeps_every_event(db, keep_days):
    events_on_days(4000, 400, 1)
    assert "not set" in delete_old_events(now=NOW)
    keep_days("forever")
    assert "not set" in delete_old_events(now=NOW)
    assert len(targets_left()) == 3


def test_the_worker_cycle_deletes_old_events_and_leaves_a_record_of_it(db, keep_days, caplog):
    from jobs.cycle import run_cycle

    events_on_days(10, 9, 0, now=utcnow())
    keep_days("3")
    with caplog.at_level("INFO", logger="beacon.worker"), acting_as(WORKER):
        summary = run_cycle()
    assert "audit_log" not in summary["failed_steps"] and summary["audit_log"]["deleted"] == 2
    assert "2 audit events older than" in caplog.text
    assert targets_left() == ["added 0 days ago"]
    [event] = list_events(action="old audit events deleted")  # the deletion itself is on record
    assert (event["user"], event["target"]) == ("worker", "2 audit events")
    assert event["detail"] == {"recorded_before": summary["audit_log"]["before"], "setting": "BEACON_KEEP_AUDIT_DAYS"}


@pytest.mark.parametrize("value", ["0", "-5", "a year", "36501"])
def test_an_impossible_number_of_days_stops_the_start_with_its_name(beacon_env, keep_days, value):
    keep_days(value)
    with pytest.raises(SettingsError, match=r"BEACON_KEEP_AUDIT_DAYS .*\(or forever, to keep every audit event\)"):
        get_settings()


def test_the_audit_log_and_settings_tabs_say_how_long_events_are_kept(db, keep_days):
    assert admin.configuration().set_index("variable")["value"]["BEACON_KEEP_AUDIT_DAYS"] == "every event (forever)"
    assert admin.audit_retention_note() is None
    keep_days("400")
    assert admin.configuration().set_index("variable")["value"]["BEACON_KEEP_AUDIT_DAYS"] == "400 days"
    note = "Events are kept for 400 days (BEACON_KEEP_AUDIT_DAYS); the worker deletes older ones."
    assert note in [c.value for c in open_page("admin.py", "Audit log").caption]
