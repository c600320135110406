"""Every CSV a user downloads is safe to open in a spreadsheet."""

from __future__ import annotations

import pandas as pd

from core.downloads import safe_csv


def test_formula_like_text_cells_are_neutralised_and_numbers_kept():
    texts = ["=HYPERLINK(\"http://x\")", "+1 call me", "-minus", "@sum", "\tTab", "plain"]
    frame = pd.DataFrame({"text": texts, "score": [-1.5, 2, 3, 4, 5, 6]})
    lines = safe_csv(frame).decode().splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",-1.5"
    assert [line.split(",")[0] for line in lines[2:]] == ["'+1 call me", "'-minus", "'@sum", "'\tTab", "plain"]


def test_pages_offer_no_unsafe_csv_downloads():
    """Pages and core build downloadable CSVs only through safe_csv (scoring streams through its own excel-safe writer)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = [
        str(path.relative_to(root))
        for folder in ("pages", "core")
        for path in (root / folder).rglob("*.py")
        if ".to_csv(" in path.read_text() and path.name not in {"downloads.py", "store.py", "runs.py", "export.py"}
    ]
    assert offenders == []
