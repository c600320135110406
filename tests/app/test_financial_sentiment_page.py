"""The Financial sentiment page (Items, Trends, Feeds) with AppTest against a real, migrated database."""

from __future__ import annotations

import json
from datetime import timedelta

from core.feeds import list_feeds
from core.storage import session_scope
from core.storage.tables import Feed, utcnow
from core.views.financial_sentiment import ArticleFilter, list_articles
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, table, texts, widget
from tests.support.feed_server import FeedRoute, serve_feeds
from tests.unit.test_alert_detect import add_feed

PAGE = "financial_sentiment.py"
SCORED = [
    ("Shares plunged after a profit warning", "negative", "Earnings", ["NOK"]),
    ("Sales fell and the dividend was cancelled", "negative", "Earnings", []),
    ("Operating profit rose to a record", "positive", "Earnings", ["NOK"]),
    ("The central bank held rates", "neutral", "Fed | Central Banks", []),
]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def fill_feed_form(at, name: str, url: str, tags: str = "", interval: int | None = None):
    widget(at.text_input, "Name").input(name)
    widget(at.text_input, "RSS or Atom URL").input(url)
    if tags:
        widget(at.text_input, "Topic tags (comma-separated, optional)").input(tags)
    if interval is not None:
        widget(at.number_input, "Fetch every (minutes)").set_value(interval)
    return button(at, "Add feed").click().run()


def test_empty_database_shows_empty_states_and_the_setup_command(db):
    at = open_page(PAGE)
    assert_no_exception(at)
    assert "No feeds yet — add one in the Feeds tab." in texts(at.info)
    assert any("python -m core setup" in w and "make run" in w for w in texts(at.warning))
    assert metrics(at) == {}  # no row of five 0 cards above the message

    switch_tab(at, "Trends")
    assert_no_exception(at)
    assert "No feeds yet — add one in the Feeds tab." in texts(at.info)
    assert not at.get("plotly_chart")

    switch_tab(at, "Feeds")
    assert_no_exception(at)
    assert "No feeds yet — add one above with its RSS or Atom URL." in texts(at.info)


def test_empty_states_tell_each_role_only_what_it_can_do(db):
    at = open_page(PAGE, role="viewer")
    assert_no_exception(at)
    assert any(t.startswith("No feeds yet. An admin adds RSS or Atom feeds") for t in texts(at.info))
    assert not [b for b in at.button if b.label == "Open the Feeds tab"]  # a viewer cannot add one there
    switch_tab(at, "Trends")
    assert any(t.startswith("No feeds yet. An admin adds") for t in texts(at.info))

    add_feed("Wire")  # a feed without items yet
    at = open_page(PAGE, role="viewer")
    info = " ".join(texts(at.info))
    assert "No scored items match these filters" in info and "fetch a feed" not in info  # viewers cannot fetch
    at = open_page(PAGE, role="analyst")
    assert "or fetch a feed in the Feeds tab." in " ".join(texts(at.info))


def test_the_empty_state_button_opens_the_feeds_tab(db):
    at = open_page(PAGE)
    button(at, "Open the Feeds tab").click().run()
    assert_no_exception(at)
    assert any(b.label == "Add feed" for b in at.button)


def test_a_bad_feed_url_shows_the_reason_and_stores_nothing(db):
    at = open_page(PAGE, tab="Feeds")
    fill_feed_form(at, "Bad", "ftp://example.com/feed.xml")
    assert_no_exception(at)
    assert any("only http:// and https://" in e for e in shown_texts(at.error)), texts(at.error)
    assert list_feeds() == []

    fill_feed_form(at, "Private", "http://10.1.2.3/feed.xml")
    assert any("cannot be used" in e for e in texts(at.error)), texts(at.error)
    assert list_feeds() == []

    fill_feed_form(at, "", "http://127.0.0.1:9/feed.xml")
    assert "Please give the feed a name." in texts(at.error)
    assert list_feeds() == []
    assert not at.success


