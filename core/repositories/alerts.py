"""The SQL of alert rules and alerts: rule rows, alert rows, the email delivery states of an alert, and the
write lock alert detection takes. The rules (validation, the spike test, cooldowns, retries) live in
``core.alerts``; this module only reads and writes rows. Queries over the items in a rule's scope are in
``core.repositories.items``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, update
from sqlalchemy.orm import Session

from core.repositories.owned import delete_owned, save_owned
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Feed, Watchlist

RULE_FIELDS = (
    "scope_value", "window_hours", "min_items", "mode", "threshold", "baseline_days", "cooldown_hours", "recipients", "enabled",
    "count_items",
)

# --- rules ------------------------------------------------------------------------------------


def rule_as_dict(rule: AlertRule) -> dict:
    return {"id": rule.id, "name": rule.name, "scope_type": rule.scope_type, **{k: getattr(rule, k) for k in RULE_FIELDS}}


def list_rules() -> list[dict]:
    with session_scope() as session:
        return [rule_as_dict(r) for r in session.scalars(select(AlertRule).order_by(AlertRule.name))]


def rule_owner(name: str) -> tuple[bool, str | None]:
    """(whether a rule of that name exists, its owner)."""
    with session_scope() as session:
        row = session.scalar(select(AlertRule).where(AlertRule.name == name))
        return (row is not None, row.owner if row else None)


def save_rule(rule: dict, check_owner: Callable[[str | None], str]) -> int:
    """Create or update (by name) the rule; ``check_owner(current owner)`` runs inside the transaction
    and returns the owner of a new rule (it raises when the user may not change the rule)."""
    values = {"scope_type": rule["scope_type"], **{key: rule[key] for key in RULE_FIELDS}}
    return save_owned(AlertRule, rule["name"], check_owner, values)


def delete_rule(name: str, check_owner: Callable[[str | None], object]) -> bool:
    """Delete the rule and its alerts; False when there is none. ``check_owner`` as in ``save_rule``."""
    return delete_owned(AlertRule, name, lambda _session, owner: check_owner(owner))


def rules_using(session: Session, scope_type: str, name: str) -> list[str]:
    """The names of the alert rules that watch the watchlist or feed ``name``."""
    where = (AlertRule.scope_type == scope_type, AlertRule.scope_value == name)
    return list(session.scalars(select(AlertRule.name).where(*where).order_by(AlertRule.name)))


def rules_watching(scope_type: str, name: str) -> list[str]:
    """The names of the alert rules that watch the watchlist or feed ``name``."""
    with session_scope() as session:
        return rules_using(session, scope_type, name)


def rename_scope(session: Session, scope_type: str, old: str, new: str) -> None:
    """Point the rules that watch ``old`` (a feed being renamed) at ``new``."""
    session.execute(update(AlertRule).where(AlertRule.scope_type == scope_type, AlertRule.scope_value == old)
                    .values(scope_value=new))  # fmt: skip


def scope_names(scope_type: str) -> list[str]:
    """The names a watchlist or feed scope can take (what a rule or digest may name), sorted."""
    table = {"watchlist": Watchlist, "feed": Feed}[scope_type]
    with session_scope() as session:
        return list(session.scalars(select(table.name).order_by(table.name)))


def unsaved_rule(name: str, scope_type: str, **fields: object) -> AlertRule:
    """A rule row that is never stored (the rule preview)."""
    return AlertRule(name=name, scope_type=scope_type, **{k: fields[k] for k in RULE_FIELDS})


def enabled_rule_ids() -> list[int]:
    with session_scope() as session:
        return list(session.scalars(select(AlertRule.id).where(AlertRule.enabled).order_by(AlertRule.id)))


def lock_enabled_rule(session: Session, rule_id: int) -> AlertRule | None:
    """The enabled rule, holding the write lock until the transaction ends: the rule row on PostgreSQL,
    the database on SQLite (which has no row locks; pysqlite starts no transaction for reads by itself),
    so two workers cannot both pass the cooldown check."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))
    return session.scalar(select(AlertRule).where(AlertRule.id == rule_id, AlertRule.enabled).with_for_update())


# --- alerts -----------------------------------------------------------------------------------


def last_alert(session: Session, rule_id: int) -> Alert | None:
    """The rule's alert for the latest window."""
    return session.scalar(select(Alert).where(Alert.rule_id == rule_id).order_by(Alert.window_end.desc(), Alert.id.desc()).limit(1))


def add_alert(session: Session, **values: object) -> int:
    alert = Alert(**values)
    session.add(alert)
    session.flush()
    return alert.id


def _alert_row(alert: Alert, rule_name: str) -> dict:
    return {
        "id": alert.id,
        "fired_at": alert.fired_at,
        "rule": rule_name,
        "scope": alert.scope_label,
        "window_start": alert.window_start,
        "window_end": alert.window_end,
        "items": alert.item_count,
        "counted": alert.counted,
        "negatives": alert.negative_count,
        "negative_share": alert.negative_share,
        "baseline_share": alert.baseline_share,
        "reason": alert.reason,
        "email_status": alert.email_status,
        "email_attempts": alert.email_attempts,
        "email_error": alert.email_last_error,
        "email_sent_at": alert.email_sent_at,
        "email_next_attempt_at": alert.email_next_attempt_at,
        "rule_id": alert.rule_id,
        "state": alert.state,
        "assignee": alert.assignee,
        "snoozed_until": alert.snoozed_until,
        "state_changed_by": alert.state_changed_by,
        "state_changed_at": alert.state_changed_at,
    }


