"""Deleting data kept for a set number of days (``BEACON_KEEP_ITEMS_DAYS``, ``BEACON_KEEP_QUESTIONS_DAYS``,
``BEACON_KEEP_AUDIT_DAYS``): where a setting draws its line (whole UTC days, so a day that is kept is never half
deleted), a batch per worker cycle, and each deletion on record in the audit log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.auth import record
from core.storage.tables import naive_utc
from core.wording import count_of

BATCH = 5_000  # rows deleted per worker cycle at most: a first run over years of data never holds up the cycle


@dataclass(frozen=True)
class KeptFor:
    """What one retention setting keeps, in the words of the worker's log and the audit log."""

    setting: str  # the environment variable
    noun: str  # "item": "every item kept", "3 items"
    audit_action: str
    day_detail: str  # the audit detail naming the first day kept ("published_before")


def oldest_day_kept(days: int, now: datetime | None = None) -> datetime:
    """The start of the first (UTC) day kept when ``days`` whole days are kept."""
    today = naive_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)


def delete_expired(kept: KeptFor, days: int | None, delete_before: Callable[[datetime, int], int],
                   now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """A worker step: delete (``delete_before(first day kept, limit)``) what is older than ``days`` whole days and say
    what went, or why nothing did (``days`` None: everything is kept)."""
    if days is None:
        return f"every {kept.noun} kept ({kept.setting} not set)"
    first_kept = oldest_day_kept(days, now)
    deleted = delete_before(first_kept, limit)
    before = first_kept.date().isoformat()
    if deleted:  # data deleted without anyone's click: the audit log says when, how much and why
        record(kept.audit_action, count_of(deleted, kept.noun), detail={kept.day_detail: before, "setting": kept.setting})
    return {"deleted": deleted, "before": before}
