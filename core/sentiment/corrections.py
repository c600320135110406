"""Reviewer corrections of an item's sentiment or topic: stored, applied to the item, and offered as
extra training rows for the next model version (continuous learning from reviewers)."""

from __future__ import annotations

from core.auth import record, require
from core.nlp.datacheck import SENTIMENT_LABELS
from core.repositories import items
from core.sentiment.score_items import article_text

CORRECTABLE = ("sentiment", "topic")


def correct_label(article_id: int, field: str, new_label: str, allowed: list[str]) -> None:
    """Record, as the signed-in user, that ``field`` of the article should be ``new_label`` and show it
    on the item at once. A second correction of the same item and field replaces the first."""
    user = require("analyst", "correct labels").username
    if field not in CORRECTABLE:
        raise ValueError(f"only {' or '.join(CORRECTABLE)} can be corrected, not {field!r}")
    new_label = (new_label or "").strip()
    if new_label not in allowed:
        raise ValueError(f"{new_label!r} is not a {field} label; choose one of: {', '.join(allowed)}")
    items.store_correction(article_id, field, new_label, user, article_text)
    record("label corrected", f"item {article_id}", detail={"field": field, "label": new_label})


def label_choices(field: str) -> list[str]:
    """The labels a reviewer may pick: those of the task's active model (sentiment and topic tasks
    share their field's name)."""
    from core.nlp import registry

    active = registry.find_active(field)
    if active:
        return active.labels
    return list(SENTIMENT_LABELS) if field == "sentiment" else []


def correction_count(field: str) -> int:
    return items.correction_count(field)


def corrections_for_training(field: str) -> list[tuple[str, str]]:
    """(text, corrected label) rows for the training set of the ``field`` task, oldest first."""
    rows = items.corrected_labels(field)
    return [(text, label) for text, label in rows if text.strip()]
