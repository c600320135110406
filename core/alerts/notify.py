"""Deliver alert emails: claimed before sending, marked after, retried with backoff on SMTP errors.

An alert left in 'sending' (the worker died mid-send) is not retried automatically: the mail may
have gone out, and a duplicate is worse than asking a person to press Retry.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from core.alerts.email import compose_alert_email
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert, utcnow

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=10)


def _send(message) -> None:
    s = get_settings()
    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
        if s.smtp_starttls:
            smtp.starttls()
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        smtp.send_message(message)


def _claim(now: datetime) -> int | None:
    with session_scope() as session:
        alert = session.scalar(
            select(Alert)
            .where(
                Alert.email_attempts < get_settings().email_max_attempts,
                or_(
                    Alert.email_status == "pending",
                    (Alert.email_status == "failed") & (Alert.email_next_attempt_at <= now),
                ),
            )
            .order_by(Alert.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if alert is None:
            return None
        alert.email_status, alert.email_attempts = "sending", alert.email_attempts + 1
        alert.email_next_attempt_at = now
        return alert.id


def send_pending_alerts(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    counts = {"sent": 0, "failed": 0}
    while (alert_id := _claim(now)) is not None:
        try:
            _send(compose_alert_email(alert_id))
        except (smtplib.SMTPException, OSError) as exc:
            _mark_failed(alert_id, now, f"{type(exc).__name__}: {exc}")
            counts["failed"] += 1
            continue
        with session_scope() as session:
            alert = session.get(Alert, alert_id)
            alert.email_status, alert.email_sent_at, alert.email_last_error = "sent", utcnow(), None
        counts["sent"] += 1
    return counts


def _mark_failed(alert_id: int, now: datetime, error: str) -> None:
    log.warning("alert %s email failed: %s", alert_id, error)
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        alert.email_status, alert.email_last_error = "failed", error[:1000]
        alert.email_next_attempt_at = now + timedelta(minutes=2 ** (alert.email_attempts - 1))


def recover_interrupted_sends(now: datetime | None = None) -> int:
    now = now or utcnow()
    with session_scope() as session:
        stuck = session.scalars(
            select(Alert).where(Alert.email_status == "sending", Alert.email_next_attempt_at < now - STUCK_AFTER)
        ).all()
        for alert in stuck:
            alert.email_status = "failed"
            alert.email_attempts = get_settings().email_max_attempts  # never picked up automatically
            alert.email_last_error = (
                "worker stopped while sending; not retried automatically to avoid a duplicate email — use Retry"
            )
        return len(stuck)


def retry_alert_email(alert_id: int) -> None:
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} does not exist")
        if not alert.recipients:
            raise ValueError("this alert has no recipients")
        alert.email_status, alert.email_attempts, alert.email_next_attempt_at = "pending", 0, None
