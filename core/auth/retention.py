"""Keeping the audit log for a set number of days (``BEACON_KEEP_AUDIT_DAYS``): it names people and what they did,
which data-protection rules often limit in time. The worker deletes older events a batch per cycle; the deletion
is itself an event, so the log always says what went and why. Unset, every event is kept."""

from __future__ import annotations

from datetime import datetime

from core.repositories import users as accounts
from core.retention import BATCH, KeptFor, delete_expired
from core.settings import get_settings

AUDIT_EVENTS = KeptFor("BEACON_KEEP_AUDIT_DAYS", "audit event", "old audit events deleted", "recorded_before")


def delete_old_events(now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """The worker's audit-log step: what it deleted, or why it deleted nothing."""
    return delete_expired(AUDIT_EVENTS, get_settings().keep_audit_days, accounts.delete_events_before, now, limit)
