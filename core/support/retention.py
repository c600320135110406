"""Keeping the questions customers asked (the assistant's log, personal data masked) for a set number of days
(``BEACON_KEEP_QUESTIONS_DAYS``), as a support team's data-protection rules often require: the worker deletes older
ones a batch per cycle. Unset, every question is kept."""

from __future__ import annotations

from datetime import datetime

from core.auth import record
from core.repositories import knowledge_bases as kb_store
from core.retention import oldest_day_kept
from core.settings import get_settings
from core.wording import count_of

BATCH = 5_000  # questions deleted per worker cycle at most


def delete_old_questions(now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """The worker's question-log step: what it deleted, or why it deleted nothing."""
    days = get_settings().keep_questions_days
    if days is None:
        return "every question kept (BEACON_KEEP_QUESTIONS_DAYS not set)"
    first_kept = oldest_day_kept(days, now)
    deleted = kb_store.delete_questions_asked_before(first_kept, limit)
    before = first_kept.date().isoformat()
    if deleted:  # data deleted without anyone's click: the audit log says when, how much and why
        record("old asked questions deleted", count_of(deleted, "question"),
               detail={"asked_before": before, "setting": "BEACON_KEEP_QUESTIONS_DAYS"})
    return {"deleted": deleted, "before": before}

