"""Dates in uploads (core.dates): numeric dates read in the order the column shows, ISO and written-out dates as they are."""

from __future__ import annotations

import pandas as pd

from core.dates import read_dates


def stamps(values: list[str]) -> list[str]:
    return [s.strftime("%Y-%m-%d %H:%M") if pd.notna(s) else "-" for s in read_dates(pd.Series(values)).stamps]


def test_a_column_with_a_day_above_12_first_is_read_day_first_and_iso_dates_stay_as_written():
    values = ["05/03/2024 10:00", "31/01/2024", "2024-03-05", "1.2.24", "March 5, 2024", "2024-03-01 12:00+02:00", "later"]
    dates = read_dates(pd.Series(values))
    assert dates.day_first and dates.day_first_example == 1 and not dates.mixed_orders
    assert stamps(values) == ["2024-03-05 10:00", "2024-01-31 00:00", "2024-03-05 00:00", "2024-02-01 00:00", "2024-03-05 00:00",
                              "2024-03-01 10:00", "-"]  # fmt: skip


def test_month_first_and_ambiguous_columns_are_read_month_first_and_both_orders_are_flagged():
    assert stamps(["01/31/2024", "05/03/2024"]) == ["2024-01-31 00:00", "2024-05-03 00:00"]
    assert not read_dates(pd.Series(["05/03/2024", "01/02/2024"])).day_first  # nothing shows the order: pandas' month-first
    mixed = read_dates(pd.Series(["31/01/2024", "01/31/2024", "05/03/2024"]))
    assert mixed.mixed_orders and (mixed.day_first_example, mixed.month_first_example) == (0, 1)