def test_adding_a_valid_feed_stores_it_and_fetch_now_scores_its_items(tiny_models):
    routes = {
        "/news.rss": _rss(
            [
                {"title": "Shares plunged after a profit warning", "link": "https://example.com/a"},
                {"title": "Quarterly sales jumped and the outlook was raised", "link": "https://example.com/b"},
            ]
        )
    }
    with serve_feeds(routes) as base:
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "Markets wire", base + "/news.rss", tags="Markets, Nordics", interval=30)
        assert_no_exception(at)
        assert not at.error, texts(at.error)
        assert any("Markets wire" in s and "added" in s for s in texts(at.success))
        [feed] = list_feeds()
        assert (feed.name, feed.url, feed.topics, feed.interval_minutes) == ("Markets wire", base + "/news.rss", ["Markets", "Nordics"], 30)
        shown = table(at, "feeds_table")
        assert list(shown["name"]) == ["Markets wire"]
        assert list(shown["status"]) == ["not fetched yet"]
        assert shown["last_fetched_at"].isna().all() and shown["last_new_items"].isna().all()  # blank, not 0 new items
        assert "last_error" not in shown.columns  # no feed has a problem: no empty wide column
        assert at.selectbox(key="feed_pick").value == feed.id  # the new feed is the one Fetch now acts on

        button(at, "Fetch now").click().run()
        assert_no_exception(at)
        assert "Markets wire: 2 new items, all scored." in texts(at.success)
        shown = table(at, "feeds_table")
        assert list(shown["items"]) == [2] and list(shown["status"]) == ["OK"] and list(shown["last_new_items"]) == [2]
        button(at, "Fetch now").click().run()  # the same document again: nothing new (not "0 new items, all scored")
        assert "Markets wire: no new items." in texts(at.success)

    switch_tab(at, "Items")
    assert_no_exception(at)
    items = table(at, "items_table")
    assert sorted(items["title"]) == ["Quarterly sales jumped and the outlook was raised", "Shares plunged after a profit warning"]
    assert set(items["sentiment"]) <= {"negative", "neutral", "positive"} and items["sentiment"].notna().all()
    assert items["confidence"].between(0, 1).all()
    assert set(items["link"]) == {"https://example.com/a", "https://example.com/b"}
    assert metrics(at)["Stories"] == "2"


def test_fetch_now_groups_the_same_story_at_once_not_at_the_workers_next_cycle(tiny_models):
    routes = {
        "/news.rss": _rss(
            [
                {"title": "Acme recalls 20,000 cars over a brake fault", "link": "https://example.com/acme?utm_source=rss"},
                {"title": "Acme recalls 20,000 cars over a brake fault - Wire", "link": "https://example.com/acme-wire"},
                {"title": "Quarterly sales jumped and the outlook was raised", "link": "https://example.com/b"},
            ]
        )
    }
    with serve_feeds(routes) as base:
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "Markets wire", base + "/news.rss")
        button(at, "Fetch now").click().run()
        assert "Markets wire: 3 new items, all scored." in texts(at.success)
    switch_tab(at, "Items")
    assert_no_exception(at)
    assert metrics(at)["Stories"] == "2"  # the recall, carried twice, is one story without a worker running
    assert len(table(at, "items_table")) == 2  # one row per story


def test_a_feed_read_from_a_broken_document_is_ok_with_its_problem_said(tiny_models):
    good = _rss([{"title": "Shares plunged after a profit warning", "link": "https://example.com/a"},
                 {"title": "Sales jumped", "link": "https://example.com/b"}])
    with serve_feeds({"/broken.rss": good.replace(b"Sales jumped", b"Sales & margins jumped")}) as base:  # a raw &
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "Broken", base + "/broken.rss")
        button(at, "Fetch now").click().run()
    assert_no_exception(at)
    [report] = [w for w in texts(at.warning) if "Broken" in w]  # said once, by the fetch report
    assert "2 new items" in report and "not well-formed XML" in report
    shown = table(at, "feeds_table")
    assert list(shown["status"]) == ["OK, with a problem"] and list(shown["items"]) == [2]
    assert shown["last_error"][0].startswith("the document is not well-formed XML")
    at.run()  # back on the tab later: the stored problem is shown under the feed picker, as a warning
    assert any(w.startswith("The last fetch of Broken stored what it could: ") and "2 items were recovered" in w
               for w in texts(at.warning)), texts(at.warning)
    assert not [e for e in texts(at.error) if "Broken" in e]


