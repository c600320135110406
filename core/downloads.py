"""Files users download from Beacon: every CSV Beacon writes for a person (page downloads, the command
line's output files, error reports) goes through this module so no cell can run as a spreadsheet
formula (CSV injection).

- Every line break inside a text cell (``\\r\\n``, a bare ``\\r``, U+2028 and the other Unicode line
  separators) becomes ``\\n``, and the writer (line terminator ``\\n``) quotes every cell holding one.
  A bare ``\\r`` would otherwise be written unquoted and split the row in Excel, LibreOffice and
  Python's ``csv``, with the second half starting unguarded.
- A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a line break, also after leading
  white space, gets a leading single quote; numbers are left alone. Header cells are guarded the same way.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import TextIO

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
LINE_TERMINATOR = "\n"
# Every sequence str.splitlines() breaks a line on; a spreadsheet or a reader may split on any of them.
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def one_line_break(text: str) -> str:
    """``text`` with every kind of line break written as ``\\n``."""
    return _LINE_BREAK.sub("\n", text)


def excel_safe(value: object) -> object:
    """``value`` ready for a CSV cell: line breaks as ``\\n``, and a leading ``'`` when it is text a
    spreadsheet would treat as a formula (also after leading white space)."""
    if not isinstance(value, str):
        return value
    text = one_line_break(value)
    if text.startswith(FORMULA_PREFIXES) or text.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _is_text_column(series: pd.Series) -> bool:
    dtype = series.dtype
    return not (
        pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)
    )


def excel_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through ``excel_safe`` (column names unchanged)."""
    out = frame.copy()
    for column in out.columns:
        if _is_text_column(out[column]):
            out[column] = out[column].astype(object).map(excel_safe)
    return out


def safe_csv_text(frame: pd.DataFrame, header: bool = True) -> str:
    """``frame`` as CSV text (no index), every text cell and header cell formula-safe."""
    names = [str(excel_safe(str(name))) for name in frame.columns] if header else False
    return excel_safe_frame(frame).to_csv(index=False, header=names, lineterminator=LINE_TERMINATOR)


def safe_csv(frame: pd.DataFrame) -> bytes:
    """A UTF-8 CSV of ``frame`` (no index) that is safe to open in a spreadsheet."""
    return safe_csv_text(frame).encode("utf-8")


class SafeCsvWriter:
    """``csv.writer`` for rows that are not a data frame: every cell goes through ``excel_safe``."""

    def __init__(self, fh: TextIO) -> None:
        self._writer = csv.writer(fh, lineterminator=LINE_TERMINATOR)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([excel_safe(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def safe_csv_row(row: Iterable[object]) -> str:
    """One formula-safe CSV line (with its line terminator)."""
    buffer = io.StringIO()
    SafeCsvWriter(buffer).writerow(row)
    return buffer.getvalue()
