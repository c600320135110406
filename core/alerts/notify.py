"""Deliver alert emails: each alert is claimed ('sending', committed) before the SMTP conversation and
marked 'sent' after it; SMTP or connection errors mark it 'failed' and retry it with exponential backoff.

An alert left in 'sending' (the worker died mid-send) is not retried automatically: the email may
have gone out, and a duplicate is worse than asking a person to press Retry.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import ColumnElement, and_, or_, select, update

from core.alerts.detect import naive_utc
from core.alerts.email import compose_alert_email
from core.auth import requires
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=10)
INTERRUPTED = "worker stopped while sending; not retried automatically to avoid a duplicate email — use Retry"
# Errors about this one message; any other error (connection, TLS, login) would fail the next ones too.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Alert.email_attempts < get_settings().email_max_attempts,
        or_(
            Alert.email_status == "pending",
            and_(Alert.email_status == "failed", Alert.email_next_attempt_at <= now),
        ),
    )


def due_alert_ids(now: datetime | None = None) -> list[int]:
    """Alerts whose email should be (re)sent now, oldest first."""
    with session_scope() as session:
        return list(session.scalars(select(Alert.id).where(_due(naive_utc(now))).order_by(Alert.id)))


def _claim(alert_id: int, now: datetime) -> bool:
    """Mark the alert 'sending' if it is still due; False when another run got it first."""
    with session_scope() as session:
        result = session.execute(
            update(Alert)
            .where(Alert.id == alert_id, _due(now))
            # while 'sending', email_next_attempt_at holds when the send started (see recover_interrupted_sends)
            .values(email_status="sending", email_attempts=Alert.email_attempts + 1, email_next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def _deliver(message: EmailMessage) -> dict:
    """Send over SMTP; returns the refused recipients (empty when all accepted)."""
    s = get_settings()
    smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s)
    try:
        if s.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if s.smtp_user:
            smtp.login(s.smtp_user, s.smtp_password)
        return smtp.send_message(message)
    finally:
        # the message is already accepted here; a failing QUIT must not turn it into a retry
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def describe_error(exc: BaseException) -> str:
    """A reason for the alerts view, without secrets."""
    s = get_settings()
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        text = f"{type(exc).__name__}: {exc.smtp_code} {reply}"
    elif isinstance(exc, smtplib.SMTPException):
        text = f"{type(exc).__name__}: {exc}"
    else:
        text = f"could not reach the mail server {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}: {exc}"
    if s.smtp_password:
        text = text.replace(s.smtp_password, "***")
    return text[:1000]


def _mark_sent(alert_id: int, now: datetime, refused: dict) -> None:
    note = f"refused by the mail server: {', '.join(sorted(refused))}" if refused else None
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        alert.email_status, alert.email_sent_at = "sent", now
        alert.email_next_attempt_at, alert.email_last_error = None, note
    log.info("alert %s: email sent to %d recipient(s)", alert_id, len(alert.recipients) - len(refused))


def _mark_failed(alert_id: int, now: datetime, error: str) -> None:
    max_attempts = get_settings().email_max_attempts
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        alert.email_status = "failed"
        if alert.email_attempts >= max_attempts:
            alert.email_next_attempt_at = None
            alert.email_last_error = f"gave up after {alert.email_attempts} attempts: {error}"
        else:
            alert.email_next_attempt_at = now + timedelta(minutes=2 ** (alert.email_attempts - 1))
            alert.email_last_error = error
        attempts = alert.email_attempts
    log.warning("alert %s: email attempt %d failed: %s", alert_id, attempts, error)


def _send_one(alert_id: int, now: datetime) -> bool | None:
    """True sent, False failed for this message only, None failed in a way that would fail the rest too."""
    try:
        message = compose_alert_email(alert_id)
    except Exception as exc:
        _mark_failed(alert_id, now, f"could not compose the email: {type(exc).__name__}: {exc}")
        return False
    try:
        refused = _deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        _mark_failed(alert_id, now, describe_error(exc))
        return False if isinstance(exc, MESSAGE_ERRORS) else None
    _mark_sent(alert_id, now, refused)
    return True


@requires("analyst", "send alert emails")
def send_pending_alerts(now: datetime | None = None) -> dict[str, int]:
    """Send every due alert email once. When the server is unreachable the round stops after the
    first failure; the other alerts wait for the next round rather than each waiting for a timeout."""
    now = naive_utc(now)
    counts = {"sent": 0, "failed": 0}
    for alert_id in due_alert_ids(now):
        if not _claim(alert_id, now):
            continue
        outcome = _send_one(alert_id, now)
        counts["sent" if outcome else "failed"] += 1
        if outcome is None:
            break
    return counts


def recover_interrupted_sends(now: datetime | None = None) -> int:
    """Alerts stuck in 'sending' for more than 10 minutes become 'failed' and wait for a person's Retry."""
    now = naive_utc(now)
    with session_scope() as session:
        stuck = session.scalars(
            select(Alert).where(
                Alert.email_status == "sending",
                or_(Alert.email_next_attempt_at.is_(None), Alert.email_next_attempt_at < now - STUCK_AFTER),
            )
        ).all()
        for alert in stuck:
            # no next attempt time: never picked up automatically
            alert.email_status, alert.email_next_attempt_at, alert.email_last_error = "failed", None, INTERRUPTED
            log.warning("alert %s: %s", alert.id, INTERRUPTED)
        return len(stuck)


@requires("analyst", "retry alert emails")
def retry_alert_email(alert_id: int) -> None:
    """Queue a failed alert email again (the Retry button); it goes out at the worker's next cycle."""
    with session_scope() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            raise LookupError(f"alert {alert_id} does not exist")
        if not alert.recipients:
            raise ValueError("this alert has no recipients, so there is no email to send")
        if alert.email_status == "sent":
            raise ValueError(f"the email for alert {alert_id} was already sent at {alert.email_sent_at:%Y-%m-%d %H:%M} UTC")
        if alert.email_status == "sending":
            raise ValueError(f"the email for alert {alert_id} is being sent right now")
        alert.email_status, alert.email_attempts, alert.email_next_attempt_at = "pending", 0, None
