"""Send due digests: each (subscription, period) is claimed once across workers by inserting its row (unique), then
sent through the alert emails' SMTP path (``core.alerts.notify.deliver``). An SMTP failure marks the period 'failed'
and retries it with the same back-off as alert emails; a sent period is never sent again. A period left 'sending'
(the worker died mid-send) is not retried: the email may have gone out, and a duplicate is worse than a gap.

A subscription's first digest is the first period that ends after it was created; after a long outage only the
latest period is sent, not every missed one."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from core.alerts.notify import MESSAGE_ERRORS, deliver, describe_error, next_attempt
from core.auth import requires
from core.digests.content import build_digest, compose_digest_email, digest_text
from core.digests.schedule import Period, due_period
from core.digests.subscriptions import schedule_of
from core.repositories import digests as digest_rows
from core.settings import get_settings
from core.storage.tables import naive_utc

log = logging.getLogger(__name__)


def _fail(send_id: int, name: str, now: datetime, error: str) -> None:
    max_attempts = get_settings().email_max_attempts
    attempts = digest_rows.mark_failed(send_id, lambda done: next_attempt(done, max_attempts, now, error))
    log.warning("digest %r: attempt %d failed: %s", name, attempts, error)


def _send(sub: dict, period: Period, send_id: int, now: datetime) -> bool | None:
    """True sent, False failed for this digest only, None failed in a way that would fail the rest too."""
    try:
        message = compose_digest_email(build_digest(sub, period))
    except Exception as exc:
        _fail(send_id, sub["name"], now, f"could not compose the digest: {type(exc).__name__}: {exc}")
        return False
    try:
        refused = deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        _fail(send_id, sub["name"], now, describe_error(exc))
        return False if isinstance(exc, MESSAGE_ERRORS) else None
    digest_rows.mark_sent(send_id, now, f"refused by the mail server: {', '.join(sorted(refused))}" if refused else None)
    log.info("digest %r for %s sent to %d recipient(s)", sub["name"], period.key, len(sub["recipients"]) - len(refused))
    return True


@requires("analyst", "send digests")
def send_due_digests(now: datetime | None = None) -> dict[str, int]:
    """Send every digest whose period is due at ``now`` and not sent yet. Stops the round at the first failure that
    would fail the others too (the mail server is unreachable)."""
    now = naive_utc(now)
    counts = {"sent": 0, "failed": 0}
    for sub in digest_rows.enabled_subscriptions():
        period = due_period(schedule_of(sub), now)
        if period.end < sub["created_at"] or not sub["recipients"]:
            continue
        send_id = digest_rows.claim_send(sub["id"], period.key, period.start, period.end, now, get_settings().email_max_attempts)
        if send_id is None:
            continue
        outcome = _send(sub, period, send_id, now)
        counts["sent" if outcome else "failed"] += 1
        if outcome is None:
            break
    return counts


def preview_digest(sub: dict, now: datetime | None = None) -> str:
    """The plain text of the digest that is due for ``sub`` at ``now`` (sends nothing)."""
    return digest_text(build_digest(sub, due_period(schedule_of(sub), naive_utc(now))))
