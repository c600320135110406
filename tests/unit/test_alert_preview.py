"""Trying a rule on a past period: the worker's own test, cooldown and same-evidence check, replayed
over stored items without storing anything (how to try rules on the months-old sample feeds)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.alerts import preview_alert_rule, save_alert_rule
from core.alerts.detect import detect_alerts
from core.storage import session_scope
from core.storage.tables import Alert, utcnow
from core.views.financial_sentiment import stored_item_span
from tests.unit.test_alert_detect import NOW, add_article, add_feed

RULE = {"name": "Try", "scope_type": "all", "window_hours": 24, "min_items": 3, "mode": "share", "threshold": 0.5,
        "cooldown_hours": 12}


@pytest.fixture
def feed(db) -> int:
    return add_feed()


def stored_alerts() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def test_a_burst_fires_once_when_it_happened(feed):
    for minutes in (10, 20, 30):  # three negative items a little before NOW (2024-06-03 12:00)
        add_article(feed, hours_ago=minutes / 60)
    preview = preview_alert_rule(RULE, date(2024, 6, 1), date(2024, 6, 5))
    assert [f.window_end for f in preview.firings] == [NOW]  # the first hourly window holding all three
    assert preview.firings[0].items == 3 and preview.firings[0].negative_share == 1.0
    assert preview.windows == 5 * 24 and preview.step == timedelta(hours=1)
    assert "would have fired 1 time from 2024-06-01 to 2024-06-05, first at 2024-06-03 12:00 UTC" in preview.summary()
    assert "(a window ending every hour, cooldown" in preview.summary()  # not "every 1 hours"
    assert stored_alerts() == 0  # a preview stores nothing


def test_same_evidence_and_cooldown_as_the_worker(feed):
    for _ in range(3):
        add_article(feed, hours_ago=1)
    for _ in range(3):
        add_article(feed, hours_ago=-48)  # a second burst two days later
    preview = preview_alert_rule({**RULE, "cooldown_hours": 1}, date(2024, 6, 1), date(2024, 6, 10))
    assert [f.window_end for f in preview.firings] == [NOW - timedelta(hours=1), NOW + timedelta(hours=48)]  # one per burst


def test_a_quiet_period_says_so(feed):
    for _ in range(3):
        add_article(feed, hours_ago=1)
    preview = preview_alert_rule(RULE, date(2024, 1, 1), date(2024, 1, 7))
    assert preview.firings == []
    assert preview.summary().startswith("This rule would not have fired from 2024-01-01 to 2024-01-07")


def test_a_rule_that_never_fires_says_how_close_it_came(feed):
    day = date(2024, 6, 3)
    topic = {**RULE, "scope_type": "topic", "scope_value": "Energy"}
    assert preview_alert_rule(topic, day, day).summary().endswith(
        "No scored stories on the topic 'Energy' are stored at all: check the scope value (Known scope values lists them).")
    add_article(feed, hours_ago=24 * 30, topic="Energy")
    add_article(feed, hours_ago=24 * 32, topic="Energy")
    assert preview_alert_rule(topic, day, day).summary().endswith(
        "No scored stories on the topic 'Energy' were published in this period; the 2 stories stored are from 2024-05-02 to "
        "2024-05-04: try those days.")  # fmt: skip
    add_article(feed, hours_ago=2)
    assert preview_alert_rule(RULE, day, day).summary().endswith(
        "At most 1 story fell in one 24-hour window; the rule needs 3.")
    add_article(feed, hours_ago=2)
    assert preview_alert_rule(RULE, day, day).summary().endswith(
        "At most 2 stories fell in one 24-hour window; the rule needs 3.")
    add_article(feed, "neutral", hours_ago=2)
    add_article(feed, "neutral", hours_ago=2)  # 2 of 4 negative
    strict = {**RULE, "threshold": 0.6}
    assert preview_alert_rule(strict, day, day).summary().endswith(
        "The most negative window with at least 3 stories was 50% negative; the rule fires at 60%.")
    single = {**strict, "min_items": 1, "count_items": True}
    assert preview_alert_rule(single, day, day).summary().endswith(
        "The most negative window with at least 1 item was 50% negative; the rule fires at 60%.")  # not "1 items"
    spike = {**RULE, "mode": "spike", "threshold": 2}
    assert preview_alert_rule(spike, day, day).summary().endswith(
        "No window with at least 3 stories had 3 in the 7 days before it to compare with, so a spike could not be measured.")
    for i in range(4):
        add_article(feed, "negative" if i < 2 else "neutral", hours_ago=72)  # baseline 50 %
    assert preview_alert_rule(spike, day, day).summary().endswith(
        "The closest window was 50% negative against a baseline of 50%; the rule fires from 100%.")


def test_spike_rules_use_the_same_decision_as_the_worker(feed):
    for i in range(10):
        add_article(feed, "negative" if i == 0 else "neutral", hours_ago=72)  # baseline 10 %
    for i in range(5):
        add_article(feed, "negative" if i < 3 else "neutral", hours_ago=1)  # window 60 %
    spike = {**RULE, "name": "Spike", "mode": "spike", "threshold": 2, "min_items": 5}
    preview = preview_alert_rule(spike, date(2024, 6, 3), date(2024, 6, 3))
    save_alert_rule(**spike)
    [alert_id] = detect_alerts(NOW)
    with session_scope() as session:
        fired = session.get(Alert, alert_id)
        assert preview.firings[0].window_end == NOW - timedelta(hours=1)  # the first hourly window holding the items
        assert preview.firings[0].reason == fired.reason
    assert stored_item_span() == (date(2024, 5, 31), date(2024, 6, 3))


def test_today_is_tried_up_to_now_never_at_a_future_hour(feed):
    now = utcnow()
    for minutes in (10, 20, 30):
        add_article(feed, hours_ago=minutes / 60, now=now)
    preview = preview_alert_rule(RULE, now.date() - timedelta(days=1), now.date())
    [fired] = preview.firings
    assert now - timedelta(minutes=10) <= fired.window_end <= utcnow()  # fired "at 17:00" when it was 16:40 before
    assert preview.end <= utcnow() and preview.windows == 24 + now.hour + (1 if now > now.replace(minute=0, second=0, microsecond=0) else 0)
    with pytest.raises(ValueError, match="after today"):
        preview_alert_rule(RULE, now.date() + timedelta(days=1), now.date() + timedelta(days=2))


def test_an_invalid_rule_or_period_is_refused(feed):
    with pytest.raises(ValueError, match="threshold"):
        preview_alert_rule({**RULE, "threshold": 3}, date(2024, 6, 1), date(2024, 6, 2))
    with pytest.raises(ValueError, match="at most 366 days"):
        preview_alert_rule(RULE, date(2022, 1, 1), date(2024, 1, 1))


def test_a_share_rule_firing_shows_no_baseline_as_a_dash_not_none():
    from datetime import datetime

    from core.alerts.preview import PreviewFiring, RulePreview
    from core.views.alerts import preview_table

    start = datetime(2026, 11, 1)
    fired = PreviewFiring(start + timedelta(hours=5), 6, 0.5, None, "50% of all 6 items were negative")
    table = preview_table(RulePreview(start, start + timedelta(days=1), timedelta(hours=1), 24, [fired]))
    assert table["baseline_share"].tolist() == ["–"]


def test_the_alerts_table_shows_a_share_rules_missing_baseline_as_a_dash_and_a_spike_rules_as_a_share():
    from datetime import datetime

    from core.views.alerts import alerts_table

    alert = {"id": 1, "fired_at": datetime(2026, 11, 1), "rule": "R", "scope": "all items", "items": 32, "negative_share": 0.5,
             "baseline_share": None, "state": "open", "email_status": "sent"}
    table = alerts_table([alert, alert | {"id": 2, "baseline_share": 0.125}])
    assert table["baseline_share"].tolist() == ["–", "12%"]
