"""The alert workflow on the Alerts page (AppTest, real database): acknowledge, assign, snooze and false alarm
from the alert detail, the state with who and when, the rule's false-alarm rate, and a read-only state for viewers."""

from __future__ import annotations

from core.alerts import list_alerts, mark_false_alarm
from core.auth import create_user, list_events
from tests.app.helpers import assert_no_exception, button, open_page, switch_tab, table, texts, widget
from tests.app.test_alerts_page import _seed_alerts, page_buttons

PAGE = "alerts.py"


def alert_state(alert_id: int) -> dict:
    [alert] = [a for a in list_alerts() if a["id"] == alert_id]
    return alert


def test_an_analyst_acknowledges_assigns_snoozes_and_marks_a_false_alarm(seed):
    failed_id, sent_id = _seed_alerts(seed)
    create_user("dana", "correct horse battery", "analyst")
    at = open_page(PAGE, role="analyst", alert=str(failed_id))
    assert_no_exception(at)
    assert "State: open" in texts(at.text)
    assert "False-alarm rate of the rule 'Earnings drop': 0% (0 of 2 alerts marked a false alarm)" in texts(at.caption)
    assert list(table(at, "alerts_table")["state"]) == ["open", "open"]

    button(at, "Acknowledge").click().run()
    assert_no_exception(at)
    assert f"Alert #{failed_id} acknowledged." in texts(at.success)
    assert any(t.startswith("State: acknowledged (by test-analyst, ") for t in texts(at.text)), texts(at.text)
    assert not any(b.label == "Acknowledge" for b in at.button)  # already acknowledged
    assert alert_state(failed_id)["state"] == "acknowledged"

    button(at, "Assign").click().run()  # nobody picked yet
    assert "Pick the user to assign the alert to" in texts(at.error)
    widget(at.selectbox, "Assign to").set_value("dana")
    button(at, "Assign").click().run()
    assert f"Alert #{failed_id} assigned to dana." in texts(at.success)
    assert alert_state(failed_id)["assignee"] == "dana"

    widget(at.selectbox, "Snooze for").set_value("1 day")
    button(at, "Snooze").click().run()
    assert_no_exception(at)
    assert f"Alert #{failed_id} snoozed for 1 day." in texts(at.success)
    snoozed = alert_state(failed_id)
    assert snoozed["state"] == "snoozed"
    assert any(t.startswith("State: snoozed until ") and "assigned to dana (by test-analyst" in t for t in texts(at.text)), texts(at.text)

    button(at, "False alarm").click().run()
    assert_no_exception(at)
    assert f"Alert #{failed_id} marked a false alarm." in texts(at.success)
    assert alert_state(failed_id)["state"] == "false_alarm"
    assert "False-alarm rate of the rule 'Earnings drop': 50% (1 of 2 alerts marked a false alarm)" in texts(at.caption)
    assert not {"Acknowledge", "Snooze", "Resolve", "False alarm", "Assign"} & set(page_buttons(at))  # closed
    assert "Reopen" in page_buttons(at)
    assert list(table(at, "alerts_table").set_index("id").loc[[sent_id, failed_id], "state"]) == ["open", "false alarm · assigned to dana"]

    switch_tab(at, "Alert rules")
    rules = table(at, "rules_table").set_index("name")
    assert rules.loc["Earnings drop", "alerts"] == 2 and rules.loc["Earnings drop", "false_alarm_rate"] == 0.5

    actions = [(e["user"], e["action"]) for e in list_events() if e["target"] == f"alert #{failed_id}"]
    assert actions == [("test-analyst", a) for a in
                       ("alert marked false alarm", "alert snoozed", "alert assigned", "alert acknowledged")]  # fmt: skip


def test_a_change_made_meanwhile_elsewhere_is_refused_with_the_reason(seed):
    failed_id, _ = _seed_alerts(seed)
    at = open_page(PAGE, role="analyst", alert=str(failed_id))
    mark_false_alarm(failed_id)  # another analyst, while this page shows the alert as open
    button(at, "Resolve").click().run()
    assert_no_exception(at)
    refusal = "is marked a false alarm and cannot be resolved; only an alert that is open or acknowledged or snoozed can"
    assert f"Alert #{failed_id} {refusal}" in texts(at.error)
    assert alert_state(failed_id)["state"] == "false_alarm"
    assert not any(b.label == "Resolve" for b in at.button)  # the page shows the state as it is now


def test_a_false_alarm_marked_by_mistake_is_reopened(seed):
    failed_id, _ = _seed_alerts(seed)
    mark_false_alarm(failed_id)
    at = open_page(PAGE, role="analyst", alert=str(failed_id))
    assert "False-alarm rate of the rule 'Earnings drop': 50% (1 of 2 alerts marked a false alarm)" in texts(at.caption)
    button(at, "Reopen").click().run()
    assert_no_exception(at)
    assert f"Alert #{failed_id} reopened." in texts(at.success)
    assert alert_state(failed_id)["state"] == "open"
    assert any(t.startswith("State: open (reopened by test-analyst, ") for t in texts(at.text)), texts(at.text)
    assert "False-alarm rate of the rule 'Earnings drop': 0% (0 of 2 alerts marked a false alarm)" in texts(at.caption)
    assert {"Acknowledge", "Resolve", "False alarm"} <= set(page_buttons(at)) and "Reopen" not in page_buttons(at)


def test_viewers_see_the_state_read_only(seed):
    failed_id, _ = _seed_alerts(seed)
    at = open_page(PAGE, role="viewer", alert=str(failed_id))
    assert_no_exception(at)
    assert "State: open" in texts(at.text)
    assert any(c.startswith("False-alarm rate of the rule 'Earnings drop'") for c in texts(at.caption))
    assert not page_buttons(at)
    assert not any(s.label in ("Assign to", "Snooze for") for s in at.selectbox)
