"""Send due digests: each (subscription, period) is claimed once across workers by inserting its row (unique), then
sent through the alert emails' SMTP path (``core.alerts.notify.deliver``). An SMTP failure marks the period 'failed'
and retries it with the same back-off as alert emails; a sent period is never sent again. A period left 'sending'
(the worker died mid-send) is not retried: the email may have gone out, and a duplicate is worse than a gap.

An analyst can send a period again (``retry_digest``, the Digests tab's Retry): a failed period, or one left
'sending' for longer than ``STUCK_AFTER``, is queued once (audited) and the next worker round sends it, one attempt;
a sent period is never queued.

A subscription's first digest is the first period that ends after it was created; after a long outage only the
latest period is sent, not every missed one."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from datetime import datetime

from core.alerts.notify import MESSAGE_ERRORS, STUCK_AFTER, deliver, describe_error, next_attempt
from core.auth import requires
from core.auth.audit import record
from core.digests.content import build_digest, compose_digest_email, digest_text
from core.digests.schedule import Period, due_period, next_period
from core.digests.subscriptions import schedule_of
from core.repositories import digests as digest_rows
from core.settings import get_settings
from core.storage.tables import naive_utc

log = logging.getLogger(__name__)


def _fail(send_id: int, name: str, now: datetime, error: str, retried: bool = False) -> None:
    """Mark the attempt failed: a scheduled send backs off and tries again; a person's retry was its one attempt."""
    max_attempts = get_settings().email_max_attempts
    plan = (lambda _done: (None, error)) if retried else (lambda done: next_attempt(done, max_attempts, now, error))
    attempts = digest_rows.mark_failed(send_id, plan)
    log.warning("digest %r: attempt %d failed: %s", name, attempts, error)


def _send(sub: dict, period: Period, send_id: int, now: datetime, retried: bool = False) -> bool | None:
    """True sent, False failed for this digest only, None failed in a way that would fail the rest too."""
    try:
        message = compose_digest_email(build_digest(sub, period))
    except Exception as exc:
        _fail(send_id, sub["name"], now, f"could not compose the digest: {type(exc).__name__}: {exc}", retried)
        return False
    try:
        refused = deliver(message)
    except (smtplib.SMTPException, OSError) as exc:
        _fail(send_id, sub["name"], now, describe_error(exc), retried)
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
    for send_id, sub, period, retried in _claimed(now):
        outcome = _send(sub, period, send_id, now, retried)
        counts["sent" if outcome else "failed"] += 1
        if outcome is None:
            break
    return counts


def _claimed(now: datetime) -> Iterator[tuple[int, dict, Period, bool]]:
    """The sends this round makes, each claimed just before it is sent: periods queued again by a person first,
    then each enabled subscription's due period."""
    for send_id in digest_rows.queued_send_ids():
        claimed = digest_rows.claim_queued(send_id, now)
        if claimed is None:
            continue
        sub_id, key, start, end = claimed
        sub = digest_rows.subscription_by_id(sub_id)
        yield send_id, sub, Period(key, start, end), True
    for sub in digest_rows.enabled_subscriptions():
        period = period_to_send(sub, now)
        if period is None or not sub["recipients"]:
            continue
        send_id = digest_rows.claim_send(sub["id"], period.key, period.start, period.end, now, get_settings().email_max_attempts)
        if send_id is not None:
            yield send_id, sub, period, False


def period_to_send(sub: dict, now: datetime) -> Period | None:
    """The period the worker sends for ``sub`` at ``now``: its due one, unless that ended before the subscription
    existed (a new subscription's first digest is the first period that ends after it was created)."""
    period = due_period(schedule_of(sub), now)
    return None if period.end < sub["created_at"] else period


def retry_problem(send: dict, now: datetime) -> str | None:
    """Why the send cannot be queued again at ``now`` (None when it can): sent, queued, or being sent right now."""
    if send["status"] == "sent":
        return f"the digest for {send['period']} was already sent at {send['sent_at']:%Y-%m-%d %H:%M} UTC; it is not sent twice"
    if send["status"] == "queued":
        return f"the digest for {send['period']} is already queued; the worker sends it at its next round"
    if send["status"] == "sending" and send["next_attempt_at"] and send["next_attempt_at"] > now - STUCK_AFTER:
        return f"the digest for {send['period']} is being sent right now"
    return None


@requires("analyst", "retry digests")
def retry_digest(name: str, period_key: str, now: datetime | None = None) -> None:
    """Queue a failed (or interrupted) period of the digest ``name`` once more; the worker's next round sends it."""
    now = naive_utc(now)
    sub = digest_rows.get_subscription(name)
    if sub is None:
        raise LookupError(f"no digest named {name!r}")

    def check(send: dict) -> None:
        problem = retry_problem(send, now)
        if problem:
            raise ValueError(problem)

    before = digest_rows.requeue_send(sub["id"], period_key, check)
    record("digest retry queued", f"{name} {period_key}", detail={"was": before["status"], "error": before["error"]})


def preview_digest(sub: dict, now: datetime | None = None, *, upcoming: bool = False) -> str:
    """The plain text of the digest that is due for ``sub`` at ``now``, or with ``upcoming`` the next one with what has
    been published so far (sends nothing)."""
    schedule, now = schedule_of(sub), naive_utc(now)
    return digest_text(build_digest(sub, next_period(schedule, now) if upcoming else due_period(schedule, now)))
