"""Keeping the questions customers asked (the assistant's log, personal data masked) for a set number of days
(``BEACON_KEEP_QUESTIONS_DAYS``), as a support team's data-protection rules often require: the worker deletes older
ones a batch per cycle. Unset, every question is kept."""

from __future__ import annotations

from datetime import datetime

from core.repositories import knowledge_bases as kb_store
from core.retention import BATCH, KeptFor, delete_expired
from core.settings import get_settings

QUESTIONS = KeptFor("BEACON_KEEP_QUESTIONS_DAYS", "question", "old asked questions deleted", "asked_before")


def delete_old_questions(now: datetime | None = None, limit: int = BATCH) -> dict | str:
    """The worker's question-log step: what it deleted, or why it deleted nothing."""
    return delete_expired(QUESTIONS, get_settings().keep_questions_days, kb_store.delete_questions_asked_before, now, limit)
