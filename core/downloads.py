"""Files users download from Beacon: every CSV goes through ``safe_csv`` so no cell can run as a
spreadsheet formula (CSV injection). A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return gets a leading single quote; numbers are left alone."""

from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def excel_safe(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would treat as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def excel_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(excel_safe)
    return out


def safe_csv(frame: pd.DataFrame) -> bytes:
    """A UTF-8 CSV of ``frame`` (no index) that is safe to open in Excel."""
    return excel_safe_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")
