"""The big numbers above a page's tables (st.metric) group thousands, as every other number on the pages."""

from __future__ import annotations


def test_headline_counts_group_thousands_as_the_other_numbers_on_the_pages() -> None:
    from types import SimpleNamespace

    import pandas as pd

    from core.views.customer_service import batch_counts, import_counts
    from core.views.model_studio import check_counts

    report = SimpleNamespace(rows=13_000, answered=1_300, escalated=11_700, checked=0)
    assert batch_counts(report) == [("Questions", "13,000"), ("Answered", "1,300 (10%)"), ("Escalated", "11,700 (90%)")]
    kb = SimpleNamespace(added=[None] * 1540, updated=[], unchanged=0, rejected=[None] * 6, flagged=[])
    assert import_counts(kb)[0] == ("Added", "1,540") and import_counts(kb)[3] == ("Rejected", "6")
    check = SimpleNamespace(rows_total=13_000, rows_kept=12_990, dropped=[None] * 10, class_counts={"a": 1, "b": 2})
    assert check_counts(pd.DataFrame({"text": range(13_000)}), check) == {
        "Rows in file": "13,000", "Usable rows": "12,990", "Dropped rows": "10", "Classes": "2"}
