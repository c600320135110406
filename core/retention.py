"""Where a retention setting (``BEACON_KEEP_ITEMS_DAYS``, ``BEACON_KEEP_QUESTIONS_DAYS``) draws its line: whole UTC
days, so a day that is kept is never half deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from core.storage.tables import naive_utc


def oldest_day_kept(days: int, now: datetime | None = None) -> datetime:
    """The start of the first (UTC) day kept when ``days`` whole days are kept."""
    today = naive_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=days)
