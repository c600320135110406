"""The Tickets tab's sentiment trend: every period of the span is there (a quiet day is 0 tickets, not a line drawn
across it), every sentiment in every period (0 where none), and the period widens with the span."""

from __future__ import annotations

import pandas as pd

from core.support.tickets import TicketReport


def report(stamps: list[str], sentiments: list[str]) -> TicketReport:
    return TicketReport(pd.DataFrame({"timestamp": pd.to_datetime(stamps), "sentiment": sentiments}))


def test_gaps_and_missing_sentiments_are_zero_not_skipped() -> None:
    r = report(["2026-11-01 09:00", "2026-11-01 12:00", "2026-11-04 10:00"], ["negative", "neutral", "neutral"])
    trend = r.sentiment_over_time()
    assert r.trend_period() == "D"
    assert list(trend["period"].drop_duplicates().dt.day) == [1, 2, 3, 4]
    by = trend.set_index(["period", "sentiment"])
    assert by.loc[(pd.Timestamp("2026-11-02"), "neutral"), "tickets"] == 0
    assert by.loc[(pd.Timestamp("2026-11-02"), "neutral"), "share"] == 0.0
    assert by.loc[(pd.Timestamp("2026-11-04"), "negative"), "tickets"] == 0
    assert by.loc[(pd.Timestamp("2026-11-01"), "negative"), "share"] == 0.5
    assert trend["tickets"].sum() == 3


def test_a_longer_span_is_counted_per_week_then_per_month() -> None:
    weeks = report(["2026-09-01", "2026-10-20"], ["neutral", "positive"])
    assert weeks.trend_period() == "W" and weeks.sentiment_over_time()["period"].nunique() == 8
    months = report(["2025-01-15", "2026-01-15"], ["neutral", "negative"])
    assert months.trend_period() == "M" and months.sentiment_over_time()["period"].nunique() == 13


def test_no_dated_ticket_gives_an_empty_trend() -> None:
    r = TicketReport(pd.DataFrame({"timestamp": pd.Series([pd.NaT], dtype="datetime64[ns]"), "sentiment": ["neutral"]}))
    assert r.sentiment_over_time().empty
