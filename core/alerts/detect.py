"""Alert detection: turn alert rules plus scored articles into stored alerts. The test a window must
pass is ``core.alerts.spike.decide_spike`` (counts in, decision out); this module gathers the counts,
applies the cooldown and stores the alert (SQL in ``core.repositories``).

Each rule is evaluated in its own transaction that first takes the write lock (the rule row on
PostgreSQL, the database on SQLite), so the cooldown check and the insert cannot interleave with
another worker; the unique (rule_id, window_end) constraint backs this up. Re-running adds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.alerts.rules import MIN_COOLDOWN_HOURS
from core.alerts.spike import Counts, SpikeDecision, alert_reason, decide_spike
from core.alerts.workflow import holds_back
from core.auth import requires
from core.repositories import alerts as alert_rows
from core.repositories import items
from core.repositories.items import ScopeWindow
from core.storage import session_scope
from core.storage.tables import naive_utc, utcnow

if TYPE_CHECKING:
    from core.storage.tables import Alert, AlertRule

log = logging.getLogger(__name__)
WORST_ITEMS = 10


def scope_label(scope_type: str, scope_value: str) -> str:
    return "all items" if scope_type == "all" else f"{scope_type}: {scope_value}"


@dataclass(frozen=True)
class Firing:
    """An alert a rule raises for one window (not stored yet)."""

    window_start: datetime
    window_end: datetime
    counts: Counts
    decision: SpikeDecision
    reason: str
    article_ids: list[int] = field(default_factory=list)
    fired_at: datetime = field(default_factory=utcnow)

    @property
    def negative_share(self) -> float:
        return self.decision.negative_share

    @property
    def baseline_share(self) -> float | None:
        return self.decision.baseline_share


def _counts(session: Session, window: ScopeWindow) -> Counts:
    return Counts(*items.count_in_window(session, window))


def counts_stories(rule: AlertRule) -> bool:
    """Whether the rule counts stories (each story once, through its lead item; the default) or every item."""
    return not rule.count_items


@dataclass(frozen=True)
class WindowCheck:
    """One window of a rule tested: what it held and the decision (fired or why not)."""

    window: ScopeWindow
    counts: Counts
    decision: SpikeDecision


def check_window(session: Session, rule: AlertRule, now: datetime) -> WindowCheck:
    """The rule's test on the window ending ``now`` (``core.alerts.spike.decide_spike``), without the cooldown. A
    syndicated story counts once unless the rule counts items (``count_items``)."""
    start = now - timedelta(hours=rule.window_hours)
    scope = items.scope_filter(session, rule.scope_type, rule.scope_value)
    stories = counts_stories(rule)
    window = ScopeWindow(scope, start, now, stories=stories)
    counts = _counts(session, window)
    baseline = None
    if rule.mode == "spike" and counts.items >= rule.min_items:  # the baseline is only read when it can matter
        before = ScopeWindow(scope, start - timedelta(days=rule.baseline_days), start, end_inclusive=False, stories=stories)
        baseline = _counts(session, before)
    return WindowCheck(window, counts, decide_spike(counts, baseline, rule.mode, rule.threshold, rule.min_items))


def evaluate_rule(session: Session, rule: AlertRule, now: datetime, check: WindowCheck | None = None) -> Firing | None:
    """The alert this rule raises for the window ending ``now`` (``check``: that window already tested), or None
    (too few items, test not met). Does not look at the cooldown."""
    check = check or check_window(session, rule, now)
    if not check.decision.fires:
        return None
    reason = alert_reason(check.decision, check.counts, rule.scope_type, rule.scope_value, rule.window_hours, rule.threshold,
                          rule.baseline_days, unit="stories" if check.window.stories else "items")  # fmt: skip
    return Firing(check.window.start, now, check.counts, check.decision, reason,
                  items.worst_in_window(session, check.window, WORST_ITEMS))  # fmt: skip


def cooldown_hours(rule: AlertRule) -> float:
    """The rule's cooldown, at least the minimum (rules stored before the minimum existed may have less)."""
    return max(float(rule.cooldown_hours or 0.0), MIN_COOLDOWN_HOURS)


def _has_new_items(session: Session, rule: AlertRule, now: datetime, last: Alert | Firing, late_scoring: bool) -> bool:
    """Whether the window ending ``now`` holds an item the last alert did not count: published after its
    window ended or, with ``late_scoring``, scored after it fired (an older item scored late)."""
    scope = items.scope_filter(session, rule.scope_type, rule.scope_value)
    window = ScopeWindow(scope, now - timedelta(hours=rule.window_hours), now, stories=counts_stories(rule))
    return items.has_item_since(session, window, last.window_end, last.fired_at if late_scoring else None)


def stays_quiet(session: Session, rule: AlertRule, now: datetime, last: Alert | Firing | None, late_scoring: bool = True) -> bool:
    """True when the rule must not raise an alert for the window ending ``now``: it is still cooling
    down after its last alert, or the window holds the same evidence (no item the last alert did not
    count), which would only repeat that alert."""
    if last is None:
        return False
    if last.window_end >= now or now - last.window_end < timedelta(hours=cooldown_hours(rule)):
        return True
    return not _has_new_items(session, rule, now, last, late_scoring)


def held_back_by_workflow(rule: AlertRule, last: Alert | None, now: datetime) -> bool:
    """The rule's latest alert was acknowledged or snoozed: no new alert within the cooldown counted from
    that change, nor while the snooze lasts (``core.alerts.workflow.holds_back``)."""
    if last is None:
        return False
    return holds_back(last.state, last.state_changed_at, last.snoozed_until, cooldown_hours(rule), now)


def _detect_for_rule(rule_id: int, now: datetime) -> int | None:
    with session_scope() as session:
        rule = alert_rows.lock_enabled_rule(session, rule_id)
        if rule is None:
            return None
        last = alert_rows.last_alert(session, rule.id)
        if stays_quiet(session, rule, now, last) or held_back_by_workflow(rule, last, now):
            return None
        firing = evaluate_rule(session, rule, now)
        if firing is None:
            return None
        alert_id = alert_rows.add_alert(
            session, rule_id=rule.id, fired_at=firing.fired_at, window_start=firing.window_start, window_end=now,
            scope_label=scope_label(rule.scope_type, rule.scope_value)[:600], item_count=firing.counts.items,
            counted="items" if rule.count_items else "stories",
            negative_count=firing.counts.negatives, negative_share=firing.negative_share, baseline_share=firing.baseline_share,
            reason=firing.reason, article_ids=firing.article_ids, recipients=list(rule.recipients),
            email_status="pending" if rule.recipients else "none",
        )
        log.info("alert %s fired for rule %r: %s", alert_id, rule.name, firing.reason)
        return alert_id


@requires("analyst", "run alert detection")
def detect_alerts(now: datetime | None = None) -> list[int]:
    """Evaluate every enabled rule for the window ending ``now``; return the ids of the new alerts.
    A rule that fails is logged and skipped; the others are still evaluated."""
    now = naive_utc(now)
    created = []
    for rule_id in alert_rows.enabled_rule_ids():
        try:
            alert_id = _detect_for_rule(rule_id, now)
        except IntegrityError:
            log.info("rule %s: this window's alert was already stored by another run", rule_id)
            continue
        except Exception:
            log.exception("rule %s could not be evaluated", rule_id)
            continue
        if alert_id is not None:
            created.append(alert_id)
    return created
