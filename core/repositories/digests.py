"""The SQL of digests: subscription rows, the one row per sent period (claimed once across workers) and the
numbers a digest shows. The rules (validation, schedule, retries) live in ``core.digests``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError

from core.repositories import items
from core.repositories.owned import delete_owned, save_owned
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, DigestSend, DigestSubscription

FIELDS = ("scope_type", "scope_value", "frequency", "weekday", "send_time", "time_zone", "recipients", "enabled")

# --- subscriptions ----------------------------------------------------------------------------


def _as_dict(row: DigestSubscription) -> dict:
    return {"id": row.id, "name": row.name, **{k: getattr(row, k) for k in FIELDS}, "owner": row.owner, "created_at": row.created_at}


def list_subscriptions() -> list[dict]:
    with session_scope() as session:
        return [_as_dict(r) for r in session.scalars(select(DigestSubscription).order_by(DigestSubscription.name))]


def get_subscription(name: str) -> dict | None:
    with session_scope() as session:
        row = session.scalar(select(DigestSubscription).where(DigestSubscription.name == name))
        return _as_dict(row) if row else None


def enabled_subscriptions() -> list[dict]:
    with session_scope() as session:
        query = select(DigestSubscription).where(DigestSubscription.enabled).order_by(DigestSubscription.id)
        return [_as_dict(r) for r in session.scalars(query)]


def save_subscription(subscription: dict, check_owner: Callable[[str | None], str]) -> int:
    """Create or update (by name); ``check_owner`` as in ``core.repositories.owned.save_owned``."""
    return save_owned(DigestSubscription, subscription["name"], check_owner, {k: subscription[k] for k in FIELDS})


def delete_subscription(name: str, check_owner: Callable[[str | None], object]) -> bool:
    """Delete the subscription and its send history; False when there is none."""
    return delete_owned(DigestSubscription, name, lambda _session, owner: check_owner(owner))


# --- sends: one row per subscription and period -------------------------------------------------


def _retry_due(now: datetime, max_attempts: int):
    return and_(
        DigestSend.status == "failed",
        DigestSend.attempts < max_attempts,
        DigestSend.next_attempt_at.is_not(None),
        DigestSend.next_attempt_at <= now,
    )


def digests_using(session, scope_type: str, name: str) -> list[str]:  # noqa: ANN001 - the caller's Session
    """The names of the digests whose scope is the watchlist ``name``."""
    where = (DigestSubscription.scope_type == scope_type, DigestSubscription.scope_value == name)
    return list(session.scalars(select(DigestSubscription.name).where(*where).order_by(DigestSubscription.name)))


def claim_send(subscription_id: int, key: str, start: datetime, end: datetime, now: datetime, max_attempts: int) -> int | None:
    """Claim the period for sending: insert its row ('sending'), or take a failed one whose retry is due. The unique
    (subscription, period) constraint lets only one worker insert it. Returns the row id, None when the period is
    sent, being sent, or waiting for its next attempt."""
    try:
        with session_scope() as session:
            send = DigestSend(
                subscription_id=subscription_id,
                period_key=key,
                period_start=start,
                period_end=end,
                status="sending",
                attempts=1,
                next_attempt_at=now,
            )
            session.add(send)
            session.flush()
            return send.id
    except IntegrityError:
        pass  # the period has a row already: sent, being sent, or failed
    with session_scope() as session:
        send_id = session.scalar(select(DigestSend.id).where(DigestSend.subscription_id == subscription_id, DigestSend.period_key == key))
        if send_id is None:
            return None
        result = session.execute(
            update(DigestSend)
            .where(DigestSend.id == send_id, _retry_due(now, max_attempts))
            .values(status="sending", attempts=DigestSend.attempts + 1, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        return send_id if result.rowcount == 1 else None


def mark_sent(send_id: int, now: datetime, note: str | None) -> None:
    with session_scope() as session:
        send = session.get(DigestSend, send_id)
        send.status, send.sent_at, send.next_attempt_at, send.error = "sent", now, None, note


def mark_failed(send_id: int, plan: Callable[[int], tuple[datetime | None, str]]) -> int:
    """``plan(attempts so far)`` gives (next attempt time or None, error text); returns the attempts so far."""
    with session_scope() as session:
        send = session.get(DigestSend, send_id)
        send.status = "failed"
        send.next_attempt_at, send.error = plan(send.attempts)
        return send.attempts


def _send_dict(s: DigestSend) -> dict:
    return {
        "id": s.id,
        "period": s.period_key,
        "status": s.status,
        "attempts": s.attempts,
        "sent_at": s.sent_at,
        "next_attempt_at": s.next_attempt_at,
        "error": s.error,
    }


def sends_of(subscription_id: int, limit: int = 50) -> list[dict]:
    with session_scope() as session:
        query = select(DigestSend).where(DigestSend.subscription_id == subscription_id).order_by(DigestSend.period_end.desc()).limit(limit)
        return [_send_dict(s) for s in session.scalars(query)]


def requeue_send(subscription_id: int, period_key: str, check: Callable[[dict], None]) -> dict:
    """Queue a period's digest again ('queued'); ``check(send)`` raises to refuse. The update is conditional on the
    state that was checked, so a send that finished (or was queued by someone else) meanwhile is not queued.
    LookupError when the period has no send; returns the send as it was."""
    with session_scope() as session:
        row = session.scalar(select(DigestSend).where(DigestSend.subscription_id == subscription_id, DigestSend.period_key == period_key))
        if row is None:
            raise LookupError(f"no digest send for the period {period_key}")
        before = _send_dict(row)
        check(before)
        result = session.execute(
            update(DigestSend)
            .where(DigestSend.id == row.id, DigestSend.status == before["status"], DigestSend.attempts == before["attempts"])
            .values(status="queued", next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise ValueError(f"the digest for {period_key} changed meanwhile; look again")
        return before


def queued_send_ids() -> list[int]:
    with session_scope() as session:
        return list(session.scalars(select(DigestSend.id).where(DigestSend.status == "queued").order_by(DigestSend.id)))


def claim_queued(send_id: int, now: datetime) -> tuple[int, str, datetime, datetime] | None:
    """Take a queued send for sending (one worker wins); (subscription id, period key, start, end), or None."""
    with session_scope() as session:
        result = session.execute(
            update(DigestSend)
            .where(DigestSend.id == send_id, DigestSend.status == "queued")
            .values(status="sending", attempts=DigestSend.attempts + 1, next_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            return None
        s = session.get(DigestSend, send_id)
        return s.subscription_id, s.period_key, s.period_start, s.period_end


def subscription_by_id(subscription_id: int) -> dict | None:
    with session_scope() as session:
        row = session.get(DigestSubscription, subscription_id)
        return _as_dict(row) if row else None


# --- what a digest shows ------------------------------------------------------------------------


def counts(scope_type: str, scope_value: str, start: datetime, end: datetime) -> tuple[int, int]:
    """(scored stories, negative stories) of the scope published in [start, end): a story counts once, through its
    lead item, as the Financial sentiment page counts by default."""
    with session_scope() as session:
        window = items.ScopeWindow(items.scope_filter(session, scope_type, scope_value), start, end, end_inclusive=False, stories=True)
        return items.count_in_window(session, window)


def worst_negative(scope_type: str, scope_value: str, start: datetime, end: datetime, limit: int) -> list[dict]:
    """The most negative stories of the scope in [start, end) (their lead items, each with its sources), as
    ``items.articles_in_order`` rows; negative ones only."""
    with session_scope() as session:
        window = items.ScopeWindow(items.scope_filter(session, scope_type, scope_value), start, end, end_inclusive=False, stories=True)
        ids = items.worst_in_window(session, window, limit * 3)
    return [row for row in items.articles_in_order(ids) if row["sentiment"] == "negative"][:limit]


def alerts_fired(scope_type: str, scope_value: str, start: datetime, end: datetime) -> list[dict]:
    """Alerts for windows ending in [start, end) (an alert fires at its window's end): all of them for the 'all' scope,
    else those of rules with the same scope."""
    query = select(Alert, AlertRule.name).join(AlertRule).where(Alert.window_end >= start, Alert.window_end < end)
    if scope_type != "all":
        query = query.where(AlertRule.scope_type == scope_type, AlertRule.scope_value == scope_value)
    with session_scope() as session:
        return [
            {
                "id": a.id,
                "rule": name,
                "fired_at": a.window_end,
                "reason": a.reason,
                "items": a.item_count,
                "negative_share": a.negative_share,
                "state": a.state,
                "state_changed_by": a.state_changed_by,
            }
            for a, name in session.execute(query.order_by(Alert.window_end, Alert.id))
        ]