def test_fetch_now_shows_why_a_feed_failed(db):
    with serve_feeds({"/gone.rss": FeedRoute(b"gone", status=404)}) as base:
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "Gone", base + "/gone.rss")
        button(at, "Fetch now").click().run()
    assert_no_exception(at)
    assert any(e.startswith("Fetching Gone failed:") and "404" in e for e in texts(at.error)), texts(at.error)
    shown = table(at, "feeds_table")
    assert list(shown["status"]) == ["error"]
    assert "404" in shown["last_error"][0] and base not in shown["last_error"][0]  # the row already shows the URL
    assert not any("The last fetch of Gone failed" in e for e in texts(at.error))  # said once, by the fetch report
    at.run()  # back on the tab later: the stored failure is shown under the feed picker
    assert [e for e in texts(at.error) if "Gone" in e] == [e for e in texts(at.error) if e.startswith("The last fetch of Gone failed:")]
    assert any("The last fetch of Gone failed" in e and "404" in e for e in texts(at.error))


def test_a_web_page_given_as_the_feed_offers_the_feeds_it_names_and_one_click_uses_one(tiny_models):
    page = (b'<html><head><link rel="alternate" type="application/rss+xml" title="Top news" href="/top.rss">'
            b'<link rel="alternate" type="application/atom+xml" href="/all.atom"></head><body>Markets</body></html>')
    routes = {"/": FeedRoute(page, headers={"Content-Type": "text/html"}),
              "/top.rss": _rss([{"title": "Shares plunged after a profit warning", "link": "https://example.com/a"}])}  # fmt: skip
    with serve_feeds(routes) as base:
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "Markets site", base + "/")
        button(at, "Fetch now").click().run()
        assert_no_exception(at)
        errors = [e.replace("\u2060", "") for e in texts(at.error)]  # the page keeps addresses from turning into links
        assert any("the page names 2 feeds: " + base + "/top.rss ('Top news')" in e for e in errors), errors
        assert [b.label for b in at.button if b.key and b.key.startswith("feed_link_")] == [
            f"Use Top news ({base}/top.rss)", f"Use {base}/all.atom"]  # fmt: skip
        with session_scope() as session:  # the second address is another feed's already
            session.add(Feed(name="Top news wire", url=base + "/all.atom", topics=[]))
        at.button(key="feed_link_1").click().run()
        assert_no_exception(at)
        assert texts(at.error) == ["The feed 'Top news wire' already uses this URL."]  # not the stored failure again
        assert [b.key for b in at.button if b.key and b.key.startswith("feed_link_")] == ["feed_link_0", "feed_link_1"]
        at.button(key="feed_link_0").click().run()
        assert_no_exception(at)
        [feed] = [f for f in list_feeds() if f.name == "Markets site"]
        assert feed.url == base + "/top.rss"
        assert any("Saved the feed 'Markets site': new URL" in t for t in texts(at.success)), texts(at.success)
        assert not [b for b in at.button if b.key and b.key.startswith("feed_link_")]  # said once, with the failure
        assert not texts(at.error)  # the web page's failure is not the new address's "last fetch"
        button(at, "Fetch now").click().run()
        assert any(t.startswith("Markets site: 1 new item") for t in texts(at.success)), texts(at.success)


def test_fetch_all_fetches_every_feed_and_names_the_one_that_failed(tiny_models):
    routes = {
        "/a.rss": _rss([{"title": "Profit rose to a record", "link": "https://example.com/a1"},
                        {"title": "The bank held rates", "link": "https://example.com/a2"}]),
        "/b.rss": _rss([{"title": "Shares plunged after a profit warning", "link": "https://example.com/b1"}]),
        "/gone.rss": FeedRoute(b"gone", status=404),
    }
    with serve_feeds(routes) as base:
        at = open_page(PAGE, tab="Feeds")
        for name, path in (("Wire A", "/a.rss"), ("Wire B", "/b.rss"), ("Gone", "/gone.rss")):
            at = fill_feed_form(at, name, base + path)
        at = button(at, "Fetch all").click().run()
    assert_no_exception(at)
    [report] = [w for w in texts(at.warning) if "feeds fetched" in w]
    assert report.startswith("2 of 3 feeds fetched: 3 new items, all scored. Failed: Gone:") and "404" in report
    assert len(list_articles(ArticleFilter())) == 3
    assert {f.name: f.last_status for f in list_feeds()} == {"Wire A": "ok", "Wire B": "ok", "Gone": "error"}
    gone = next(f.id for f in list_feeds() if f.name == "Gone")
    assert at.selectbox(key="feed_pick").value == gone  # the last feed added is picked, under the report
    assert not any("The last fetch of Gone failed" in e for e in texts(at.error))  # the report above says it once
    at = at.run()  # back on the tab later: the stored failure shows under the picker
    assert any("The last fetch of Gone failed" in e for e in texts(at.error))


