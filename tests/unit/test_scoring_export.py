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
        ("\r=cmd", "'\n=cmd"),  # every line break is written as \n (and the cell quoted)
        ("a\r\nb\u2028c", "a\nb\nc"),
        ("  =1+1", "'  =1+1"),
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


LINE_BREAKS = ["\r", "\n", "\r\n", "\u2028", "\x85"]


def _read_back(path) -> tuple[list[list[str]], pd.DataFrame]:  # noqa: ANN001 - Path
    data = path.read_bytes()
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""))), pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _assert_guarded(rows: list[list[str]]) -> None:
    for cell in (c for row in rows for c in row):
        assert not cell.lstrip().startswith(("=", "+", "@", "\t", "\r", "\n")), cell
        assert "\r" not in cell


@pytest.mark.parametrize("brk", LINE_BREAKS, ids=[repr(b) for b in LINE_BREAKS])
def test_scored_csv_sinks_and_error_reports_keep_line_breaks_inside_one_guarded_cell(tmp_path, brk):
    from core.scoring.export import ERROR_COLUMNS, ErrorWriter, concat_files, make_sink, write_error_rows
    from core.scoring.reading import BadRow

    texts = [f"Shares fell sharply{brk}=cmd|' /C calc'!A0", f"{brk}+1+2", f"end{brk}", f"@a{brk}{brk}b"]
    frame = pd.DataFrame({"text": texts, f"note{brk}=1": ["x"] * 4, "confidence": [0.5] * 4})
    sink = make_sink(tmp_path / "out.csv", "csv")
    sink.write(frame, None)
    sink.write(frame, None)
    sink.close()
    rows, back = _read_back(tmp_path / "out.csv")
    assert len(rows) == 9 and back.shape == (8, 3)
    assert rows[0] == ["text", "note\n=1", "confidence"]
    _assert_guarded(rows)

    bad = [BadRow(line=2, problem=f"quote{brk}=2", raw=t) for t in texts]
    errors = ErrorWriter(tmp_path / "errors.csv")
    errors.write(bad)
    errors.close()
    rows, back = _read_back(tmp_path / "errors.csv")
    assert rows[0] == ERROR_COLUMNS and back.shape == (4, 3)
    _assert_guarded(rows)

    write_error_rows(tmp_path / "part-0.csv", bad)
    (tmp_path / "joined.csv").write_bytes(b"".join(concat_files([tmp_path / "part-0.csv"] * 2, ERROR_COLUMNS)))
    rows, back = _read_back(tmp_path / "joined.csv")
    assert rows[0] == ERROR_COLUMNS and back.shape == (8, 3)
    _assert_guarded(rows)


def test_cli_scored_csv_keeps_a_carriage_return_cell_in_one_guarded_row(tiny_models, tmp_path):
    from core.__main__ import main

    src = tmp_path / "in.csv"
    src.write_bytes(
        b'id,text\n1,"Shares fell sharply\r=cmd|\' /C calc\'!A0"\n2,"Profit rose\r\n+1+2"\n'
        b'3,"ok\xe2\x80\xa8@SUM(A1)"\n4,"x\r=1",too many\n5,fine\n'
    )
    out = tmp_path / "out.csv"
    assert main(["score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out), "--quiet"]) == 0
    rows, back = _read_back(out)
    assert list(back["id"]) == ["1", "2", "3", "5"]
    assert back.loc[0, "text"] == "Shares fell sharply\n=cmd|' /C calc'!A0" and back.loc[1, "text"] == "Profit rose\n+1+2"
    _assert_guarded(rows)
    errors, report = _read_back(tmp_path / "out.csv.errors.csv")
    assert report.shape[0] == 1 and list(report["line"]) == ["7"]  # physical lines: a bare \r and \r\n each end one
    _assert_guarded(errors)
