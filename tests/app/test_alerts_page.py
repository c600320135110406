"""The Alerts page (alerts, watchlists, alert rules) with AppTest against a real, migrated database."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import select

from core.alerts import list_alert_rules, list_alerts, save_alert_rule
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, utcnow
from core.watchlists import list_watchlists, save_watchlist
from tests.app.helpers import assert_no_exception, button, open_page, shown_texts, switch_tab, table, texts, widget

PAGE = "alerts.py"


def fill_rule(at, name="Earnings drop", scope_type="topic", scope_value="Earnings", mode="share", threshold=0.5,
              recipients="risk@example.com", enabled=True):
    widget(at.text_input, "Rule name").input(name)
    widget(at.selectbox, "Scope").set_value(scope_type)
    widget(at.text_input, "Scope value").input(scope_value)
    widget(at.selectbox, "Test").set_value(mode)
    widget(at.number_input, "Threshold").set_value(threshold)
    widget(at.text_input, "Recipients (comma-separated emails)").input(recipients)
    widget(at.checkbox, "Enabled").set_value(enabled)
    return button(at, "Save rule").click().run()


def fill_watchlist(at, name="Nordics", companies="Nokia, Kone", tickers="$nok", keywords=""):
    widget(at.text_input, "Watchlist name").input(name)
    widget(at.text_input, "Companies (comma-separated)").input(companies)
    widget(at.text_input, "Tickers (comma-separated)").input(tickers)
    widget(at.text_input, "Keywords (comma-separated)").input(keywords)
    return button(at, "Save watchlist").click().run()


def test_empty_database_shows_empty_states(db):
    at = open_page(PAGE)
    assert_no_exception(at)
    assert "No alerts yet — create an alert rule in the Alert rules tab first." in texts(at.info)
    button(at, "Open Alert rules").click().run()  # one click to where a rule is made
    assert_no_exception(at)
    assert "Save rule" in page_buttons(at)  # the Alert rules tab is open
    switch_tab(at, "Watchlists")
    assert "No watchlists yet — save one above." in texts(at.info)
    switch_tab(at, "Alert rules")
    assert "No alert rules yet — save one above." in texts(at.info)
    assert_no_exception(at)


def test_watchlist_form_validates_and_saves(db):
    at = open_page(PAGE, tab="Watchlists")
    fill_watchlist(at, name="", companies="Nokia")
    assert "A watchlist needs a name" in texts(at.error)
    fill_watchlist(at, name="Empty", companies="", tickers="", keywords="")
    assert any("needs at least one company, ticker or keyword" in e for e in texts(at.error)), texts(at.error)
    assert list_watchlists() == []

    fill_watchlist(at)
    assert_no_exception(at)
    assert "Watchlist 'Nordics' saved." in texts(at.success)
    [saved] = list_watchlists()
    assert {k: saved[k] for k in ("name", "companies", "tickers", "keywords")} == {
        "name": "Nordics", "companies": ["Nokia", "Kone"], "tickers": ["NOK"], "keywords": [],
    }
    shown = table(at, "watchlists_table")
    assert shown.to_dict("records") == [{"name": "Nordics", "companies": "Nokia, Kone", "tickers": "NOK", "keywords": ""}]
    assert at.selectbox(key="watch_edit").value == "Nordics"  # once saved, the form edits it
    assert widget(at.text_input, "Watchlist name").disabled  # it keeps its name: rules and digests find it by name
    assert widget(at.text_input, "Companies (comma-separated)").value == "Nokia, Kone"
    assert widget(at.text_input, "Tickers (comma-separated)").value == "NOK"
    widget(at.text_input, "Companies (comma-separated)").input("Nokia")
    widget(at.text_input, "Tickers (comma-separated)").input("")
    at = button(at, "Save watchlist").click().run()
    assert "Watchlist 'Nordics' updated: its companies, tickers and keywords are now the ones entered." in texts(at.success)
    assert [(w["companies"], w["tickers"]) for w in list_watchlists()] == [(["Nokia"], [])]

    at.selectbox(key="watch_edit").set_value("+ New watchlist").run()
    fill_watchlist(at, companies="Kone")  # a new watchlist under a name that exists would overwrite it
    assert any("A watchlist named 'Nordics' already exists" in e for e in texts(at.error))
    fill_watchlist(at, name=" nordics ", companies="Kone")  # nor one that reads as the same name in every list
    assert any("A watchlist named 'Nordics' already exists" in e for e in texts(at.error))
    assert [w["companies"] for w in list_watchlists()] == [["Nokia"]]

    button(at, "Delete…").click().run()
    assert any("Delete the watchlist 'Nordics'?" in w for w in texts(at.warning))
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert list_watchlists() == []
    assert "Deleted the watchlist 'Nordics'." in texts(at.success)


def test_alert_rule_form_validates_and_saves(db):
    at = open_page(PAGE, tab="Alert rules")
    fill_rule(at, recipients="not-an-email")
    assert any(e.startswith("The rule was not saved: ") and "'not-an-email'" in e for e in texts(at.error)), texts(at.error)
    fill_rule(at, scope_value="")
    assert any(e.startswith("The rule was not saved: a topic rule needs a scope value") for e in texts(at.error)), texts(at.error)
    fill_rule(at, threshold=1.5)
    assert any("threshold" in e and "share" in e for e in texts(at.error)), texts(at.error)
    fill_rule(at, mode="spike", threshold=0.5)
    assert any("factor" in e.lower() for e in texts(at.error)), texts(at.error)
    fill_rule(at, scope_type="watchlist", scope_value="Nobody")
    assert any("no watchlist named 'nobody'" in e.lower() for e in texts(at.error)), texts(at.error)
    fill_rule(at, name="  ")
    assert any(e.startswith("The rule was not saved: ") and "name" in e for e in texts(at.error)), texts(at.error)
    assert list_alert_rules() == []

    fill_rule(at, recipients="risk@example.com, ir@example.com", mode="spike", threshold=2.0, enabled=False)
    assert_no_exception(at)
    assert "Rule 'Earnings drop' saved." in texts(at.success)
    [rule] = list_alert_rules()
    assert (rule["name"], rule["scope_type"], rule["scope_value"], rule["mode"], rule["threshold"], rule["enabled"]) == (
        "Earnings drop", "topic", "Earnings", "spike", 2.0, False,
    )
    assert rule["recipients"] == ["risk@example.com", "ir@example.com"]
    shown = table(at, "rules_table").iloc[0]
    assert shown["scope"] == "topic: Earnings"
    assert shown["test"] == "negative share ≥ 2 × the 7-day baseline"
    assert shown["recipients"] == "risk@example.com, ir@example.com"
    assert not shown["enabled"]

    button(at, "Delete…").click().run()
    assert "Delete the alert rule 'Earnings drop'? This cannot be undone." in texts(at.warning)  # no alerts to lose
    button(at, "Cancel").click().run()
    assert len(list_alert_rules()) == 1
    button(at, "Delete…").click().run()
    button(at, "Yes, delete").click().run()
    assert list_alert_rules() == []
    assert_no_exception(at)


def _seed_alerts(seed) -> tuple[int, int]:
    """Two alerts of one rule: the older one's email failed, the newer one's was sent."""
    seed(
        [
            ("Shares plunged after a profit warning", "negative", "Earnings", []),
            ("Sales fell and the dividend was cancelled", "negative", "Earnings", []),
        ]
    )
    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings", recipients="risk@example.com")
    now = utcnow()
    with session_scope() as session:
        rule_id = session.scalar(select(AlertRule.id))
        worst = list(session.scalars(select(Article.id).order_by(Article.id)))
        common = dict(rule_id=rule_id, scope_label="topic Earnings", item_count=2, negative_count=2, negative_share=1.0,
                      article_ids=worst, recipients=["risk@example.com"])
        failed = Alert(fired_at=now - timedelta(hours=5), window_start=now - timedelta(hours=29), window_end=now - timedelta(hours=5),
                       reason="100% of 2 items about topic Earnings were negative (threshold 50%)", email_status="failed",
                       email_attempts=3, email_last_error="SMTP 550 mailbox unavailable", **common)
        sent = Alert(fired_at=now, window_start=now - timedelta(hours=24), window_end=now, reason="newest alert",
                     email_status="sent", email_attempts=1, **common)
        session.add_all([failed, sent])
        session.flush()
        return failed.id, sent.id


def test_alerts_table_detail_and_retry_of_a_failed_email(seed):
    failed_id, sent_id = _seed_alerts(seed)
    at = open_page(PAGE, alert=str(failed_id))
    assert_no_exception(at)
    shown = table(at, "alerts_table")
    assert list(shown["id"]) == [sent_id, failed_id]  # newest first
    assert list(shown["email"]) == ["sent", "failed after 3 attempts: SMTP 550 mailbox unavailable"]
    assert list(shown["scope"]) == ["topic Earnings"] * 2

    assert widget(at.selectbox, "Alert").value == failed_id
    assert "100% of 2 items about topic Earnings were negative (threshold 50%)" in texts(at.text)
    assert "Email failed after 3 attempts: SMTP 550 mailbox unavailable" in texts(at.error)
    worst = table(at, "alert_items")
    assert list(worst["title"]) == ["Shares plunged after a profit warning", "Sales fell and the dividend was cancelled"]
    assert all(link.startswith("https://example.com/") for link in worst["link"])
    [link] = at.get("page_link")
    assert link.proto.label == "Open these items in Financial sentiment"
    assert "scope_type=topic" in link.proto.query_string and "scope=Earnings" in link.proto.query_string

    button(at, "Retry email").click().run()
    assert_no_exception(at)
    assert "Email queued again: the worker sends it within a minute." in texts(at.success)
    with session_scope() as session:
        alert = session.get(Alert, failed_id)
        assert (alert.email_status, alert.email_attempts) == ("pending", 0)


def test_deleting_a_rule_says_its_alerts_go_with_it_and_their_links_then_say_so(seed):
    failed_id, sent_id = _seed_alerts(seed)
    at = open_page(PAGE, tab="Alert rules")
    button(at, "Delete…").click().run()
    asked = "Delete the alert rule 'Earnings drop'? Its 2 fired alerts are deleted with it"
    assert any(w.startswith(asked) for w in texts(at.warning)), texts(at.warning)
    button(at, "Yes, delete").click().run()
    assert_no_exception(at)
    assert list_alerts() == []
    at = open_page(PAGE, alert=str(sent_id))  # the link in the alert's email
    assert_no_exception(at)
    assert f"Alert #{sent_id} from the link was not found (it may have been deleted with its rule)." in texts(at.warning)
    assert not [s for s in at.selectbox if s.label == "Alert"]


def test_the_detail_says_what_the_rule_counted_when_it_fired(seed):
    from core.alerts.detect import detect_alerts

    seed([("Shares plunged after a profit warning", "negative", "Earnings", []),
          ("Sales fell and the dividend was cancelled", "negative", "Earnings", [])])  # fmt: skip
    common = dict(scope_type="topic", scope_value="Earnings", min_items=2)
    save_alert_rule(name="Stories rule", **common)
    save_alert_rule(name="Items rule", count_items=True, **common)
    new_ids = detect_alerts(utcnow())
    fired = {a["rule"]: a["id"] for a in list_alerts() if a["id"] in new_ids}
    assert set(fired) == {"Stories rule", "Items rule"}
    for rule, label in (("Stories rule", "Stories in the window"), ("Items rule", "Items in the window")):
        at = open_page(PAGE, alert=str(fired[rule]))
        assert_no_exception(at)
        assert [m.label for m in at.metric][0] == label and at.metric[0].value == "2"
        noun = label.split()[0].lower()
        assert f"**The 2 {noun}, most negative first:**" in [m.value for m in at.markdown]


def test_alert_link_to_an_unknown_alert_falls_back_to_the_newest(seed):
    _, sent_id = _seed_alerts(seed)
    at = open_page(PAGE, alert="999")
    assert_no_exception(at)
    assert any("Alert #999 from the link was not found" in w for w in texts(at.warning))
    assert widget(at.selectbox, "Alert").value == sent_id
    assert "newest alert" in texts(at.text)
    assert not any(b.label == "Retry email" for b in at.button)
    assert "Email: sent" in texts(at.caption)


def headers(frame) -> list[str]:
    """The column headers a table shows: the configured label, else the raw column name."""
    config = json.loads(frame.proto.columns or "{}")
    shown = [c for c in frame.value.columns if not (c in config and config[c].get("hidden"))]
    return [(config.get(c) or {}).get("label") or c for c in shown]


def test_tables_have_headers_in_words(seed):
    _seed_alerts(seed)
    save_watchlist("Nordics", "Nokia", "NOK", "")
    at = open_page(PAGE)
    for tab in ("Alerts", "Watchlists", "Alert rules"):
        switch_tab(at, tab)
        assert_no_exception(at)
        assert at.dataframe
        for frame in at.dataframe:
            raw = [h for h in headers(frame) if "_" in h or (h.isalpha() and h.islower())]
            assert not raw, f"{tab}: raw column names {raw} in {headers(frame)}"


def page_buttons(at) -> list[str]:
    return [b.label for b in at.button if b.label != "Sign out"]


def test_a_viewer_is_not_told_to_create_a_rule(db):
    at = open_page(PAGE, role="viewer")
    assert_no_exception(at)
    assert "No alerts yet. They appear here once an analyst's alert rule matches." in texts(at.info)
    assert not any("create an alert rule" in t for t in texts(at.info)) and "Open Alert rules" not in page_buttons(at)


def test_viewers_get_read_only_views(seed):
    failed_id, _ = _seed_alerts(seed)
    save_watchlist("Nordics", "Nokia", "NOK", "")
    at = open_page(PAGE, role="viewer", alert=str(failed_id))
    assert_no_exception(at)
    assert any("Email failed after 3 attempts" in e for e in texts(at.error))
    assert not page_buttons(at)  # no Retry for a viewer (core would refuse it)
    switch_tab(at, "Watchlists")
    assert any("signed in as a viewer" in i for i in texts(at.info))
    assert not at.text_input and not page_buttons(at)
    assert table(at, "watchlists_table")["name"].tolist() == ["Nordics"]
    switch_tab(at, "Alert rules")
    assert_no_exception(at)
    assert any("signed in as a viewer" in i for i in texts(at.info))
    assert not at.text_input and not at.number_input and not page_buttons(at)
    assert table(at, "rules_table")["name"].tolist() == ["Earnings drop"]


def test_a_rule_is_edited_in_place(db):
    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings", threshold=0.6, min_items=4,
                    cooldown_hours=6, recipients="risk@example.com")
    at = open_page(PAGE, tab="Alert rules")
    widget(at.selectbox, "Rule to edit").set_value("Earnings drop").run()
    assert_no_exception(at)
    assert widget(at.text_input, "Rule name").value == "Earnings drop"
    assert widget(at.text_input, "Scope value").value == "Earnings"
    assert widget(at.number_input, "Threshold").value == 0.6
    assert widget(at.number_input, "Minimum stories in the window").value == 4
    assert widget(at.number_input, "Cooldown (hours)").value == 6
    hours = [widget(at.number_input, label).proto.format for label in ("Window (hours)", "Cooldown (hours)")]
    assert hours == ["%g", "%g"]  # shown as 24 and 6, not 24.00 and 6.00
    assert widget(at.text_input, "Recipients (comma-separated emails)").value == "risk@example.com"
    widget(at.number_input, "Threshold").set_value(0.7)
    button(at, "Save rule").click().run()
    assert_no_exception(at)
    assert "Rule 'Earnings drop' saved." in texts(at.success)
    [rule] = list_alert_rules()
    assert (rule["threshold"], rule["min_items"], rule["scope_value"], rule["recipients"]) == (0.7, 4, "Earnings", ["risk@example.com"])


def test_the_rule_and_watchlist_being_edited_stay_picked_after_a_look_at_another_tab(db):
    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings", threshold=0.6, min_items=4,
                    cooldown_hours=6, recipients="risk@example.com")
    save_watchlist("Big tech", "Apple, Microsoft", "", "")
    at = open_page(PAGE, tab="Alert rules")
    widget(at.selectbox, "Rule to edit").set_value("Earnings drop").run()
    at = switch_tab(switch_tab(at, "Watchlists"), "Alert rules")
    assert_no_exception(at)
    assert widget(at.selectbox, "Rule to edit").value == "Earnings drop"  # not back at "+ New rule"
    assert widget(at.number_input, "Threshold").value == 0.6
    at = switch_tab(at, "Watchlists")
    widget(at.selectbox, "Watchlist to edit").set_value("Big tech").run()
    at = switch_tab(switch_tab(at, "Alerts"), "Watchlists")
    assert widget(at.selectbox, "Watchlist to edit").value == "Big tech"


def test_a_new_rule_does_not_overwrite_one_of_the_same_name_and_a_saved_rule_is_then_edited(db):
    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings", threshold=0.6, recipients="risk@example.com")
    at = open_page(PAGE, tab="Alert rules")
    fill_rule(at, name="Earnings drop", scope_value="Dividends", threshold=0.3)  # the New rule form, a name in use
    assert_no_exception(at)
    assert any(e.startswith("A rule named 'Earnings drop' already exists.") and "Nothing was saved" in e for e in texts(at.error))
    [rule] = list_alert_rules()
    assert (rule["scope_value"], rule["threshold"]) == ("Earnings", 0.6)  # untouched

    period = (date(2026, 3, 1), date(2026, 3, 9))  # the period the analyst was trying the rule on
    widget(at.date_input, "Try it on the period (UTC)").set_value(period)
    fill_rule(at, name="Dividend cuts", scope_value="Dividends", threshold=0.3)
    assert_no_exception(at)
    assert "Rule 'Dividend cuts' saved." in texts(at.success)
    assert widget(at.date_input, "Try it on the period (UTC)").value == period  # kept when the saved rule opens
    assert widget(at.selectbox, "Rule to edit").value == "Dividend cuts"  # the form now edits the saved rule
    assert widget(at.text_input, "Rule name").disabled
    widget(at.number_input, "Threshold").set_value(0.4)
    button(at, "Save rule").click().run()
    assert_no_exception(at)
    assert "Rule 'Dividend cuts' saved." in texts(at.success)
    assert {r["name"]: r["threshold"] for r in list_alert_rules()} == {"Earnings drop": 0.6, "Dividend cuts": 0.4}


def test_a_topic_rule_that_nothing_has_is_saved_with_a_warning_naming_the_closest_topic(seed):
    seed([("Shares plunged", "negative", "Earnings", [])])
    at = fill_rule(open_page(PAGE, tab="Alert rules"), name="Typo", scope_value="Earning")
    assert_no_exception(at)
    assert "Rule 'Typo' saved." in texts(at.success)
    assert any(w.startswith("No item, feed tag or topic model has the topic 'Earning'") and w.endswith("did you mean 'Earnings'?")
               for w in texts(at.warning)), texts(at.warning)  # fmt: skip
    at = fill_rule(open_page(PAGE, tab="Alert rules"), name="Right", scope_value="earnings")  # case is ignored
    assert "Rule 'Right' saved." in texts(at.success) and not [w for w in texts(at.warning) if w.startswith("No item")]


def test_a_rule_is_tried_on_a_past_period_without_saving(seed):
    seed([(f"Shares plunged {i}", "negative", "Earnings", []) for i in range(4)], hours_ago=24 * 120)  # months old
    seeded_at = utcnow() - timedelta(days=120)
    old = seeded_at.date()
    at = open_page(PAGE, tab="Alert rules")
    fill = {"Rule name": "Try me", "Scope value": ""}
    for label, value in fill.items():
        widget(at.text_input, label).input(value)
    widget(at.number_input, "Minimum stories in the window").set_value(3)
    widget(at.date_input, "Try it on the period (UTC)").set_value((old - timedelta(days=2), old + timedelta(days=2)))
    button(at, "Try the rule").click().run()
    assert_no_exception(at)
    assert any(s.startswith("This rule would have fired 1 time from ") for s in texts(at.success)), texts(at.success) + texts(at.info)
    [shown] = [f.value for f in at.dataframe if "reason" in f.value.columns]
    # the first hourly window that ends after the items (the next day when they were seeded after 23:00)
    assert shown["items"].tolist() == [4] and timedelta(0) <= shown["window_end"].iloc[0] - seeded_at <= timedelta(hours=1)
    assert list_alert_rules() == []  # trying saves nothing
    with session_scope() as session:
        assert session.scalar(select(Alert.id)) is None

    widget(at.date_input, "Try it on the period (UTC)").set_value((old - timedelta(days=30), old - timedelta(days=20)))
    button(at, "Try the rule").click().run()
    assert any(i.startswith("This rule would not have fired") for i in texts(at.info)), texts(at.info)


def test_the_email_link_address_is_shown_and_a_wrong_port_warned(db, monkeypatch):
    at = open_page(PAGE)
    assert "Alert emails link to http://localhost:8501 (set by BEACON_BASE_URL)." in shown_texts(at.caption)
    monkeypatch.setenv("BEACON_BASE_URL", "http://localhost:8600")
    get_settings.cache_clear()
    at = open_page(PAGE)
    assert any(w.startswith("Alert emails link to http://localhost:8600, but this app runs on port 8501") for w in shown_texts(at.warning))


def test_a_link_to_an_alert_older_than_the_listed_ones_still_opens_it(seed, monkeypatch):
    from core.views import alerts as dash

    failed_id, sent_id = _seed_alerts(seed)
    monkeypatch.setattr(dash, "ALERTS_SHOWN", 1)  # only the newest is listed, as the 200 newest of a long history
    at = open_page(PAGE, alert=str(failed_id))
    assert_no_exception(at)
    assert not any("was not found" in w for w in texts(at.warning))  # it was found, not "deleted with its rule"
    assert widget(at.selectbox, "Alert").value == failed_id
    assert "100% of 2 items about topic Earnings were negative (threshold 50%)" in texts(at.text)
    assert list(table(at, "alerts_table")["id"]) == [sent_id, failed_id]
    assert "The newest 1 of 2 alerts; an older one opens from its link (?alert=number)." in texts(at.caption)
