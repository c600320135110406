"""Keeping the questions asked of the customer-service assistant for BEACON_KEEP_QUESTIONS_DAYS days: the worker's
question_log step deletes older ones (oldest first, a batch per cycle) and keeps the rest; unset, nothing is deleted;
the Log tab and the Settings tab say how long they are kept. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from core.auth import WORKER, acting_as, list_events
from core.repositories.knowledge_bases import log_question
from core.settings import SettingsError, get_settings
from core.storage import session_scope
from core.storage.tables import SupportInteraction, utcnow
from core.support.retention import delete_old_questions
from core.views import admin
from core.views import customer_service as view
from tests.app.helpers import open_page

NOW = datetime(2026, 3, 20, 9, 30)


@pytest.fixture
def keep_days(monkeypatch):
    def keep(value: str) -> None:
        monkeypatch.setenv("BEACON_KEEP_QUESTIONS_DAYS", value)
        get_settings.cache_clear()

    return keep


def ask_on_days(*days_ago: float, now: datetime = NOW) -> None:
    for age in days_ago:
        log_question({"question": f"asked {age} days ago", "action": "escalate", "created_at": now - timedelta(days=age)})


def questions_left() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(SupportInteraction.question).order_by(SupportInteraction.id)))


def test_questions_older_than_the_days_kept_are_deleted_oldest_first(db, keep_days):
    ask_on_days(40, 31, 30.3, 29, 1, 0)
    keep_days("30")  # the first day kept starts at midnight 30 days before today (UTC): 18 Feb
    assert delete_old_questions(now=NOW, limit=1) == {"deleted": 1, "before": "2026-02-18"}
    assert questions_left()[0] == "asked 31 days ago"  # the oldest went first
    assert delete_old_questions(now=NOW)["deleted"] == 1
    # 30.3 days ago is early on the first day kept: whole days are kept
    assert questions_left() == ["asked 30.3 days ago", "asked 29 days ago", "asked 1 days ago", "asked 0 days ago"]
    assert delete_old_questions(now=NOW)["deleted"] == 0


def test_unset_or_forever_keeps_every_question(db, keep_days):
    ask_on_days(4000, 400, 1)
    assert "not set" in delete_old_questions(now=NOW)
    keep_days("forever")
    assert "not set" in delete_old_questions(now=NOW) and view.question_retention_note() is None
    assert len(questions_left()) == 3


def test_the_worker_cycle_deletes_old_questions_and_says_so(db, keep_days, caplog):
    from jobs.cycle import run_cycle

    ask_on_days(10, 9, 0, now=utcnow())
    keep_days("3")
    with caplog.at_level("INFO", logger="beacon.worker"), acting_as(WORKER):
        summary = run_cycle()
    assert "question_log" not in summary["failed_steps"] and summary["question_log"]["deleted"] == 2
    assert "2 asked questions older than" in caplog.text
    assert questions_left() == ["asked 0 days ago"]
    [event] = list_events(action="old asked questions deleted")  # deleted without anyone's click: on record
    assert (event["user"], event["target"]) == ("worker", "2 questions")
    assert event["detail"] == {"asked_before": summary["question_log"]["before"], "setting": "BEACON_KEEP_QUESTIONS_DAYS"}


@pytest.mark.parametrize("value", ["0", "-5", "thirty", "36501"])
def test_an_impossible_number_of_days_stops_the_start_with_its_name(beacon_env, keep_days, value):
    keep_days(value)
    with pytest.raises(SettingsError, match=r"BEACON_KEEP_QUESTIONS_DAYS .*\(or forever, to keep every question\)"):
        get_settings()


def test_the_log_and_settings_tabs_say_how_long_questions_are_kept(db, keep_days):
    keep_days("90")
    note = "Questions are kept for 90 days (BEACON_KEEP_QUESTIONS_DAYS); the worker deletes older ones."
    assert note in [c.value for c in open_page("customer_service.py", "Log").caption]
    settings = admin.configuration().set_index("variable")["value"]
    assert settings["BEACON_KEEP_QUESTIONS_DAYS"] == "90 days"