def test_fetch_now_without_a_model_stores_items_and_says_how_to_install_one(db):
    with serve_feeds({"/n.rss": _rss([{"title": "Profit rose", "link": "https://example.com/p"}])}) as base:
        at = open_page(PAGE, tab="Feeds")
        fill_feed_form(at, "News", base + "/n.rss")
        button(at, "Fetch now").click().run()
    assert_no_exception(at)
    assert any("1 new items stored" in w and "python -m core setup" in w for w in texts(at.warning)), texts(at.warning)
    switch_tab(at, "Items")
    assert any("1 stored items are waiting to be scored" in i for i in texts(at.info)), texts(at.info)


def test_deleting_a_feed_asks_for_confirmation(seed):
    seed(SCORED[:1], feed_name="<b>Wire</b>")
    at = open_page(PAGE, tab="Feeds")
    button(at, "Delete…").click().run()
    warning = next(w for w in texts(at.warning) if w.startswith("Delete the feed"))
    assert "&lt;b&gt;Wire&lt;/b&gt;" in warning and "<b>" not in warning  # feed text is escaped, never HTML
    assert "and its 1 item? This cannot be undone." in warning
    assert len(list_feeds()) == 1
    button(at, "Cancel").click().run()
    assert not any(w.startswith("Delete the feed") for w in texts(at.warning))
    assert len(list_feeds()) == 1

    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert list_feeds() == []
    assert any("Deleted the feed" in s for s in texts(at.success))
    assert "No feeds yet — add one above with its RSS or Atom URL." in texts(at.info)


def test_a_feed_an_alert_rule_watches_is_kept_and_the_page_says_which_rule(seed):
    from core.alerts import save_alert_rule

    seed(SCORED[:1], feed_name="Wire")
    save_alert_rule(name="Wire watch", scope_type="feed", scope_value="Wire")
    at = open_page(PAGE, tab="Feeds")
    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert any("The feed 'Wire' is watched by alert rule 'Wire watch': change or delete them first." in e for e in texts(at.error))
    assert [f.name for f in list_feeds()] == ["Wire"]


def test_an_admin_edits_a_feed_pauses_it_and_keeps_its_items(seed):
    from core.auth import list_events

    seed(SCORED[:2], feed_name="Wire")
    [feed] = list_feeds()
    at = open_page(PAGE, tab="Feeds")
    button(at, "Edit…").click().run()
    assert at.text_input(key=f"fe_name_{feed.id}").value == "Wire"
    at.text_input(key=f"fe_url_{feed.id}").set_value("http://169.254.169.254/latest/meta-data/")  # not allowed
    at = button(at, "Save changes").click().run()
    assert_no_exception(at)
    assert any("169.254.169.254" in e for e in texts(at.error)), texts(at.error)
    assert list_feeds()[0].url == feed.url  # nothing saved; the form is still open with the values to fix
    assert at.text_input(key=f"fe_url_{feed.id}").value.startswith("http://169.254")

    at.text_input(key=f"fe_url_{feed.id}").set_value(feed.url)
    at.text_input(key=f"fe_name_{feed.id}").set_value("  Markets   wire ")
    at.number_input(key=f"fe_interval_{feed.id}").set_value(60)
    at.checkbox(key=f"fe_enabled_{feed.id}").uncheck()
    at = button(at, "Save changes").click().run()
    assert_no_exception(at)
    [saved] = list_feeds()
    assert (saved.name, saved.interval_minutes, saved.enabled, saved.articles) == ("Markets wire", 60, False, 2)
    [said] = [s for s in texts(at.success) if s.startswith("Saved the feed")]
    assert said == ("Saved the feed 'Markets wire': renamed from 'Wire'; fetched every 60 minutes; "
                    "paused (the worker skips it until it is resumed; its items stay).")  # fmt: skip
    assert not [b for b in at.button if b.label == "Save changes"]  # the form closed
    assert table(at, "feeds_table")["status"].iloc[0].startswith("paused · ")
    [event] = list_events(action="feed changed")
    assert event["target"] == "Markets wire" and event["detail"]["enabled"] is False

    button(at, "Edit…").click().run()
    at = button(at, "Save changes").click().run()
    assert "Nothing to save: the settings are as they were." in texts(at.info)
    assert len(list_events(action="feed changed")) == 1


