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


def test_periods_the_export_covers_only_in_part_are_marked() -> None:
    weeks = report(["2026-09-01 10:00", "2026-09-20 23:00", "2026-10-14 09:00"], ["neutral", "negative", "positive"])
    marked = weeks.sentiment_over_time().drop_duplicates("period").set_index("period")["partial"]
    assert marked.to_dict() == {pd.Timestamp(day): day in ("2026-08-31", "2026-10-12")
                                for day in ["2026-08-31", "2026-09-07", "2026-09-14", "2026-09-21", "2026-09-28",
                                            "2026-10-05", "2026-10-12"]}  # fmt: skip
    whole = report(["2026-09-07 00:00", "2026-09-20 18:00"], ["neutral", "positive"])  # Monday to Sunday
    assert whole.trend_period() == "D" and not whole.sentiment_over_time()["partial"].any()
    months = report(["2025-01-01 08:00", "2026-01-31 23:00"], ["neutral", "positive"])
    assert not months.sentiment_over_time()["partial"].any()
    months = report(["2025-01-15 08:00", "2026-01-31 23:00"], ["neutral", "positive"])
    assert months.sentiment_over_time().drop_duplicates("period")["partial"].tolist() == [True] + [False] * 12


def test_a_ticket_dated_1970_by_an_empty_field_is_left_out_of_the_trend_and_said() -> None:
    from core.views.customer_service import far_tickets_caption

    days = [f"2026-11-{day:02d} 10:00" for day in range(1, 21) for _ in range(3)]  # 60 tickets over 20 days
    r = report(["1970-01-01 00:00", *days], ["negative"] + ["neutral"] * 60)
    assert r.trend_period() == "D"  # not months from 1970
    trend = r.sentiment_over_time()
    assert trend["period"].min() == pd.Timestamp("2026-11-01") and trend["tickets"].sum() == 60
    assert [len(side) for side in r.far_tickets()] == [1, 0]
    assert far_tickets_caption(r) == ("1 ticket dated 1 Jan 1970, far before the rest, is left out of this chart (a wrong date "
                                      "in the export, perhaps); every other figure counts them.")
    late = report([*days, *days, "2099-05-01 10:00", "2099-06-01 10:00"], ["neutral"] * 122)  # 2 of 122: under 2 %
    assert late.trend_period() == "D" and [len(side) for side in late.far_tickets()] == [0, 2]
    assert far_tickets_caption(late).startswith("2 tickets dated 1 May 2099 to 1 Jun 2099, far after the rest, are left out")
    assert far_tickets_caption(report(days, ["neutral"] * 60)) is None


def test_a_small_export_keeps_every_ticket_in_the_trend() -> None:
    r = report(["2025-01-15", "2026-01-15", "2026-01-16"], ["neutral", "negative", "neutral"])  # 1 of 3 is no outlier
    assert r.trend_period() == "M" and r.far_tickets()[0].empty
