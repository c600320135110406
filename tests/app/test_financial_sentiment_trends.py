"""Honest trends on the Financial sentiment page: a one-item bucket is drawn as thin data (hollow, faded,
with a Wilson interval spanning most of [0, 1]) and still drills down to its item; the Compare toggle shows
this week against last week per group."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

import numpy as np
import pytest

import ui
from tests.app.helpers import assert_no_exception, open_page, switch_tab, table

PAGE = "financial_sentiment.py"
ONE_NEGATIVE = [("Shares plunged after a profit warning", "negative", "Earnings", [])]
SIX_FED = [(f"The central bank comment {i}", "negative" if i < 2 else "neutral", "Fed", []) for i in range(6)]


def compare_table(at):
    found = [frame.value for frame in at.dataframe if "previous_share" in frame.value.columns]
    return found[0] if found else None


def values(data) -> list:
    """A Plotly spec's array: a plain list, or a typed array ({"dtype", "bdata"}) as Plotly 6 writes numbers."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def trend_spec(at) -> dict:
    return json.loads(next(c for c in at.get("plotly_chart") if c.key == "trend_chart").proto.spec)


def test_a_one_item_bucket_is_thin_with_a_wide_interval_and_still_drills_down(seed):
    seed(ONE_NEGATIVE + SIX_FED)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    traces = {trace["name"]: trace for trace in trend_spec(at)["data"]}
    earnings, fed = traces["Earnings"], traces["Fed"]

    assert values(earnings["y"]) == [1.0]  # the share is still 100 % ...
    assert earnings["marker"]["symbol"] == ["circle-open"] and values(earnings["marker"]["opacity"]) == [0.45]  # ... drawn as thin
    low = 1.0 - values(earnings["error_y"]["arrayminus"])[0]
    high = 1.0 + values(earnings["error_y"]["array"])[0]
    assert earnings["error_y"].get("visible", True) is not False
    assert high == 1.0 and low == pytest.approx(0.2065, abs=1e-3) and high - low > 0.75  # most of [0, 1]
    hover = earnings["hovertemplate"]
    assert "95% interval" in hover and "Stories" in hover and "Note" in hover  # stories: the default count
    assert "thin data: only 1 story" in earnings["customdata"][0] and "21%–100%" in earnings["customdata"][0]

    assert fed["marker"]["symbol"] == ["circle"] and values(fed["marker"]["opacity"]) == [1.0]  # six items: not thin
    assert "" in fed["customdata"][0] and 6 in fed["customdata"][0]
    assert any("Hollow, faded points" in c.value and "fewer than 5 stories" in c.value for c in at.caption)

    # a click on the thin point still lists its item (custom data: group, bucket key, ...)
    drill = ui.drill_from_trend_point([{"customdata": earnings["customdata"][0]}])
    assert drill is not None and drill.group == "Earnings"
    picks = list(at.selectbox(key="t_pick").options)
    at.selectbox(key="t_pick").select_index(next(i for i, p in enumerate(picks) if p.endswith("Earnings"))).run()
    assert table(at, "drill_table")["title"].tolist() == ["Shares plunged after a profit warning"]


def test_other_measures_mark_thin_buckets_without_share_intervals(seed):
    seed(ONE_NEGATIVE + SIX_FED)
    at = open_page(PAGE, tab="Trends")
    at.selectbox(key="t_measure").set_value("items").run()
    assert_no_exception(at)
    earnings = next(t for t in trend_spec(at)["data"] if t["name"] == "Earnings")
    assert earnings["marker"]["symbol"] == ["circle-open"]
    assert "error_y" not in earnings  # an item count is not an estimate: no interval


def test_the_trend_view_chosen_stays_after_a_look_at_the_items(seed):
    seed(ONE_NEGATIVE + SIX_FED)
    at = open_page(PAGE, tab="Trends")
    at.selectbox(key="t_measure").set_value("items")
    at.selectbox(key="t_group").set_value("feed")
    at.toggle(key="t_compare").set_value(True).run()
    at = switch_tab(switch_tab(at, "Items"), "Trends")
    assert_no_exception(at)
    assert (at.selectbox(key="t_measure").value, at.selectbox(key="t_group").value) == ("items", "feed")
    assert at.toggle(key="t_compare").value and compare_table(at) is not None


def test_the_bucket_picked_for_its_items_stays_after_a_look_at_the_items(seed):
    seed(ONE_NEGATIVE + SIX_FED)
    at = open_page(PAGE, tab="Trends")
    picks = list(at.selectbox(key="t_pick").options)
    at.selectbox(key="t_pick").select_index(next(i for i, p in enumerate(picks) if p.endswith("Earnings"))).run()
    at = switch_tab(switch_tab(at, "Items"), "Trends")
    assert_no_exception(at)
    assert at.selectbox(key="t_pick").value is not None
    assert table(at, "drill_table")["title"].tolist() == ["Shares plunged after a profit warning"]


