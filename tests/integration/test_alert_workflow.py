"""The alert workflow against a real database (SQLite and PostgreSQL): acknowledge, assign, snooze, resolve and
false alarm with their allowed transitions, who and when on the alert and in the audit log, the false-alarm
rate per rule, and a rule whose latest alert is acknowledged or snoozed raising no new alert within its cooldown
(or while snoozed), with real alert rules, items and detection."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from core.alerts import (
    acknowledge_alert,
    assign_alert,
    detect_alerts,
    list_alert_rules,
    list_alerts,
    mark_false_alarm,
    reopen_alert,
    resolve_alert,
    snooze_alert,
)
from core.auth import PermissionDenied, acting_as, create_user, list_events, set_active
from core.auth.roles import Actor
from core.views import alerts as dash
from tests.unit.test_alert_detect import NOW, add_article, add_feed, rule

PASSWORD = "correct horse battery"


def state(alert_id: int) -> dict:
    [alert] = [a for a in list_alerts() if a["id"] == alert_id]
    return alert


@pytest.fixture
def fired(db) -> tuple[int, int]:
    """(feed id, id of the alert a real rule raised at NOW over three negative items)."""
    feed = add_feed()
    for _ in range(3):
        add_article(feed, "negative")
    rule(cooldown_hours=12)
    [alert_id] = detect_alerts(NOW)
    return feed, alert_id


def test_a_fired_alert_is_open_with_nobody_on_it(fired):
    _, alert_id = fired
    alert = state(alert_id)
    assert (alert["state"], alert["assignee"], alert["snoozed_until"], alert["state_changed_by"]) == ("open", None, None, None)


def test_each_change_stores_who_and_when_and_is_audited(fired):
    _, alert_id = fired
    create_user("dana", PASSWORD, "analyst")
    with acting_as(Actor("ana", "analyst")):
        acknowledge_alert(alert_id, now=NOW + timedelta(hours=1))
        assign_alert(alert_id, "DANA")  # names are matched without case and stored as the account spells them
        snooze_alert(alert_id, "4 hours", now=NOW + timedelta(hours=2))
    alert = state(alert_id)
    assert (alert["state"], alert["assignee"], alert["state_changed_by"]) == ("snoozed", "dana", "ana")
    assert alert["state_changed_at"] == NOW + timedelta(hours=2)
    assert alert["snoozed_until"] == NOW + timedelta(hours=6)

    with acting_as(Actor("bo", "analyst")):
        mark_false_alarm(alert_id, now=NOW + timedelta(hours=3))
    alert = state(alert_id)
    assert (alert["state"], alert["state_changed_by"], alert["state_changed_at"], alert["snoozed_until"]) == (
        "false_alarm", "bo", NOW + timedelta(hours=3), None,
    )
    assert alert["assignee"] == "dana"

    events = [e for e in reversed(list_events()) if e["action"].startswith("alert ") and e["action"] != "alert rule saved"]
    assert [(e["user"], e["action"], e["target"]) for e in events] == [
        ("ana", "alert acknowledged", f"alert #{alert_id}"),
        ("ana", "alert assigned", f"alert #{alert_id}"),
        ("ana", "alert snoozed", f"alert #{alert_id}"),
        ("bo", "alert marked false alarm", f"alert #{alert_id}"),
    ]
    assert all(e["at"] is not None and e["outcome"] == "ok" for e in events)
    assert events[1]["detail"]["assignee"] == "dana"
    until = (NOW + timedelta(hours=6)).isoformat(timespec="minutes")
    assert events[2]["detail"] == {"rule": "r", "from": "acknowledged", "snoozed_until": until}
    assert events[3]["detail"]["from"] == "snoozed"


def test_transitions_that_make_no_sense_are_refused_and_change_nothing(fired):
    _, alert_id = fired
    acknowledge_alert(alert_id, now=NOW)
    with pytest.raises(ValueError, match=f"alert #{alert_id} is already acknowledged"):
        acknowledge_alert(alert_id)
    resolve_alert(alert_id, now=NOW + timedelta(hours=1))
    with pytest.raises(ValueError, match=f"alert #{alert_id} is already resolved"):
        resolve_alert(alert_id)
    for action in (acknowledge_alert, mark_false_alarm):
        with pytest.raises(ValueError, match=f"alert #{alert_id} is resolved and cannot be"):
            action(alert_id)
    with pytest.raises(ValueError, match="is resolved and cannot be snoozed"):
        snooze_alert(alert_id, "1 day")
    with pytest.raises(ValueError, match="is resolved; only an open, acknowledged or snoozed alert can be assigned"):
        create_user("dana", PASSWORD, "analyst")
        assign_alert(alert_id, "dana")
    alert = state(alert_id)
    assert (alert["state"], alert["state_changed_at"], alert["assignee"]) == ("resolved", NOW + timedelta(hours=1), None)
    assert [e["action"] for e in list_events() if e["action"].startswith("alert ") and "rule" not in e["action"]] == [
        "alert resolved", "alert acknowledged",
    ]


def test_a_closed_alert_can_be_reopened_and_leaves_the_false_alarm_rate(fired):
    _, alert_id = fired
    with pytest.raises(ValueError, match=f"alert #{alert_id} is already open"):
        reopen_alert(alert_id)
    acknowledge_alert(alert_id, now=NOW)
    refusal = "is acknowledged and cannot be reopened; only an alert that is resolved or marked a false alarm can"
    with pytest.raises(ValueError, match=refusal):
        reopen_alert(alert_id)
    with acting_as(Actor("bo", "analyst")):
        mark_false_alarm(alert_id, now=NOW + timedelta(hours=1))
    rule_id = state(alert_id)["rule_id"]
    assert dash.false_alarm_rates()[rule_id] == (1, 1)

    with acting_as(Actor("ana", "analyst")):
        reopen_alert(alert_id, now=NOW + timedelta(hours=2))
    alert = state(alert_id)
    assert (alert["state"], alert["state_changed_by"], alert["state_changed_at"]) == ("open", "ana", NOW + timedelta(hours=2))
    assert dash.can_change(alert)
    assert dash.false_alarm_rates()[rule_id] == (0, 1)
    [event] = [e for e in list_events() if e["action"] == "alert reopened"]
    assert (event["user"], event["target"], event["detail"]) == ("ana", f"alert #{alert_id}", {"rule": "r", "from": "false alarm"})

    resolve_alert(alert_id, now=NOW + timedelta(hours=3))  # and the workflow goes on from open
    reopen_alert(alert_id, now=NOW + timedelta(hours=4))
    assert state(alert_id)["state"] == "open"


def test_bad_input_gets_a_specific_error(fired):
    _, alert_id = fired
    with pytest.raises(ValueError, match="a snooze needs a period"):
        snooze_alert(alert_id, None)
    with pytest.raises(ValueError, match="unknown snooze period '2 days'; use one of: 1 hour, 4 hours, 1 day, 1 week"):
        snooze_alert(alert_id, "2 days")
    with pytest.raises(ValueError, match="longer than zero and at most 30 days"):
        snooze_alert(alert_id, timedelta(days=60))
    with pytest.raises(ValueError, match=f"there is no active user named 'nobody' to assign alert #{alert_id} to"):
        assign_alert(alert_id, "nobody")
    create_user("gone", PASSWORD, "analyst")
    set_active("gone", False)
    with pytest.raises(ValueError, match="no active user named 'gone'"):
        assign_alert(alert_id, "gone")
    with pytest.raises(ValueError, match="pick the user"):
        assign_alert(alert_id, "  ")
    with pytest.raises(LookupError, match="alert #999999 does not exist"):
        acknowledge_alert(999_999)
    assert state(alert_id)["state"] == "open"


def test_viewers_cannot_act_on_alerts(fired):
    _, alert_id = fired
    with acting_as(Actor("vic", "viewer")):
        with pytest.raises(PermissionDenied, match="vic is a viewer and cannot acknowledge alerts; this needs the analyst role"):
            acknowledge_alert(alert_id)
        with pytest.raises(PermissionDenied, match="needs the analyst role"):
            mark_false_alarm(alert_id)
    assert state(alert_id)["state"] == "open"


def test_false_alarm_rate_per_rule(fired):
    feed, first = fired
    mark_false_alarm(first, now=NOW)
    for hours in (13, 26, 39):  # three more alerts of the same rule, each after the cooldown over new items
        _new_items(feed, NOW + timedelta(hours=hours))
        assert len(detect_alerts(NOW + timedelta(hours=hours))) == 1
    rule("quiet", scope_type="keyword", scope_value="nothing matches this")
    rates = dash.false_alarm_rates()
    by_name = dash.rules_table(list_alert_rules(), rates).set_index("name")
    assert by_name.loc["r", "alerts"] == 4
    assert by_name.loc["r", "false_alarm_rate"] == pytest.approx(0.25)
    assert by_name.loc["quiet", "alerts"] == 0 and math.isnan(by_name.loc["quiet", "false_alarm_rate"])  # an empty cell
    assert dash.false_alarm_rate_text(rates[state(first)["rule_id"]]) == "25% (1 of 4 alerts marked a false alarm)"


# --- no new alert within the cooldown after an acknowledgement or a snooze --------------------------------------


def _new_items(feed: int, at) -> None:
    """Three fresh negative items published just before ``at``: evidence the last alert did not count."""
    for _ in range(3):
        add_article(feed, "negative", hours_ago=0.5, now=at)


def test_an_open_alert_does_not_hold_its_rule_back_after_the_cooldown(fired):
    feed, _ = fired
    later = NOW + timedelta(hours=14)
    _new_items(feed, later)
    assert len(detect_alerts(later)) == 1  # the rule's own cooldown (12 h from the alert's window) has passed


def test_an_acknowledged_alert_holds_its_rule_back_for_the_cooldown_from_the_acknowledgement(fired):
    feed, alert_id = fired
    acknowledge_alert(alert_id, now=NOW + timedelta(hours=11))
    later = NOW + timedelta(hours=14)
    _new_items(feed, later)
    assert detect_alerts(later) == []  # 3 h after the acknowledgement, within the 12 h cooldown
    after = NOW + timedelta(hours=23, minutes=30)  # 12.5 h after it
    _new_items(feed, after)
    [new] = detect_alerts(after)
    assert state(new)["state"] == "open"


def test_a_snoozed_alert_holds_its_rule_back_while_snoozed(fired):
    feed, alert_id = fired
    snooze_alert(alert_id, "1 week", now=NOW + timedelta(hours=1))
    for hours in (14, 48, 24 * 7):
        at = NOW + timedelta(hours=hours)
        _new_items(feed, at)
        assert detect_alerts(at) == [], f"fired {hours} h after the alert while it is snoozed"
    at = NOW + timedelta(hours=1, weeks=1, minutes=5)
    _new_items(feed, at)
    assert len(detect_alerts(at)) == 1


def test_resolved_and_false_alarms_do_not_hold_the_rule_back(fired):
    feed, alert_id = fired
    acknowledge_alert(alert_id, now=NOW + timedelta(hours=11))
    mark_false_alarm(alert_id, now=NOW + timedelta(hours=12))
    later = NOW + timedelta(hours=14)
    _new_items(feed, later)
    assert len(detect_alerts(later)) == 1


def test_the_counted_column_matches_its_migration_and_downgrades(db):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import columns, downgrade_before, schema_differences

    assert schema_differences("'alerts'") == []
    downgrade_before(db, "_alert_counted.py")
    assert "counted" not in columns("alerts")
    upgrade_database()
    assert "counted" in columns("alerts")