def list_alerts(limit: int = 200) -> list[dict]:
    """The newest alerts first."""
    with session_scope() as session:
        rows = session.execute(
            select(Alert, AlertRule.name)
            .join(AlertRule, AlertRule.id == Alert.rule_id)
            .order_by(Alert.fired_at.desc(), Alert.id.desc())
            .limit(limit)
        ).all()
        return [_alert_row(alert, name) for alert, name in rows]


def alert_count() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count(Alert.id))) or 0


def get_alert(alert_id: int) -> dict | None:
    """One alert with its rule (``rule_row``), recipients and worst item ids; None when it does not exist."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return None
        rule = session.get(AlertRule, alert.rule_id)
        return {
            **_alert_row(alert, rule.name),
            "rule_row": rule_as_dict(rule),
            "recipients": list(alert.recipients),
            "article_ids": list(alert.article_ids),
        }


def change_alert(alert_id: int, change: Callable[[dict], dict]) -> dict:
    """Change an alert's workflow fields: ``change(the alert as a dict)`` runs in the transaction, with the
    alert row locked, and returns the fields to set (it raises to refuse). Returns the alert as changed.
    LookupError when the alert does not exist."""
    with session_scope() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE"))  # no row locks: two changes cannot both read the old state
        alert = session.scalar(select(Alert).where(Alert.id == alert_id).with_for_update())
        if alert is None:
            raise LookupError(f"alert #{alert_id} does not exist")
        rule_name = session.scalar(select(AlertRule.name).where(AlertRule.id == alert.rule_id))
        for key, value in change(_alert_row(alert, rule_name)).items():
            setattr(alert, key, value)
        session.flush()
        return _alert_row(alert, rule_name)


def alert_counts_by_rule() -> dict[int, tuple[int, int]]:
    """rule id -> (its alerts marked a false alarm, all its alerts), for rules with at least one alert."""
    false_alarms = func.sum(case((Alert.state == "false_alarm", 1), else_=0))
    query = select(Alert.rule_id, false_alarms, func.count()).group_by(Alert.rule_id)
    with session_scope() as session:
        return {rule_id: (int(marked or 0), int(total)) for rule_id, marked, total in session.execute(query)}


# --- email delivery ---------------------------------------------------------------------------


def _email_due(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    return and_(
        Alert.email_attempts < max_attempts,
        or_(Alert.email_status == "pending", and_(Alert.email_status == "failed", Alert.email_next_attempt_at <= now)),
    )


def due_email_ids(now: datetime, max_attempts: int) -> list[int]:
    """Alerts whose email should be (re)sent now, oldest first."""
    with session_scope() as session:
        return list(session.scalars(select(Alert.id).where(_email_due(now, max_attempts)).order_by(Alert.id)))


def claim_email(alert_id: int, now: datetime, max_attempts: int) -> bool:
    """Mark the alert 'sending' if its email is still due; False when another run got it first."""
    with session_scope() as session:
        result = session.execute(
            update(Alert)
            .where(Alert.id == alert_id, _email_due(now, max_attempts))
            # while 'sending', email_next_attempt_at holds when the send started (see stuck_sending_to_failed)
            .values(email_status="sending", email_attempts=Alert.email_attempts + 1, email_next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def mark_email_sent(alert_id: int, now: datetime, note: str | None) -> int:
    """Returns how many recipients the alert has."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        alert.email_status, alert.email_sent_at = "sent", now
        alert.email_next_attempt_at, alert.email_last_error = None, note
        return len(alert.recipients)


def mark_email_failed(alert_id: int, plan: Callable[[int], tuple[datetime | None, str]]) -> int:
    """Mark the email 'failed'; ``plan(attempts so far)`` gives (next attempt time or None, error text).
    Returns the attempts so far."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        alert.email_status = "failed"
        alert.email_next_attempt_at, alert.email_last_error = plan(alert.email_attempts)
        return alert.email_attempts


def stuck_sending_to_failed(started_before: datetime, error: str) -> list[int]:
    """Alerts 'sending' since before ``started_before`` become 'failed' with no next attempt; their ids."""
    with session_scope() as session:
        stuck = session.scalars(
            select(Alert).where(
                Alert.email_status == "sending",
                or_(Alert.email_next_attempt_at.is_(None), Alert.email_next_attempt_at < started_before),
            )
        ).all()
        for alert in stuck:
            alert.email_status, alert.email_next_attempt_at, alert.email_last_error = "failed", None, error
        return [alert.id for alert in stuck]


def requeue_email(alert_id: int, check: Callable[[dict], None]) -> None:
    """Queue the email again; ``check(email state)`` runs in the transaction and raises to refuse.
    LookupError when the alert does not exist."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} does not exist")
        check({"recipients": list(alert.recipients), "email_status": alert.email_status, "email_sent_at": alert.email_sent_at})
        alert.email_status, alert.email_attempts, alert.email_next_attempt_at = "pending", 0, None

