"""core.views (Financial sentiment and Alerts pages) and ui.py's chart-click parsing: the page decisions that need
no browser (link presets, chart clicks, tables)."""

from __future__ import annotations

from datetime import date, datetime

import ui
from core.views import alerts as alert_views
from core.views import financial_sentiment as dash
from core.watchlists import save_watchlist

TODAY = date(2024, 5, 10)


def test_without_a_link_the_filter_is_the_last_seven_days():
    preset = dash.preset_from_query({}, on=TODAY)
    assert (preset.start, preset.end) == (date(2024, 5, 3), TODAY)
    assert (preset.topics, preset.companies, preset.feed_ids, preset.keyword, preset.note, preset.problems) == ([], [], [], "", "", [])


def test_an_alert_email_link_presets_scope_and_window():
    preset = dash.preset_from_query(
        {"scope_type": "company", "scope": "Nokia", "start": "2024-05-01T06:00", "end": "2024-05-02T00:00"}, on=TODAY
    )
    assert (preset.start, preset.end) == (date(2024, 5, 1), date(2024, 5, 1))  # ends at midnight: not into May 2nd
    assert preset.companies == ["Nokia"] and preset.problems == []
    assert preset.note == "Filters set by the link you opened: company 'Nokia', 2024-05-01 to 2024-05-01."

    keyword = dash.preset_from_query({"scope_type": "keyword", "scope": "recall"}, on=TODAY)
    assert keyword.keyword == "recall" and (keyword.start, keyword.end) == (date(2024, 5, 3), TODAY)
    feed = dash.preset_from_query({"scope_type": "feed", "scope": "Wire"}, feeds=[(3, "Wire"), (4, "Other")], on=TODAY)
    assert feed.feed_ids == [3]


def test_a_watchlist_link_filters_on_the_watchlist_itself(db):
    save_watchlist("Nordics", "Nokia, Kone", "NOK", "layoffs")
    preset = dash.preset_from_query({"scope_type": "watchlist", "scope": "Nordics"}, on=TODAY)
    assert preset.watchlist == "Nordics" and preset.companies == [] and preset.problems == []  # keywords included, as alerts do
    assert dash.preset_from_query({"watchlist": "Nordics"}, on=TODAY).watchlist == "Nordics"  # the page's own URL
    gone = dash.preset_from_query({"scope_type": "watchlist", "scope": "Baltics"}, on=TODAY)
    assert gone.watchlist == "" and gone.problems == ["there is no watchlist named 'Baltics' any more"]
    assert dash.filter_query(TODAY, TODAY, watchlist="Nordics")["watchlist"] == "Nordics"


def test_broken_link_parts_are_reported_not_raised():
    preset = dash.preset_from_query({"scope_type": "planet", "scope": "Mars", "start": "soon", "end": "2024-05-01"}, on=TODAY)
    assert any("unknown scope type 'planet'" in p for p in preset.problems)
    assert any("'soon'" in p for p in preset.problems)
    assert preset.end == date(2024, 5, 1) and preset.start <= preset.end
    swapped = dash.preset_from_query({"start": "2024-05-05", "end": "2024-05-02T12:00"}, on=TODAY)
    assert (swapped.start, swapped.end) == (date(2024, 5, 2), date(2024, 5, 5))
    assert swapped.problems


def test_date_range_widget_values():
    fallback = (date(2024, 1, 1), date(2024, 1, 7))
    assert dash.date_range((date(2024, 2, 1),), fallback) == (date(2024, 2, 1), date(2024, 2, 1))  # still picking
    assert dash.date_range((date(2024, 2, 9), date(2024, 2, 1)), fallback) == (date(2024, 2, 1), date(2024, 2, 9))
    assert dash.date_range((), fallback) == fallback
    flt = dash.make_filter(date(2024, 2, 1), date(2024, 2, 2), sentiments=["negative"])
    assert (flt.start, flt.end, flt.sentiments) == (datetime(2024, 2, 1), datetime(2024, 2, 3), ["negative"])


def test_a_clicked_chart_point_maps_back_to_its_bucket_and_group():
    # The shape Streamlit hands back for a clicked plotly point (selection.points[i]).
    point = {"curve_number": 1, "point_number": 0, "point_index": 0, "x": "2024-05-01", "y": 0.5,
             "legendgroup": "Earnings", "customdata": ["Earnings", "2024-05-01T00:00:00", 4, 2, 1]}
    assert ui.drill_from_trend_point([point]) == dash.Drill(datetime(2024, 5, 1), "Earnings")
    bar = {"x": "2024-05-01 13:00", "y": 3, "customdata": ["negative", "2024-05-01T13:00:00"]}
    drill = ui.drill_from_count_point([bar])
    assert drill == dash.Drill(datetime(2024, 5, 1, 13), None, "negative")
    assert drill.label("hour") == "2024-05-01 13:00 · all items · negative"
    assert ui.drill_from_trend_point([]) is None and ui.drill_from_count_point([{"customdata": ["x"]}]) is None
    # the page's parsing hands plain values to core: group (or sentiment) and bucket key
    assert dash.drill_at("Earnings", "2024-05-01T00:00:00") == dash.Drill(datetime(2024, 5, 1), "Earnings")
    assert dash.sentiment_drill_at("joy", "2024-05-01T00:00:00") is None and dash.drill_at("Earnings", "soon") is None


