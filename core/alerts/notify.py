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

from core.alerts.email import compose_alert_email
from core.auth import requires
from core.repositories import alerts as alert_rows
from core.settings import get_settings
from core.storage.tables import naive_utc

log = logging.getLogger(__name__)
STUCK_AFTER = timedelta(minutes=10)
INTERRUPTED = "worker stopped while sending; not retried automatically to avoid a duplicate email — use Retry"
# Errors about this one message; any other error (connection, TLS, login) would fail the next ones too.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


def due_alert_ids(now: datetime | None = None) -> list[int]:
    """Alerts whose email should be (re)sent now, oldest first."""
    return alert_rows.due_email_ids(naive_utc(now), get_settings().email_max_attempts)


def _claim(alert_id: int, now: datetime) -> bool:
    """Mark the alert 'sending' if it is still due; False when another run got it first."""
    return alert_rows.claim_email(alert_id, now, get_settings().email_max_attempts)


def deliver(message: EmailMessage) -> dict:
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
    recipients = alert_rows.mark_email_sent(alert_id, now, note)
    log.info("alert %s: email sent to %d recipient(s)", alert_id, recipients - len(refused))


def next_attempt(attempts: int, max_attempts: int, now: datetime, error: str) -> tuple[datetime | None, str]:
    """When to try a failed email again (exponential backoff: 1, 2, 4… minutes) and the error to show;
    no next attempt once ``max_attempts`` are used up."""
    if attempts >= max_attempts:
        return None, f"gave up after {attempts} attempts: {error}"
    return now + timedelta(minutes=2 ** (attempts - 1)), error


def _mark_failed(alert_id: int, now: datetime, error: str) -> None:
    max_attempts = get_settings().email_max_attempts
    attempts = alert_rows.mark_email_failed(alert_id, lambda done: next_attempt(done, max_attempts, now, error))
    log.warning("alert %s: email attempt %d failed: %s", alert_id, attempts, error)


def _send_one(alert_id: int, now: datetime) -> bool | None:
    """True sent, False failed for this message only, None failed in a way that would fail the rest too."""
    try:
        message = compose_alert_email(alert_id)
    except Exception as exc:
        _mark_failed(alert_id, now, f"could not compose the email: {type(exc).__name__}: {exc}")
        return False
    try:
        refused = deliver(message)
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
    stuck = alert_rows.stuck_sending_to_failed(naive_utc(now) - STUCK_AFTER, INTERRUPTED)
    for alert_id in stuck:  # no next attempt time: never picked up automatically
        log.warning("alert %s: %s", alert_id, INTERRUPTED)
    return len(stuck)


def _check_retry(alert_id: int, email: dict) -> None:
    if not email["recipients"]:
        raise ValueError("this alert has no recipients, so there is no email to send")
    if email["email_status"] == "sent":
        raise ValueError(f"the email for alert {alert_id} was already sent at {email['email_sent_at']:%Y-%m-%d %H:%M} UTC")
    if email["email_status"] == "sending":
        raise ValueError(f"the email for alert {alert_id} is being sent right now")


@requires("analyst", "retry alert emails")
def retry_alert_email(alert_id: int) -> None:
    """Queue a failed alert email again (the Retry button); it goes out at the worker's next cycle."""
    alert_rows.requeue_email(alert_id, lambda email: _check_retry(alert_id, email))
