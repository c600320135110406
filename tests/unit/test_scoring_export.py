"""Output safety: formula-like cells neutralised in CSV, the upload size limit, terminal progress."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from core.scoring.batch import TerminalProgress
from core.scoring.export import csv_text, excel_safe
from core.scoring.reading import InputFileError


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        ("\r=cmd", "'\r=cmd"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_like_cells_get_a_leading_quote(cell, expected):
    assert excel_safe(cell) == expected


def test_csv_output_neutralises_text_cells_but_not_scores():
    frame = pd.DataFrame({"text": ["=1+1", "fine"], "label": ["-neg", "pos"], "confidence": [-0.5, 0.9]})
    rows = list(csv.reader(io.StringIO(csv_text(frame, header=True))))
    assert rows == [["text", "label", "confidence"], ["'=1+1", "'-neg", "-0.5"], ["fine", "pos", "0.9"]]


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(beacon_env, monkeypatch):
    from core.scoring.runs import check_upload_size, save_upload
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_UPLOAD_MAX_MB", "1")
    get_settings.cache_clear()
    big = b"id,text\n" + b"1,some text that repeats\n" * 50_000  # about 1.2 MB
    with pytest.raises(InputFileError, match=r"big\.csv: the file is 1\.2 MB, over the upload limit of 1 MB \(BEACON_UPLOAD_MAX_MB\)"):
        save_upload("big.csv", big)
    with pytest.raises(InputFileError, match="over the upload limit"):
        save_upload("big.csv", io.BytesIO(big))  # streamed uploads are cut off too
    assert not any((beacon_env / "scoring_uploads").rglob("*.csv"))  # nothing of the refused file is kept
    check_upload_size(1024 * 1024, "exactly.csv")  # the limit itself is allowed
    assert save_upload("small.csv", b"id,text\n1,a\n").read_bytes() == b"id,text\n1,a\n"
    with pytest.raises(InputFileError, match="upload a .csv, .csv.gz or .xlsx file"):
        save_upload("notes.pdf", b"%PDF")


def test_terminal_progress_shows_rows_rate_and_time_left():
    stream = io.StringIO()
    progress = TerminalProgress("scoring", stream=stream, every_s=0)
    line = progress.line(2_500, 10_000, elapsed=5.0)
    assert line == "scoring [#######.......................] 2,500/10,000 rows, 500 rows/s, 15s left"
    progress(10_000, 10_000)
    assert "[##############################] 10,000/10,000 rows" in stream.getvalue()
    assert stream.getvalue().endswith("rows/s\n")  # finished: no time left, the line is closed
