"""The alert workflow in a real browser: an alert fired through core is acknowledged, marked a false alarm and
then reopened (the mis-click undone) from its detail on the Alerts page in headless Chromium; the page shows the
state with who and when and the rule's false-alarm rate, and the database and audit log hold the same."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import E2E_USER, assert_inert, settled, shot, sign_in

pytestmark = pytest.mark.e2e


def test_acknowledge_then_mark_a_false_alarm_in_the_browser(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.alerts import detect_alerts, list_alerts, save_alert_rule
    from core.auth import list_events

    save_alert_rule(name="Any negative", scope_type="all", window_hours=24, min_items=1, mode="share", threshold=0.1,
                    cooldown_hours=1, recipients="risk@example.com")
    [alert_id] = detect_alerts()

    page = browser_page
    page.goto(f"{beacon['url']}/alerts?alert={alert_id}")
    sign_in(page)
    expect(page.get_by_role("heading", name=f"Alert #{alert_id}")).to_be_visible()
    settled(page)
    expect(page.get_by_text("State: open", exact=True)).to_be_visible()
    expect(page.get_by_text("False-alarm rate of the rule 'Any negative': 0% (0 of 1 alert marked a false alarm)")).to_be_visible()

    page.get_by_role("button", name="Acknowledge").click()
    settled(page)
    expect(page.get_by_text(f"Alert #{alert_id} acknowledged.")).to_be_visible()
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
    expect(page.get_by_text(re.compile(rf"^State: acknowledged \(by {re.escape(E2E_USER)}, {when}\)$"))).to_be_visible()
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)

    page.get_by_role("button", name="False alarm").click()
    settled(page)
    expect(page.get_by_text(f"Alert #{alert_id} marked a false alarm.")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^State: false alarm \(by {re.escape(E2E_USER)}, "))).to_be_visible()
    expect(page.get_by_text("False-alarm rate of the rule 'Any negative': 100% (1 of 1 alert marked a false alarm)")).to_be_visible()
    expect(page.get_by_role("button", name="Resolve")).to_have_count(0)  # a false alarm is closed: only Reopen
    shot(page, "alert_workflow", tmp_path)
    assert_inert(page)
    [alert] = [a for a in list_alerts() if a["id"] == alert_id]
    assert (alert["state"], alert["state_changed_by"]) == ("false_alarm", E2E_USER)

    page.get_by_role("button", name="Reopen").click()
    settled(page)
    expect(page.get_by_text(f"Alert #{alert_id} reopened.")).to_be_visible()
    expect(page.get_by_text(re.compile(rf"^State: open \(reopened by {re.escape(E2E_USER)}, {when}\)$"))).to_be_visible()
    expect(page.get_by_text("False-alarm rate of the rule 'Any negative': 0% (0 of 1 alert marked a false alarm)")).to_be_visible()
    expect(page.get_by_role("button", name="Resolve")).to_be_visible()
    [alert] = [a for a in list_alerts() if a["id"] == alert_id]
    assert alert["state"] == "open"
    actions = [(e["user"], e["action"]) for e in list_events() if e["target"] == f"alert #{alert_id}"]
    assert actions == [(E2E_USER, "alert reopened"), (E2E_USER, "alert marked false alarm"), (E2E_USER, "alert acknowledged")]