def test_compare_shows_this_week_against_last_week(seed):
    # this week: Earnings 2 of 4 negative, Fed 1 of 5; last week (nine days ago): Earnings 1 of 4, Fed 3 of 5
    seed([(f"e{i}", "negative" if i < 2 else "neutral", "Earnings", []) for i in range(4)]
         + [(f"f{i}", "negative" if i < 1 else "positive", "Fed", []) for i in range(5)], feed_name="Now", hours_ago=0.01)
    seed([(f"old e{i}", "negative" if i < 1 else "neutral", "Earnings", []) for i in range(4)]
         + [(f"old f{i}", "negative" if i < 3 else "positive", "Fed", []) for i in range(5)], feed_name="Before", hours_ago=24 * 9)
    at = open_page(PAGE, tab="Trends")
    assert compare_table(at) is None  # one click away, not shown until asked for
    toggle = at.toggle(key="t_compare")
    assert toggle.label == "Compare this week with last week"
    toggle.set_value(True).run()
    assert_no_exception(at)
    compared = compare_table(at).set_index("group")
    assert compared.loc["Earnings", ["items", "previous_items"]].tolist() == [4, 4]
    assert compared.loc["Earnings", ["negative_share", "previous_share"]].tolist() == [0.5, 0.25]
    assert compared.loc["Earnings", "change_points"] == 25.0 and compared.loc["Earnings", "direction"] == "▲ more negative"
    assert compared.loc["Fed", ["items", "previous_items"]].tolist() == [5, 5]
    assert compared.loc["Fed", "change_points"] == -40.0 and compared.loc["Fed", "direction"] == "▼ less negative"
    assert compared.loc["Earnings", "note"] == "thin data in this period and the previous period"
    assert any(c.value.startswith("This week (") and "against last week (" in c.value for c in at.caption)
    [shown] = [f for f in at.dataframe if "previous_share" in f.value.columns]
    labels = {name: column["label"] for name, column in json.loads(shown.proto.columns).items() if "label" in column}
    assert (labels["items"], labels["previous_items"]) == ("Stories this week", "Stories last week")  # what is counted

    at.selectbox(key="t_freq").set_value("hour").run()
    assert_no_exception(at)
    assert at.toggle(key="t_compare").label == "Compare this day with the day before"
    hourly = compare_table(at).set_index("group")
    assert hourly.loc["Earnings", "previous_items"] == 0 and hourly.loc["Earnings", "direction"] == "new this period"
    assert hourly.loc["Earnings", ["previous_share", "change_points"]].isna().all()  # nothing to compare with ...
    [shown] = [f for f in at.dataframe if "previous_share" in f.value.columns]
    assert shown.proto.placeholder == "–"  # ... shown as a dash, not the word "None"


def test_compare_with_no_recent_items_compares_the_newest_week_that_has_some(seed):
    # feeds that went quiet a month ago: "this week against last week" would be an empty table
    seed([(f"e{i}", "negative" if i < 2 else "neutral", "Earnings", []) for i in range(4)], feed_name="Old", hours_ago=24 * 30)
    seed([(f"p{i}", "negative", "Earnings", []) for i in range(2)], feed_name="Older", hours_ago=24 * 37)
    at = open_page(PAGE, tab="Trends", start=(date.today() - timedelta(days=60)).isoformat())
    at.toggle(key="t_compare").set_value(True).run()
    assert_no_exception(at)
    compared = compare_table(at).set_index("group")
    assert compared.loc["Earnings", ["items", "previous_items"]].tolist() == [4, 2]
    assert compared.loc["Earnings", ["negative_share", "previous_share"]].tolist() == [0.5, 1.0]
    [caption] = [c.value for c in at.caption if "against the week before" in c.value]
    assert caption.startswith("The newest week with items (") and "Nothing matches the filters from " in caption
    [shown] = [f for f in at.dataframe if "previous_share" in f.value.columns]
    labels = {name: column["label"] for name, column in json.loads(shown.proto.columns).items() if "label" in column}
    assert (labels["items"], labels["previous_items"]) == ("Stories newest week", "Stories week before")


