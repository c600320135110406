"""Dates in uploaded files, read one way: ISO and written-out dates as they are, and numeric dates such as 05/03/2024
day-first or month-first as the column itself shows (a value whose first number is above 12, 31/01/2024, can only be
day-first), so a European export is not read half in one order and half in the other."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

NUMERIC_DATE = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](?:\d{4}|\d{2})(?!\d)"  # 31/01/2024, 1.2.24, 01-31-2024 (not 2024-01-31)


@dataclass(frozen=True)
class DatesRead:
    """The column's dates as UTC timestamps (NaT where unreadable), and what decided the order of numeric dates."""

    stamps: pd.Series
    day_first: bool
    day_first_example: object | None = None  # the index of a value only day-first can read (31/01/2024)
    month_first_example: object | None = None  # the index of a value only month-first can read (01/31/2024)

    @property
    def mixed_orders(self) -> bool:
        """Both orders occur: the ambiguous values (05/03/2024) were read month-first, which may be wrong for some."""
        return self.day_first_example is not None and self.month_first_example is not None


def read_dates(values: pd.Series) -> DatesRead:
    """Date/time texts as UTC timestamps: numeric dates day-first when some value can only be day-first and none can
    only be month-first, else month-first (pandas' own reading); a text with a time zone is converted to UTC, one
    without is taken as UTC."""
    text = values.fillna("").astype(str)
    parts = text.str.extract(NUMERIC_DATE)
    first, second = pd.to_numeric(parts[0], errors="coerce"), pd.to_numeric(parts[1], errors="coerce")
    day_only, month_only = text.index[(first > 12) & (second <= 12)], text.index[(second > 12) & (first <= 12)]
    day_example = day_only[0] if len(day_only) else None
    month_example = month_only[0] if len(month_only) else None
    stamps = pd.to_datetime(text, errors="coerce", utc=True, format="mixed")
    day_first = day_example is not None and month_example is None
    if day_first:
        numeric = parts[0].notna()
        stamps[numeric] = pd.to_datetime(text[numeric], errors="coerce", utc=True, format="mixed", dayfirst=True)
    return DatesRead(stamps, day_first, day_example, month_example)
