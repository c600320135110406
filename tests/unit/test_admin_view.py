from __future__ import annotations

from core.views import admin as view


def test_event_details_read_as_words() -> None:
    assert view.detail_text({"task": "sentiment", "rows": 300, "base_model": "fast"}) == "task: sentiment · rows: 300 · base model: fast"
    assert view.detail_text({}) == "" and view.detail_text(None) == ""
    assert view.detail_text({"enabled": False, "mask_pii": True, "tasks": {"sentiment": 2, "topic": 1}}) == (
        "enabled: no · mask pii: yes · tasks: sentiment 2, topic 1"
    )
    assert view.detail_text({"companies": "Acme", "tickers": "", "keywords": "recall", "note": None, "rows": 0}) == (
        "companies: Acme · keywords: recall · rows: 0")  # empty values say nothing; a zero does
    assert view.detail_text({"recipients": ["risk@example.com", "ana@example.com"]}) == "recipients: risk@example.com, ana@example.com"


def test_the_any_choices_filter_nothing() -> None:
    assert view.chosen_filter(view.ANYONE) == "" and view.chosen_filter(view.ANY_ACTION) == ""
    assert view.chosen_filter("signed in") == "signed in"
