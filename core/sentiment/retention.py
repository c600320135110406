"""Keeping feed items for a set number of days (``BEACON_KEEP_ITEMS_DAYS``): the worker deletes older items a batch
per cycle, so a first run over years of items never holds up crawling, and the crawler does not store them again from
a feed document that still lists them. Unset, every item is kept."""

from __future__ import annotations

from datetime import datetime

from core.repositories import items
from core.retention import BATCH, KeptFor, delete_expired, oldest_day_kept
from core.settings import get_settings

ITEMS = KeptFor("BEACON_KEEP_ITEMS_DAYS", "item", "old feed items deleted", "published_before")


def first_day_kept(now: datetime | None = None) -> datetime | None:
    """The first day whose items are kept under the settings, or None when every item is kept."""
    days = get_settings().keep_items_days
    return None if days is None else oldest_day_kept(days, now)


def delete_old_items(now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """The worker's retention step: what it deleted, or why it deleted nothing."""
    return delete_expired(ITEMS, get_settings().keep_items_days, items.delete_items_published_before, now, limit)