def test_the_feed_editor_follows_the_feed_picked(seed):
    seed(SCORED[:1], feed_name="Wire")
    seed(SCORED[1:2], feed_name="Desk")
    by_name = {f.name: f.id for f in list_feeds()}
    at = open_page(PAGE, tab="Feeds")
    at.selectbox(key="feed_pick").set_value(by_name["Wire"]).run()
    button(at, "Edit…").click().run()
    assert at.text_input(key=f"fe_name_{by_name['Wire']}").value == "Wire"
    assert list(at.selectbox(key="feed_pick").options)[0] == "Desk"  # Wire is not the first choice
    at = switch_tab(switch_tab(at, "Items"), "Feeds")
    assert at.selectbox(key="feed_pick").value == by_name["Wire"]  # still the feed picked before the look at Items
    at = at.selectbox(key="feed_pick").set_value(by_name["Desk"]).run()
    assert_no_exception(at)
    assert not [t for t in at.text_input if t.key.startswith("fe_name_")]  # not Wire's editor under Desk


def test_analysts_cannot_edit_feeds(seed):
    seed(SCORED[:1], feed_name="Wire")
    at = open_page(PAGE, tab="Feeds", role="analyst")
    assert not [b for b in at.button if b.label in ("Edit…", "Delete…")]


def test_items_tab_lists_and_filters_scored_items(seed):
    seed(SCORED)
    seed([("Old news about a profit warning", "negative", "Earnings", [])], feed_name="Archive", hours_ago=24 * 30)
    at = open_page(PAGE)
    assert_no_exception(at)
    items = table(at, "items_table")
    assert sorted(items["title"]) == sorted(t for t, *_ in SCORED)  # the 30-day-old item is outside the last 7 days
    assert list(items.columns[:5]) == ["published_at", "title", "link", "sources", "sentiment"]
    assert metrics(at) == {"Stories": "4", "Negative": "2", "Neutral": "1", "Positive": "1", "Negative share": "50%"}

    at.multiselect(key="f_sentiments").set_value(["negative"]).run()
    negatives = ["Sales fell and the dividend was cancelled", "Shares plunged after a profit warning"]
    assert sorted(table(at, "items_table")["title"]) == negatives
    at.multiselect(key="f_sentiments").set_value([]).run()

    at.multiselect(key="f_companies").set_value(["NOK"]).run()
    assert sorted(table(at, "items_table")["title"]) == ["Operating profit rose to a record", "Shares plunged after a profit warning"]
    at.multiselect(key="f_companies").set_value([]).run()

    at.text_input(key="f_keyword").input("central bank").run()
    assert list(table(at, "items_table")["title"]) == ["The central bank held rates"]
    assert metrics(at)["Stories"] == "1"

    at.text_input(key="f_keyword").input("").run()
    today = utcnow().date()
    at.date_input(key="f_dates").set_value((today - timedelta(days=40), today)).run()
    assert len(table(at, "items_table")) == 5


def test_today_so_far_is_drawn_lighter_in_the_counts_chart(seed):
    seed(SCORED[:2], hours_ago=0)  # today, under way
    seed(SCORED[2:], feed_name="Older", hours_ago=72)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    counts = json.loads(at.get("plotly_chart")[1].proto.spec)
    bars = {trace["name"]: dict(zip(trace["x"], trace["marker"]["opacity"], strict=True)) for trace in counts["data"]}
    assert sorted(bars["negative"].values()) == [0.4, 1.0]  # today lighter, three days ago not
    assert max(bars["negative"], key=lambda day: day) == min(bars["negative"], key=bars["negative"].get)
    assert "The lighter bar is today (UTC) so far: its counts are lower for that reason alone." in texts(at.caption)