def test_chart_series_names_are_escaped_for_plotly():
    import pandas as pd

    trend = pd.DataFrame({"bucket": [pd.Timestamp("2024-05-01")], "group": ['<a href="x">Feed</a>'], "items": [1]})
    frame = dash.trend_chart_frame(trend)
    assert frame["series"][0] == "&lt;a href=&quot;x&quot;&gt;Feed&lt;/a&gt;"
    assert frame["group"][0] == '<a href="x">Feed</a>'  # the click hands back the real name
    assert frame["bucket_key"][0] == "2024-05-01T00:00:00"


def test_a_trend_line_breaks_where_a_group_has_no_items():
    """A line from one item years ago to today's items draws a trend where there was no data (walked: a 2016 item
    joined to 2026 by one straight line after "Show all dates"); a gap of more than one bucket breaks the line."""
    import pandas as pd

    days = pd.to_datetime(["2016-06-06", "2026-11-20", "2026-11-21", "2026-11-24"])
    trend = pd.DataFrame({"bucket": [*days, days[1]], "group": ["Markets"] * 4 + ["Macro"], "items": [1, 3, 2, 4, 5],
                          "negative_share": [0.0, 1 / 3, 0.5, 0.25, 0.2]})  # fmt: skip
    frame = dash.trend_chart_frame(trend, "day")
    markets = frame[frame["group"] == "Markets"]
    assert markets["bucket"].dt.strftime("%Y-%m-%d").tolist() == [
        "2016-06-06", "2016-06-07", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-24"]  # fmt: skip
    assert markets["negative_share"].isna().tolist() == [False, True, False, False, True, False]
    assert frame[frame["group"] == "Macro"]["items"].tolist() == [5]  # one bucket: nothing to break
    assert dash.trend_chart_frame(trend)["bucket"].tolist() == trend["bucket"].tolist()  # no frequency: as it was


def test_email_status_and_alert_selection():
    failed = {"email_status": "failed", "email_attempts": 1, "email_error": "SMTP down"}
    assert alert_views.email_status_text(failed) == "failed after 1 attempt: SMTP down"
    assert alert_views.email_status_text({"email_status": "none"}) == "no recipients"
    assert alert_views.alert_index("7", [9, 7, 3]) == 1
    assert alert_views.alert_index("#3", [9, 7, 3]) == 2
    assert alert_views.alert_index("x", [9, 7]) == 0 and alert_views.alert_index(None, [9]) == 0


def test_a_topic_link_says_when_tagged_feeds_count_for_the_alert_but_not_the_filter(db):
    from tests.unit.test_alert_detect import add_feed

    add_feed("Earnings wire", topics=("earnings",))
    add_feed("Other")
    preset = dash.preset_from_query({"scope_type": "topic", "scope": "Earnings"}, on=TODAY)
    assert preset.topics == ["Earnings"]
    assert preset.problems == ["the alert also counted every item of the feeds tagged 'Earnings' (Earnings wire); the Topics "
                               "filter shows the items the model put under the topic"]
    assert dash.preset_from_query({"scope_type": "topic", "scope": "Macro"}, on=TODAY).problems == []


def test_a_picked_row_names_its_item_and_what_it_is_labelled_now():
    import pandas as pd

    frame = pd.DataFrame({"id": [7, 3, 4], "title": ["a", "b", "c"], "sentiment": ["negative", "neutral", "positive"],
                          "confidence": [0.914, None, 0.52], "topic": ["Earnings", None, "Macro"],
                          "corrections": [{}, {}, {"sentiment": ("negative", "ann"), "topic": (None, "bo")}]})  # fmt: skip
    assert dash.picked_item(frame, [1]) == 3
    assert dash.picked_item(frame, []) is None
    assert dash.picked_item(frame, [3]) is None  # a pick left over from a longer table
    assert dash.labels_now(frame, 7) == "Now: sentiment negative (confidence 0.91); topic Earnings."
    assert dash.labels_now(frame, 3) == "Now: sentiment neutral; topic none."
    assert dash.labels_now(frame, 99) == ""
    assert dash.labels_now(frame, 4) == (  # a corrected label is not given the model's confidence
        "Now: sentiment positive, corrected by ann (the model said negative at 0.52); topic Macro, corrected by bo (was none)."
    )
    assert dash.corrected_text(frame["corrections"][2]) == "sentiment (was negative, by ann); topic (was none, by bo)"
    assert dash.corrected_text({}) == ""
