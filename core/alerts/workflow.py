"""The alert workflow: an alert is open when it fires; an analyst acknowledges it, assigns it to a user, snoozes
it for a period, resolves it or marks it a false alarm, and may reopen a resolved alert or a false alarm (a
mis-click, or the problem came back), which takes it out of its rule's false-alarm rate. Each change is checked
here (which states it may come from, who may make it), stored with who and when on the alert, and written to the audit log.

A rule whose latest alert is acknowledged or snoozed raises no new alert within the rule's cooldown counted
from that change, nor while the snooze lasts (``holds_back``, used by ``core.alerts.detect``). The false-alarm
rate per rule (false alarms / alerts of that rule) is in ``core.views.alerts``. SQL is in ``core.repositories``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from core.auth import current_actor, requires
from core.auth.audit import record
from core.repositories import alerts as alert_rows
from core.repositories import users as accounts
from core.storage.tables import naive_utc

STATES = ("open", "acknowledged", "snoozed", "resolved", "false_alarm")
STATE_LABELS = {
    "open": "open",
    "acknowledged": "acknowledged",
    "snoozed": "snoozed",
    "resolved": "resolved",
    "false_alarm": "false alarm",
}
PHRASES = {**STATE_LABELS, "false_alarm": "marked a false alarm"}  # "alert #3 is …"
DONE = {**PHRASES, "open": "reopened"}  # "… cannot be …"
FINAL = ("resolved", "false_alarm")  # closed: nothing more happens to such an alert unless it is reopened
ACTIVE = tuple(s for s in STATES if s not in FINAL)
# target state -> the states it may be reached from (snoozing again extends or shortens the snooze)
TRANSITIONS = {
    "acknowledged": ("open", "snoozed"),
    "snoozed": ACTIVE,
    "resolved": ACTIVE,
    "false_alarm": ACTIVE,
    "open": FINAL,
}
SNOOZE_PERIODS = {
    "1 hour": timedelta(hours=1),
    "4 hours": timedelta(hours=4),
    "1 day": timedelta(days=1),
    "1 week": timedelta(weeks=1),
}
MAX_SNOOZE = timedelta(days=30)
AUDIT_ACTIONS = {
    "acknowledged": "alert acknowledged",
    "snoozed": "alert snoozed",
    "resolved": "alert resolved",
    "false_alarm": "alert marked false alarm",
    "open": "alert reopened",
}


def _who() -> str:
    actor = current_actor()
    return actor.username if actor else "anonymous"


def _refuse_unless(alert: Mapping, state: str) -> None:
    allowed = TRANSITIONS[state]
    if alert["state"] not in allowed:
        current = PHRASES.get(alert["state"], alert["state"])
        if alert["state"] == state:
            raise ValueError(f"alert #{alert['id']} is already {current}")
        raise ValueError(
            f"alert #{alert['id']} is {current} and cannot be {DONE[state]}; only an alert that is "
            f"{' or '.join(PHRASES[s] for s in allowed)} can"
        )


def _move(alert_id: int, state: str, now: datetime | None, **extra: object) -> dict:
    """Move the alert to ``state`` (checked against its current state in the same transaction) and audit it."""
    now, who = naive_utc(now), _who()
    before: dict = {}

    def change(alert: dict) -> dict:
        _refuse_unless(alert, state)
        before.update(alert)
        snoozed_until = extra.get("snoozed_until")
        return {"state": state, "state_changed_by": who, "state_changed_at": now, "snoozed_until": snoozed_until}

    changed = alert_rows.change_alert(alert_id, change)
    detail = {"rule": changed["rule"], "from": STATE_LABELS.get(before["state"], before["state"])}  # in words: "false alarm"
    if changed["snoozed_until"] is not None:
        detail["snoozed_until"] = changed["snoozed_until"].isoformat(timespec="minutes")
    record(AUDIT_ACTIONS[state], f"alert #{alert_id}", detail=detail)
    return changed


@requires("analyst", "acknowledge alerts")
def acknowledge_alert(alert_id: int, now: datetime | None = None) -> dict:
    """Acknowledge an open or snoozed alert: someone is on it. Returns the alert as changed."""
    return _move(alert_id, "acknowledged", now)


def snooze_period(period: str | timedelta) -> timedelta:
    """A snooze period: one of ``SNOOZE_PERIODS`` by name, or a length above zero and at most 30 days."""
    if isinstance(period, str):
        if period not in SNOOZE_PERIODS:
            raise ValueError(f"unknown snooze period {period!r}; use one of: {', '.join(SNOOZE_PERIODS)}")
        return SNOOZE_PERIODS[period]
    if not isinstance(period, timedelta):
        raise ValueError("a snooze needs a period (e.g. '4 hours')")
    if not timedelta(0) < period <= MAX_SNOOZE:
        raise ValueError(f"a snooze period must be longer than zero and at most {MAX_SNOOZE.days} days")
    return period


@requires("analyst", "snooze alerts")
def snooze_alert(alert_id: int, period: str | timedelta | None, now: datetime | None = None) -> dict:
    """Snooze an alert for ``period`` (see ``snooze_period``): its rule raises no new alert until then."""
    if period is None or period == "":
        raise ValueError("a snooze needs a period (e.g. '4 hours')")
    length = snooze_period(period)
    now = naive_utc(now)
    return _move(alert_id, "snoozed", now, snoozed_until=now + length)


@requires("analyst", "resolve alerts")
def resolve_alert(alert_id: int, now: datetime | None = None) -> dict:
    return _move(alert_id, "resolved", now)


@requires("analyst", "mark alerts as false alarms")
def mark_false_alarm(alert_id: int, now: datetime | None = None) -> dict:
    """The alert should not have fired: counted in its rule's false-alarm rate."""
    return _move(alert_id, "false_alarm", now)


@requires("analyst", "reopen alerts")
def reopen_alert(alert_id: int, now: datetime | None = None) -> dict:
    """Reopen a resolved alert or a false alarm: it is open again (and no longer counts as a false alarm)."""
    return _move(alert_id, "open", now)


@requires("analyst", "assign alerts")
def assign_alert(alert_id: int, username: str) -> dict:
    """Assign an alert that is still being worked on (open, acknowledged or snoozed) to an existing, active user."""
    wanted = (username or "").strip()
    if not wanted:
        raise ValueError("pick the user to assign the alert to")
    names = {name.lower(): name for name in accounts.active_usernames()}
    if wanted.lower() not in names:
        raise ValueError(f"there is no active user named {wanted!r} to assign alert #{alert_id} to")
    assignee = names[wanted.lower()]
    before: dict = {}

    def change(alert: dict) -> dict:
        if alert["state"] in FINAL:
            state = PHRASES[alert["state"]]
            raise ValueError(f"alert #{alert['id']} is {state}; only an open, acknowledged or snoozed alert can be assigned")
        before.update(alert)
        return {"assignee": assignee}

    changed = alert_rows.change_alert(alert_id, change)
    record("alert assigned", f"alert #{alert_id}", detail={"rule": changed["rule"], "assignee": assignee, "from": before["assignee"]})
    return changed


def holds_back(
    state: str | None, changed_at: datetime | None, snoozed_until: datetime | None, cooldown_hours: float, now: datetime
) -> bool:
    """Whether a rule whose latest alert is in ``state`` must stay quiet at ``now``: acknowledged or snoozed
    less than the rule's cooldown ago, or snoozed until after ``now``."""
    if state not in ("acknowledged", "snoozed"):
        return False
    if state == "snoozed" and snoozed_until is not None and snoozed_until > now:
        return True
    return changed_at is not None and now - changed_at < timedelta(hours=cooldown_hours)