def test_the_line_does_not_run_through_a_thin_bucket(seed):
    # Earnings: six items two days ago, one (negative) yesterday, six today; the middle bucket is thin
    seed([(f"a{i}", "negative" if i < 2 else "neutral", "Earnings", []) for i in range(6)], feed_name="Two days", hours_ago=48)
    seed(ONE_NEGATIVE, feed_name="Yesterday", hours_ago=24)
    seed([(f"c{i}", "negative" if i < 3 else "neutral", "Earnings", []) for i in range(6)], feed_name="Today", hours_ago=0.01)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    line, *apart = [t for t in trend_spec(at)["data"] if t["name"] == "Earnings"]
    shares = [None if v is None or v != v else round(v, 2) for v in values(line["y"])]
    assert shares == [0.33, None, 0.5]  # the solid buckets, with a gap where the thin one is (no line up to 100 %)
    [thin] = apart
    assert [None if v is None or v != v else v for v in values(thin["y"])] == [None, 1.0, None]
    assert thin["mode"] == "markers" and thin["showlegend"] is False and thin["legendgroup"] == line["legendgroup"]
    assert "thin data: only 1 story" in thin["customdata"][1]  # hover and click-through kept
    assert thin["error_y"]["color"] == "rgba(128, 128, 128, 0.35)"  # a faded interval


def test_with_more_than_three_lines_the_intervals_move_into_the_hover(seed):
    seed([(f"{topic} news {i}", "negative" if i < 2 else "neutral", topic, [])
          for topic in ("Earnings", "Fed", "Markets", "Energy") for i in range(6)])  # fmt: skip
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    traces = trend_spec(at)["data"]
    assert {t["name"] for t in traces} == {"Earnings", "Fed", "Markets", "Energy"}
    assert all("error_y" not in t or t["error_y"].get("visible") is False for t in traces)  # no thicket of bars
    assert all("95% interval" in t["hovertemplate"] for t in traces)  # the interval is still one hover away
    assert any("interval is in its hover" in c.value for c in at.caption)


def test_a_date_range_of_months_opens_the_trend_weekly_and_a_week_lists_its_items(seed):
    seed([(f"e{i}", "negative" if i < 2 else "neutral", "Earnings", []) for i in range(4)], feed_name="Now", hours_ago=0.01)
    seed([(f"o{i}", "negative", "Earnings", []) for i in range(3)], feed_name="Months ago", hours_ago=24 * 100)
    at = open_page(PAGE, tab="Trends", start=(date.today() - timedelta(days=120)).isoformat())
    assert_no_exception(at)
    assert at.selectbox(key="t_freq").value == "week"  # four months of days would be mostly thin points
    assert trend_spec(at)["layout"]["xaxis"]["title"]["text"] == "Week from Monday (UTC)"
    drawn = [row[1] for trace in trend_spec(at)["data"] if trace["name"] == "Earnings"  # solid and thin points
             for row, y in zip(trace["customdata"], values(trace["y"]), strict=True) if y is not None and y == y]  # fmt: skip
    assert len(drawn) == 2 and all(date.fromisoformat(key[:10]).weekday() == 0 for key in drawn)  # two weeks, by their Mondays
    assert at.toggle(key="t_compare").label == "Compare the last 4 weeks with the 4 weeks before"
    pick = at.selectbox(key="t_pick")
    assert pick.options[0].startswith("week of ")
    pick.set_value(pick.options[0]).run()
    assert_no_exception(at)
    assert len(table(at, "drill_table")) == 4  # the newest week's four items

    at = open_page(PAGE, tab="Trends")  # the default range: a week or two of days
    assert at.selectbox(key="t_freq").value == "day"
    assert trend_spec(at)["layout"]["xaxis"]["title"]["text"] == "Day (UTC)"


def test_a_lone_years_old_item_does_not_squeeze_the_charts_and_the_caption_says_where_it_is(seed):
    seed([(f"Recent {i}", "negative" if i % 3 else "neutral", "Earnings", []) for i in range(60)], hours_ago=0.01)
    seed([("An old archive story", "negative", "Earnings", [])], feed_name="Archive", hours_ago=24 * 365 * 3)
    at = open_page(PAGE, tab="Trends", start=(date.today() - timedelta(days=4 * 365)).isoformat())
    assert_no_exception(at)
    recent_week = date.today() - timedelta(days=date.today().weekday() + 7)
    for key in ("trend_chart", "count_chart"):
        spec = json.loads(next(c for c in at.get("plotly_chart") if c.key == key).proto.spec)
        assert date.fromisoformat(spec["layout"]["xaxis"]["range"][0][:10]) >= recent_week  # opens on the recent weeks
    far = [c.value for c in at.caption if "left out of that view" in c.value]
    assert len(far) == 1 and "1 story from the week of " in far[0] and "far before the rest" in far[0]
    pick = at.selectbox(key="t_pick")  # the old item is still there to list
    assert any(option.endswith("Earnings") and str(date.today().year - 3) in option for option in pick.options)
