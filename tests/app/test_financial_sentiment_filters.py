"""The Financial sentiment page's filters and links: an alert's link opens the Items tab, the filters
survive a reload, older items hidden by the date filter are announced, the time axis shows whole days,
and viewers get a read-only Feeds tab."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from core.alerts import save_alert_rule
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, utcnow
from tests.app.helpers import assert_no_exception, button, open_page, switch_tab, table, texts, widget

PAGE = "financial_sentiment.py"
ROWS = [
    ("Shares plunged after a profit warning", "negative", "Earnings", ["NOK"]),
    ("The central bank held rates", "neutral", "Fed | Central Banks", []),
]


def page_buttons(at) -> list[str]:
    return [b.label for b in at.button if b.label != "Sign out"]


def test_the_alert_link_opens_the_items_tab_even_after_the_feeds_tab(seed):
    seed(ROWS)
    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings")
    now = utcnow()
    with session_scope() as session:
        rule_id = session.query(AlertRule.id).scalar()
        session.add(Alert(rule_id=rule_id, fired_at=now, window_start=now - timedelta(hours=24), window_end=now + timedelta(hours=1),
                          scope_label="topic: Earnings", item_count=1, negative_count=1, negative_share=1.0, reason="r",
                          article_ids=[], recipients=[], email_status="none"))
    at = open_page(PAGE, tab="Feeds")  # the last tab used on this page
    at.switch_page("pages/alerts.py")
    at.query_params.clear()
    at.run()
    [link] = at.get("page_link")
    assert "tab=Items" in link.proto.query_string
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(link.proto.query_string)))
    at.switch_page(f"pages/{PAGE}")
    at.run()
    assert_no_exception(at)
    assert at.session_state["tab"] == "Items"
    assert table(at, "items_table")["title"].tolist() == ["Shares plunged after a profit warning"]
    assert at.multiselect(key="f_topics").value == ["Earnings"]


def test_the_filters_that_narrow_the_view_are_named_above_the_tabs_and_cleared_in_one_click(seed):
    seed(ROWS)
    at = open_page(PAGE)
    assert not [c for c in texts(at.caption) if c.startswith("Narrowed to")]  # nothing narrowed: nothing said
    at.multiselect(key="f_topics").set_value(["Earnings"]).run()
    at.multiselect(key="f_sentiments").set_value(["negative"]).run()
    at.text_input(key="f_keyword").input(" profit ").run()
    assert "Narrowed to topics Earnings · the keyword 'profit' · sentiment negative" in texts(at.caption)
    dates = at.session_state["f_dates"]
    at = button(at, "Clear these filters").click().run()
    assert_no_exception(at)
    assert not [c for c in texts(at.caption) if c.startswith("Narrowed to")]
    assert at.multiselect(key="f_topics").value == [] and at.text_input(key="f_keyword").value == ""
    assert at.session_state["f_dates"] == dates  # the dates stay
    assert len(table(at, "items_table")) == 2


def test_filters_survive_a_reload(seed):
    seed(ROWS)
    at = open_page(PAGE)
    at.multiselect(key="f_topics").set_value(["Earnings"]).run()
    at.text_input(key="f_keyword").input("profit").run()
    at.multiselect(key="f_sentiments").set_value(["negative"]).run()
    kept = dict(at.query_params)
    assert kept["topic"] == "Earnings" and kept["q"] == "profit" and kept["sentiment"] == "negative"
    assert {"start", "end"} <= set(kept)

    reloaded = open_page(PAGE, **{k: v for k, v in kept.items() if k != "tab"})  # a new session on the same URL
    assert_no_exception(reloaded)
    assert reloaded.multiselect(key="f_topics").value == ["Earnings"]
    assert reloaded.text_input(key="f_keyword").value == "profit"
    assert reloaded.multiselect(key="f_sentiments").value == ["negative"]
    assert table(reloaded, "items_table")["title"].tolist() == ["Shares plunged after a profit warning"]
    assert not reloaded.info  # a reload is not a link: no "Filters set by the link" note


def test_older_items_hidden_by_the_date_filter_are_announced(seed):
    seed(ROWS, hours_ago=24 * 60)  # the sample feeds are months old
    at = open_page(PAGE)
    assert_no_exception(at)
    assert "2 older stories are hidden by the date filter." in texts(at.info)  # what the page counts (stories by default)
    oldest = (utcnow() - timedelta(hours=24 * 60)).date()
    button(at, f"Show all dates (from {oldest:%-d %b %Y})").click().run()
    assert_no_exception(at)
    assert sorted(table(at, "items_table")["title"]) == sorted(t for t, *_ in ROWS)
    switch_tab(at, "Trends")
    assert len(at.get("plotly_chart")) == 2


def test_the_newest_week_with_items_skips_an_outlier_years_older(seed):
    """Months-old feeds with one item from years before: the first button lands on the newest week that has items
    (what "Show all dates" would stretch over years), in the URL like any date range."""
    seed(ROWS, hours_ago=24 * 60)
    seed([("Archived profile from long ago", "neutral", "Earnings", [])], feed_name="Archive", hours_ago=24 * 800)
    at = open_page(PAGE)
    newest = (utcnow() - timedelta(hours=24 * 60)).date()
    label = next(b for b in page_buttons(at) if b.startswith("Show the newest week with items"))
    assert label.endswith(f"{newest:%-d %b %Y})")
    button(at, label).click().run()
    assert_no_exception(at)
    assert at.date_input(key="f_dates").value == (newest - timedelta(days=7), newest)
    assert (at.query_params["start"], at.query_params["end"]) == (f"{newest - timedelta(days=7)}", f"{newest}")
    assert sorted(table(at, "items_table")["title"]) == sorted(t for t, *_ in ROWS)  # not the archived one
    archived = (utcnow() - timedelta(hours=24 * 800)).date()  # the label says how far back "all" goes
    trends = button(switch_tab(open_page(PAGE), "Trends"), f"Show all dates (from {archived:%-d %b %Y})").click().run()
    assert trends.date_input(key="f_dates").value[0] == archived


def test_one_day_of_data_gets_whole_day_ticks(seed):
    seed(ROWS)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    for chart in at.get("plotly_chart"):
        axis = json.loads(chart.proto.spec)["layout"]["xaxis"]
        assert axis["tickformat"] == "%Y-%m-%d" and axis["dtick"] == 24 * 3600 * 1000
        low, high = (datetime.fromisoformat(v) for v in axis["range"])
        assert high - low == timedelta(days=1)  # the day's bucket with half a day either side
    bars = json.loads(next(c for c in at.get("plotly_chart") if c.key == "count_chart").proto.spec)["data"]
    assert bars and all(trace.get("width") == 24 * 3600 * 1000 * 8 // 10 for trace in bars)  # not a hairline
    counts = json.loads(next(c for c in at.get("plotly_chart") if c.key == "count_chart").proto.spec)["layout"]
    assert counts["yaxis"]["dtick"] == 1  # two stories: whole stories on the axis, no 0.5


def test_viewers_get_a_read_only_feeds_tab(seed):
    seed(ROWS)
    at = open_page(PAGE, tab="Feeds", role="viewer")
    assert_no_exception(at)
    assert any("signed in as a viewer" in i for i in texts(at.info))
    assert [t.key for t in at.text_input] == ["f_keyword"] and not page_buttons(at)  # only the sidebar filter
    assert table(at, "feeds_table")["name"].tolist() == ["Wire"]
    switch_tab(at, "Items")
    assert not any(e.label == "Correct an item's sentiment or topic" for e in at.expander)

    analyst = open_page(PAGE, tab="Feeds", role="analyst")
    assert page_buttons(analyst) == ["Fetch now", "Fetch all"]  # adding and deleting feeds is for admins
    widget(analyst.selectbox, "Feed")


def test_tables_have_headers_in_words(seed):
    seed(ROWS)
    at = open_page(PAGE)
    for tab in ("Items", "Trends", "Feeds"):
        switch_tab(at, tab)
        if tab == "Trends":
            at.selectbox(key="t_pick").select_index(0).run()  # the drill-down table
        assert_no_exception(at)
        assert at.dataframe, tab
        for frame in at.dataframe:
            config = json.loads(frame.proto.columns or "{}")
            shown = [(config.get(c) or {}).get("label") or c for c in frame.value.columns if not (config.get(c) or {}).get("hidden")]
            raw = [h for h in shown if "_" in h or (h.isalpha() and h.islower())]
            assert not raw, f"{tab}: raw column names {raw} in {shown}"


def test_the_companies_filter_reads_as_names_and_filters_by_the_stored_key(seed):
    seed([("Meta plans layoffs", "negative", None, ["META"]), ("Meta shares fall", "negative", None, ["META"]),
          ("Acme Watch opens a store", "positive", None, ["Acme Watch"])])
    at = open_page(PAGE)
    assert_no_exception(at)
    box = at.multiselect(key="f_companies")
    assert sorted(box.options) == ["Acme Watch", "Meta Platforms (META)"]  # a watchlist name stays as written
    box.set_value(["META"]).run()
    assert sorted(table(at, "items_table")["title"]) == ["Meta plans layoffs", "Meta shares fall"]
    assert "META" in str(dict(at.query_params)) and "Platforms" not in str(dict(at.query_params))  # links keep the key


def test_an_alerts_link_shows_the_stories_the_alert_counted_keywords_included(seed):
    from core.alerts import detect_alerts, list_alerts
    from core.watchlists import save_watchlist

    seed([("Acme shares plunge after a profit warning", "negative", "Earnings", ["Acme"]),
          ("Carmaker recalls 20,000 cars over a brake fault", "negative", "Autos", []),  # only the keyword matches
          ("Globex raises its guidance", "positive", "Earnings", ["Globex"]),
          ("The central bank held rates", "neutral", "Fed | Central Banks", [])])  # fmt: skip
    save_watchlist("Carmakers", "Acme, Globex", "", "recall")
    save_alert_rule(name="Carmakers negative", scope_type="watchlist", scope_value="Carmakers", min_items=2)
    [alert_id] = detect_alerts(utcnow())
    [alert] = [a for a in list_alerts() if a["id"] == alert_id]
    at = open_page("alerts.py", alert=str(alert_id))
    [link] = at.get("page_link")
    at.query_params.clear()
    at.query_params.update(dict(parse_qsl(link.proto.query_string)))
    at.switch_page(f"pages/{PAGE}")
    at.run()
    assert_no_exception(at)
    assert not [w for w in texts(at.warning) if "link" in w], texts(at.warning)  # nothing of the link left out
    shown = table(at, "items_table")["title"].tolist()
    assert len(shown) == alert["items"] == 3 and "Carmaker recalls 20,000 cars over a brake fault" in shown
    assert at.selectbox(key="f_watchlist").value == "Carmakers"
    assert at.query_params["watchlist"] == "Carmakers"  # kept in the page's URL, so a reload keeps it
    at.multiselect(key="f_sentiments").set_value(["negative"]).run()  # the first change after the link is kept
    assert len(table(at, "items_table")) == 2 and at.selectbox(key="f_watchlist").value == "Carmakers"
    fresh = open_page(PAGE)  # the filter picked by hand, on a page opened without a link
    assert len(table(fresh, "items_table")) == 4
    fresh.selectbox(key="f_watchlist").set_value("Carmakers").run()
    assert sorted(table(fresh, "items_table")["title"]) == sorted(shown)
