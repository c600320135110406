"""Every CSV a user downloads is safe to open in a spreadsheet, whatever line breaks its cells hold."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from core.downloads import SafeCsvWriter, safe_csv, safe_csv_text

# Every line-break form: the ones csv and spreadsheets split on, and the Unicode ones str.splitlines() knows.
LINE_BREAKS = ["\r", "\n", "\r\n", "\n\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]
PAYLOADS = ["=cmd|' /C calc'!A0", "+1+2", "-2+3", "@SUM(A1)", "\t=1+1"]
UNGUARDED = ("=", "+", "-", "@", "\t", "\r", "\n")


def tricky_cells() -> list[str]:
    """Each payload after, between and before each line break, at the start, middle and end of a cell."""
    cells = []
    for brk in LINE_BREAKS:
        for payload in PAYLOADS:
            cells += [
                brk + payload,  # break at the start
                "Shares fell sharply" + brk + payload,  # break in the middle: the issue's cell
                "Shares fell sharply" + brk,  # break at the end
                payload + brk + "more",  # formula first, break after
                "a" + brk + brk + payload + brk,  # several breaks
                " " + brk + payload,  # spaces before the break
            ]
    return cells


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_no_unguarded_cell(rows: list[list[str]]) -> None:
    """No text cell starts (also after white space) with a formula character; numbers may be negative."""
    for row in rows:
        for cell in (c for c in row if not is_number(c)):
            assert not cell.startswith(UNGUARDED), f"unguarded cell {cell!r}"
            assert not cell.lstrip(" \t\r\n").startswith(UNGUARDED[:4]), f"unguarded cell {cell!r}"
            assert "\r" not in cell


def read_back(data: bytes) -> tuple[list[list[str]], pd.DataFrame]:
    """The CSV as Python's csv module (file opened with newline='') and pandas read it."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    return rows, frame


def test_formula_like_text_cells_are_neutralised_and_numbers_kept():
    texts = ["=HYPERLINK(\"http://x\")", "+1 call me", "-minus", "@sum", "\tTab", "plain"]
    frame = pd.DataFrame({"text": texts, "score": [-1.5, 2, 3, 4, 5, 6]})
    lines = safe_csv(frame).decode().splitlines()
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",-1.5"
    assert [line.split(",")[0] for line in lines[2:]] == ["'+1 call me", "'-minus", "'@sum", "'\tTab", "plain"]


def test_the_issue_cell_stays_one_guarded_row():
    cell = "Shares fell sharply\r=cmd|' /C calc'!A0"
    rows, frame = read_back(safe_csv(pd.DataFrame({"title": [cell], "score": [0.5]})))
    assert rows == [["title", "score"], ["Shares fell sharply\n=cmd|' /C calc'!A0", "0.5"]]
    assert frame.shape == (1, 2)


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[repr(b) for b in LINE_BREAKS])
def test_every_line_break_form_in_every_position_keeps_rows_whole_and_guarded(brk: str):
    cells = [c for c in tricky_cells() if brk in c]
    frame = pd.DataFrame({"id": range(len(cells)), "text": cells, "label": list(reversed(cells)), "score": [-0.5] * len(cells)})
    data = safe_csv(frame)
    rows, back = read_back(data)
    assert len(rows) == len(cells) + 1 and all(len(row) == 4 for row in rows)
    assert back.shape == (len(cells), 4)
    assert [int(v) for v in back["id"]] == list(range(len(cells)))  # no row split, none merged
    assert list(back["score"]) == ["-0.5"] * len(cells)  # numbers are not touched
    assert_no_unguarded_cell(rows)
    assert b"\r" not in data


def test_cells_keep_their_text_apart_from_the_guard_and_line_break_form():
    cells = tricky_cells() + ["plain", " leading space", "a=b", "x\r\ny", ""]
    rows, _ = read_back(safe_csv(pd.DataFrame({"text": cells})))
    for original, written in zip(cells, (row[0] for row in rows[1:]), strict=True):
        guarded = original.startswith(("\t", *LINE_BREAKS)) or original.lstrip().startswith(UNGUARDED)
        assert written.startswith("'") == guarded, (original, written)
        assert written.removeprefix("'").splitlines() == original.splitlines()  # same lines, only the break form may change


def test_header_cells_and_category_columns_are_guarded_too():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"], "title\r=1+1": pd.Categorical(["=HYPERLINK(\"http://e\")"])})
    rows, back = read_back(safe_csv(frame))
    assert rows == [["'=cmd|' /C calc'!A0", "title\n=1+1"], ["x", "'=HYPERLINK(\"http://e\")"]]
    assert back.shape == (1, 2)


def test_rows_written_without_a_frame_go_through_the_same_guard():
    buffer = io.StringIO(newline="")
    writer = SafeCsvWriter(buffer)
    writer.writerow(["line", "problem", "content"])
    writer.writerows([[3, "bad quote", "ok\r=cmd"], [4, "x\u2028-1", "@a\r\nb"]])
    rows, back = read_back(buffer.getvalue().encode())
    assert rows == [["line", "problem", "content"], ["3", "bad quote", "ok\n=cmd"], ["4", "x\n-1", "'@a\nb"]]
    assert back.shape == (2, 3)
    assert safe_csv_text(pd.DataFrame({"a": ["\r=1"]}), header=False) == "\"'\n=1\"\n"


def test_pages_and_core_write_csv_only_through_core_downloads():
    """Every CSV a user downloads or the command line writes goes through core.downloads. The
    exceptions are internal files nobody downloads, read back only by Beacon itself: a training run's
    copy of its rows, a model version's validation rows and a recommendation dataset's stored tables."""
    root = Path(__file__).resolve().parents[2]
    internal = {"core/downloads.py", "core/nlp/runs.py", "core/nlp/store.py", "core/recommend/store.py"}
    offenders = [
        rel
        for folder in ("pages", "core", "jobs")
        for path in (root / folder).rglob("*.py")
        if (rel := str(path.relative_to(root))) not in internal
        and any(call in path.read_text() for call in (".to_csv(", "csv.writer(", "csv.DictWriter("))
    ]
    offenders += [name for name in ("ui.py", "streamlit_app.py") if ".to_csv(" in (root / name).read_text()]
    assert offenders == []