def test_trends_chart_the_items_and_drill_down_to_a_point(seed):
    seed(SCORED)
    at = open_page(PAGE, tab="Trends")
    assert_no_exception(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # the trend line and the stacked sentiment counts
    line, counts = (json.loads(chart.proto.spec) for chart in charts)
    assert {trace["name"] for trace in line["data"]} == {"Earnings", "Fed | Central Banks"}
    assert line["layout"]["title"]["text"] == "Negative share by topic"
    earnings = next(trace for trace in line["data"] if trace["name"] == "Earnings")
    assert earnings["customdata"][0][0] == "Earnings"  # what a click hands back: group, bucket, ...
    assert {trace["name"] for trace in counts["data"]} == {"negative", "neutral", "positive"}
    assert counts["layout"]["barmode"] == "relative"

    pick = at.selectbox(key="t_pick")
    labels = [o for o in pick.options]
    assert len(labels) == 2 and any(label.endswith("Earnings") for label in labels)
    earnings = next(i for i, label in enumerate(labels) if label.endswith("Earnings"))
    pick.select_index(earnings).run()
    assert_no_exception(at)
    drilled = table(at, "drill_table")
    assert sorted(drilled["title"]) == sorted(t for t, _, topic, _ in SCORED if topic == "Earnings")

    at.selectbox(key="t_group").set_value("company").run()
    assert_no_exception(at)
    assert [o for o in at.selectbox(key="t_pick").options][0].endswith("NOK")
    at.selectbox(key="t_measure").set_value("items").run()
    at.selectbox(key="t_freq").set_value("hour").run()
    assert_no_exception(at)
    assert len(at.get("plotly_chart")) == 2


def test_an_alert_email_link_presets_the_filters(seed):
    seed(SCORED)
    start = (utcnow() - timedelta(days=1)).replace(microsecond=0)
    end = utcnow() + timedelta(hours=1)
    at = open_page(
        PAGE, scope_type="topic", scope="Fed | Central Banks",
        start=start.isoformat(timespec="minutes"), end=end.isoformat(timespec="minutes"),
    )
    assert_no_exception(at)
    assert at.multiselect(key="f_topics").value == ["Fed | Central Banks"]
    assert at.date_input(key="f_dates").value == (start.date(), end.date())
    assert list(table(at, "items_table")["title"]) == ["The central bank held rates"]
    assert any(i.startswith("Filters set by the link you opened: topic") for i in texts(at.info))


def test_a_broken_link_is_ignored_with_a_warning(seed):
    seed(SCORED)
    at = open_page(PAGE, scope_type="feed", scope="No such feed", start="yesterday")
    assert_no_exception(at)
    warnings = texts(at.warning)
    assert any("start date" in w for w in warnings) and any("No such feed" in w for w in warnings), warnings
    assert len(table(at, "items_table")) == len(SCORED)


def _rss(items: list[dict]) -> bytes:
    from tests.support.feed_server import rss_feed

    now = utcnow()
    return rss_feed([{**item, "pubDate": (now - timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")} for item in items])


def test_a_reviewer_corrects_an_items_sentiment_and_it_becomes_training_data(seed, tiny_models):
    from core.sentiment.corrections import corrections_for_training
    from core.views.model_studio import corrections_available

    seed(SCORED)
    at = open_page(PAGE)
    listed = list_articles(ArticleFilter())
    target = int(listed[listed["title"] == "The central bank held rates"]["id"].iloc[0])
    at.selectbox(key="fix_item").set_value(target)
    at.radio(key="fix_field").set_value("sentiment")
    at = at.run()
    assert button(at, "Save correction").disabled  # no label picked yet: nothing saved by a stray click
    assert any(c.startswith("Now: sentiment neutral (confidence") and c.endswith("; topic Fed | Central Banks.") for c in texts(at.caption))
    at = at.selectbox(key="fix_label_sentiment").set_value("negative").run()
    at = button(at, "Save correction").click().run()
    assert_no_exception(at)
    assert any("this item's sentiment is now 'negative'" in s for s in texts(at.success))
    fixed = table(at, "items_table")
    assert fixed[fixed["title"] == "The central bank held rates"]["sentiment"].iloc[0] == "negative"
    assert fixed.set_index("title")["corrected"].to_dict() == {  # the confidence columns stay the model's: say so
        "The central bank held rates": "sentiment (was neutral, by test-admin)", **{t: "" for t, *_ in SCORED[:3]}}
    assert any(c.startswith("Now: sentiment negative, corrected by test-admin (the model said neutral") for c in texts(at.caption))
    assert corrections_for_training("sentiment") == [("The central bank held rates", "negative")]
    assert corrections_available("sentiment") == 1


def test_picking_a_row_opens_the_correction_form_on_that_item(seed):
    seed(SCORED)
    at = open_page(PAGE, role="analyst")
    shown = table(at, "items_table")
    [form] = [e for e in at.expander if e.label == "Correct an item's sentiment or topic"]
    assert not form.proto.expanded
    row = shown.index[shown["title"] == "Operating profit rose to a record"][0]
    at.session_state["items_table"] = {"selection": {"rows": [int(row)], "columns": [], "cells": []}}  # the row's box
    at = at.run()
    assert_no_exception(at)
    [form] = [e for e in at.expander if e.label == "Correct an item's sentiment or topic"]
    assert form.proto.expanded
    picked = at.selectbox(key="fix_item")
    assert picked.format_func(picked.value) == "Operating profit rose to a record"
    assert any(c.startswith("Now: sentiment positive") and c.endswith("; topic Earnings.") for c in texts(at.caption))

    listed = list_articles(ArticleFilter())
    other = int(listed[listed["title"] == "The central bank held rates"]["id"].iloc[0])
    at = at.selectbox(key="fix_item").set_value(other).run()  # the box changed after the pick stays changed
    assert at.selectbox(key="fix_item").value == other
    assert any(c.startswith("Now: sentiment neutral") for c in texts(at.caption))


def test_viewers_cannot_pick_rows_to_correct(seed):
    seed(SCORED)
    at = open_page(PAGE, role="viewer")
    assert_no_exception(at)
    assert len(table(at, "items_table")) == len(SCORED)
    assert not any("pick its row" in c for c in texts(at.caption))
    assert [d for d in at.dataframe if "confidence" in d.value.columns][0].proto.selection_mode == []


def test_fetch_now_of_a_feed_that_does_not_exist_says_so_and_audits_nothing(db):
    from core.auth import list_events
    from core.views.financial_sentiment import fetch_now

    report = fetch_now(9999)
    assert report.level == "error" and "does not exist" in report.text
    assert not list_events(action="feed fetched")


def test_the_items_the_filters_match_download_whole_with_headers_in_words(seed):
    import io

    import pandas as pd

    from core.views import financial_sentiment as dash

    seed(SCORED)
    at = open_page(PAGE)
    [download] = [b for b in at.get("download_button") if b.proto.label.startswith("Download")]
    assert download.proto.label == "Download all 4 stories (CSV)"
    at.multiselect(key="f_sentiments").set_value(["positive"]).run()
    assert [b.proto.label for b in at.get("download_button") if b.proto.label.startswith("Download")] == ["Download the 1 story (CSV)"]

    flt = ArticleFilter(count_stories=True)
    assert len(list_articles(flt, limit=2)) == 2  # the table lists the newest few...
    frame = pd.read_csv(io.BytesIO(dash.items_download(flt)()))  # ...the file has every match
    assert len(frame) == 4 and set(frame["Title"]) == {t for t, *_ in SCORED}
    assert list(frame.columns) == ["Published (UTC)", "Title", "Link", "Sources", "Sentiment", "Confidence", "P(negative)", "Topic",
                                   "Companies", "Feed", "Corrected by a reviewer", "Summary"]  # fmt: skip
    assert dash.items_download_label(1, stories=False) == "Download the 1 item (CSV)"
    assert dash.items_download_label(1272, stories=False) == "Download all 1,272 items (CSV)"


def test_the_filters_say_how_long_items_are_kept_when_old_ones_are_deleted(seed, monkeypatch):
    from core.settings import get_settings

    seed(SCORED)
    at = open_page(PAGE)
    assert not [t for t in texts(at.sidebar.caption) if "Items are kept" in t]  # every item kept: nothing to say
    monkeypatch.setenv("BEACON_KEEP_ITEMS_DAYS", "90")
    get_settings.cache_clear()
    at = open_page(PAGE)
    assert_no_exception(at)
    assert [t for t in texts(at.sidebar.caption) if t.startswith("Items are kept for 90 days (BEACON_KEEP_ITEMS_DAYS)")]
