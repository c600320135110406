"""Keeping feed items for a set number of days (``BEACON_KEEP_ITEMS_DAYS``): the worker deletes older items a batch
per cycle, so a first run over years of items never holds up crawling, and the crawler does not store them again from
a feed document that still lists them. Unset, every item is kept."""

from __future__ import annotations

from datetime import datetime

from core.auth import record
from core.repositories import items
from core.retention import oldest_day_kept
from core.settings import get_settings
from core.wording import count_of

BATCH = 5_000  # items deleted per worker cycle at most


def first_day_kept(now: datetime | None = None) -> datetime | None:
    """The first day whose items are kept under the settings, or None when every item is kept."""
    days = get_settings().keep_items_days
    return None if days is None else oldest_day_kept(days, now)


def delete_old_items(now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """The worker's retention step: what it deleted, or why it deleted nothing."""
    first_kept = first_day_kept(now)
    if first_kept is None:
        return "every item kept (BEACON_KEEP_ITEMS_DAYS not set)"
    deleted = items.delete_items_published_before(first_kept, limit)
    before = first_kept.date().isoformat()
    if deleted:  # data deleted without anyone's click: the audit log says when, how much and why
        record("old feed items deleted", count_of(deleted, "item"),
               detail={"published_before": before, "setting": "BEACON_KEEP_ITEMS_DAYS"})
    return {"deleted": deleted, "before": before}
