"""Honest trends: the Wilson interval of a negative share, thin buckets marked as such, and the
period-over-period comparison's numbers (pure functions, no database)."""

from __future__ import annotations

import pandas as pd
import pytest

from core.stats import wilson_interval
from core.views import financial_sentiment as dash


@pytest.mark.parametrize(
    ("negative", "items", "low", "high"),
    [
        (5, 10, 0.2366, 0.7634),  # the textbook value for 5 of 10
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (1, 1, 0.2065, 1.0),  # one negative item is not a confident 100 %
        (0, 1, 0.0, 0.7935),
        (81, 263, 0.2553, 0.3662),
    ],
)
def test_wilson_interval_known_values(negative, items, low, high):
    got = wilson_interval(negative, items)
    assert got == pytest.approx((low, high), abs=1e-4)
    assert 0.0 <= got[0] <= negative / items <= got[1] <= 1.0


def test_wilson_interval_of_no_items_and_bad_counts():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="0 <= successes <= n, got 3 of 2"):
        wilson_interval(3, 2)
    with pytest.raises(ValueError):
        wilson_interval(-1, 2)
    assert wilson_interval(1000, 1000)[1] == 1.0 and wilson_interval(0, 1000)[0] == 0.0  # exact bounds, no rounding inside


def test_wilson_interval_narrows_with_more_items():
    widths = [high - low for low, high in (wilson_interval(n // 2, n) for n in (2, 10, 100, 1000))]
    assert widths == sorted(widths, reverse=True) and widths[-1] < 0.07


def _trend(rows):
    frame = pd.DataFrame(rows, columns=["group", "items", "negative"])
    frame["negative_share"] = frame["negative"] / frame["items"]
    return frame


def test_buckets_under_the_minimum_are_thin_with_their_interval():
    marked = dash.mark_thin(_trend([("Earnings", 1, 1), ("Fed", 4, 2), ("Markets", 5, 1), ("Big", 400, 100)]), min_items=5)
    assert marked["thin"].tolist() == [True, True, False, False]
    assert marked["note"].tolist() == ["thin data: only 1 item", "thin data: only 4 items", "", ""]
    stories = dash.mark_thin(_trend([("Earnings", 1, 1), ("Fed", 4, 2)]), min_items=5, stories=True)
    assert stories["note"].tolist() == ["thin data: only 1 story", "thin data: only 4 stories"]  # what the trend counts
    one = marked.iloc[0]
    assert one["negative_share"] == 1.0 and one["negative_high"] == 1.0 and one["negative_low"] == pytest.approx(0.2065, abs=1e-4)
    assert one["error_plus"] == 0.0 and one["error_minus"] == pytest.approx(0.7935, abs=1e-4)  # the bar reaches down to 21 %
    assert one["interval"] == "21%–100%"
    big = marked.iloc[3]
    assert big["negative_high"] - big["negative_low"] < 0.1
    assert dash.mark_thin(_trend([("Earnings", 1, 1)]), min_items=1)["thin"].tolist() == [False]


def test_the_minimum_comes_from_the_setting(monkeypatch):
    from core.settings import get_settings

    monkeypatch.setenv("BEACON_TREND_MIN_ITEMS", "2")
    get_settings.cache_clear()
    try:
        assert dash.mark_thin(_trend([("a", 1, 0), ("b", 2, 0)]))["thin"].tolist() == [True, False]
        assert dash.thin_threshold() == 2
    finally:
        monkeypatch.delenv("BEACON_TREND_MIN_ITEMS")
        get_settings.cache_clear()
    assert dash.thin_threshold() == 5


def test_thin_points_are_drawn_hollow_and_faded():
    styles = dash.marker_styles([True, False])
    assert styles == {"symbol": ["circle-open", "circle"], "opacity": [0.45, 1.0]}


def test_period_comparison_numbers_and_direction():
    table = dash.compare_counts(
        {"Earnings": (10, 6), "Fed": (8, 2), "Steady": (6, 3), "New": (5, 5)},
        {"Earnings": (10, 3), "Fed": (8, 4), "Steady": (6, 3), "Gone": (7, 1)},
        min_items=5,
    ).set_index("group")
    assert table.loc["Earnings", ["items", "previous_items"]].tolist() == [10, 10]
    assert table.loc["Earnings", "negative_share"] == 0.6 and table.loc["Earnings", "previous_share"] == 0.3
    assert table.loc["Earnings", "change_points"] == 30.0 and table.loc["Earnings", "direction"] == "▲ more negative"
    assert table.loc["Fed", "change_points"] == -25.0 and table.loc["Fed", "direction"] == "▼ less negative"
    assert table.loc["Steady", "change_points"] == 0.0 and table.loc["Steady", "direction"] == "= unchanged"
    assert pd.isna(table.loc["New", "change_points"]) and table.loc["New", "direction"] == "new this period"
    assert pd.isna(table.loc["Gone", "change_points"]) and table.loc["Gone", "direction"] == "no items this period"
    assert list(table.index)[:2] == ["Earnings", "Fed"]  # largest first

    shown = dash.compare_counts({"A": (17, 4)}, {"A": (15, 1)}, min_items=5).iloc[0]  # 23.53 % and 6.67 %
    assert (shown["negative_share"], shown["previous_share"], shown["change_points"]) == (0.24, 0.07, 17)  # whole percents

    thin = dash.compare_counts({"A": (2, 1)}, {"A": (9, 1)}, min_items=5)
    assert thin["note"].tolist() == ["thin data in this period"]


def test_the_trend_download_has_the_counts_the_interval_and_the_thin_flag_per_bucket_and_group():
    import io

    trend = _trend([("Earnings", 1, 1), ("=Fed", 6, 3)]).assign(bucket=pd.to_datetime(["2026-12-01", "2026-12-02"]),
                                                                 neutral=[0, 2], positive=[0, 1])  # fmt: skip
    got = pd.read_csv(io.BytesIO(dash.trend_csv(dash.mark_thin(trend, min_items=5, stories=True), "topic", stories=True)))
    assert got.columns.tolist() == ["bucket (UTC)", "topic", "stories", "negative", "neutral", "positive", "negative share",
                                    "negative share 95% low", "negative share 95% high", "thin (too few to read)"]  # fmt: skip
    assert got["bucket (UTC)"].tolist() == ["2026-12-01 00:00", "2026-12-02 00:00"]
    assert got["thin (too few to read)"].tolist() == ["yes", "no"] and got["negative share 95% low"][0] == pytest.approx(0.2065)
    assert got["topic"][1] == "'=Fed"  # a group name that looks like a formula stays text in a spreadsheet


def test_the_trend_caption_explains_thin_points_intervals_and_hiding_lines_when_there_are_many():
    four = dash.mark_thin(_trend([("Earnings", 1, 1), ("Fed", 4, 2), ("Markets", 5, 1), ("Big", 400, 100)]), min_items=5)
    caption = dash.trend_caption(four, "Stories", share=True)
    assert "fewer than 5 stories (thin data, 2 here)" in caption and "95% (Wilson) interval is in its hover" in caption
    assert "double-click it to show that line alone" in caption  # four lines: say how to thin them out
    assert not dash.interval_bars(four, share=True)  # four lines' bars would overlap into a thicket
    three = dash.mark_thin(_trend([("Earnings", 1, 1), ("Fed", 4, 2), ("Big", 400, 100)]), min_items=5)
    assert dash.interval_bars(three, share=True) and not dash.interval_bars(three, share=False)
    assert "Bars: the 95% (Wilson) interval" in dash.trend_caption(three, "Stories", share=True)
    two = dash.mark_thin(_trend([("Markets", 5, 1), ("Big", 400, 100)]), min_items=5)
    caption = dash.trend_caption(two, "Items", share=False)
    assert "Hollow" not in caption and "Wilson" not in caption and "legend" not in caption
    assert caption.endswith("Click a point or a bar to list the items behind it, or pick one below.")


def test_a_week_still_under_way_is_said_to_run_only_to_now():
    from datetime import datetime, timedelta

    end = datetime(2026, 12, 6)
    shown = dict(start=end - timedelta(days=7), end=end, previous_start=end - timedelta(days=14), names=dash.COMPARE_NAMES["day"],
                 table=pd.DataFrame(columns=dash.COMPARE_COLUMNS))  # fmt: skip
    under_way = dash.Comparison(**shown, so_far=True).caption()
    assert under_way.startswith("This week (2026-11-29 to 2026-12-05) against last week (2026-11-22 to 2026-11-28)")
    assert "This week runs only to now, so its item counts are lower" in under_way
    assert "runs only to now" not in dash.Comparison(**shown).caption()  # a week that ended
    assert "so its story counts are lower" in dash.Comparison(**shown, so_far=True, stories=True).caption()


def _weekly(counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame({"bucket": pd.to_datetime(list(counts)), "group": "Markets", "items": list(counts.values())})


def test_a_lone_old_story_is_left_off_the_charts_first_view_and_said():
    recent = {f"2026-03-{day:02d}": 40 for day in (2, 9, 16, 23, 30)}
    trend = _weekly({"2016-06-06": 1, **recent})
    span = dash.chart_span(trend, "week")
    assert (span.first, span.last) == (pd.Timestamp("2026-03-02"), pd.Timestamp("2026-03-30"))
    assert span.before.to_dict() == {pd.Timestamp("2016-06-06"): 1} and span.after.empty
    axis = dash.time_axis(trend["bucket"], "week", span)
    assert axis["range"] == ["2026-02-26T12:00:00", "2026-04-02T12:00:00"]  # half a week either side of the recent weeks
    assert dash.time_axis(trend["bucket"], "week")["range"][0].startswith("2016-06")  # without the span: all of it
    assert dash.chart_span_caption(span, "week", stories=True) == (
        "The charts first show 2 Mar 2026 to 5 Apr 2026, where the data is; 1 story from the week of 6 Jun 2016, far before "
        "the rest, is left out of that view. Double-click a chart to zoom out to all of it.")


def test_the_chart_span_keeps_what_holds_many_items_or_sits_close():
    recent = {f"2026-03-{day:02d}": 40 for day in (2, 9, 16, 23, 30)}
    many_old = dash.chart_span(_weekly({"2016-06-06": 30, **recent}), "week")  # 30 of 230: too many to hide
    close_old = dash.chart_span(_weekly({"2026-01-26": 1, **recent}), "week")  # 5 weeks before: the rest still fills half
    for span in (many_old, close_old):
        assert not span.trimmed and dash.chart_span_caption(span, "week") is None
    late = dash.chart_span(_weekly({**recent, "2027-06-07": 1, "2027-06-14": 2}), "week")  # a far later tail is left off too
    assert late.last == pd.Timestamp("2026-03-30") and int(late.after.sum()) == 3
    assert "3 items from the weeks of 7 Jun 2027 to 14 Jun 2027, far after the rest, are left out" in dash.chart_span_caption(late, "week")
    assert dash.chart_span(_weekly({}), "week") is None
