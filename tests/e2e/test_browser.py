"""Beacon in a real browser: `streamlit run` on localhost, headless Chromium through Playwright.

Flow: add a feed (served from 127.0.0.1) in Financial sentiment → Feeds, Fetch now (crawl + score
with the shipped default models), see the scored items in Items and a plotly chart in Trends, open
the items behind a chart point, and see a fired alert on the Alerts page. Feed and user text that
looks like HTML must stay inert text everywhere (``window.__pwned`` stays undefined).
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`.

Set BEACON_E2E_SCREENSHOTS=/some/folder to keep a screenshot of every page and tab.
"""

from __future__ import annotations

import csv
import re

import pytest

from tests.support.browser import (
    E2E_USER,
    FEED_NAME,
    HEADLINES,
    PAYLOAD,
    SLOW,
    assert_app_navigation,
    assert_inert,
    open_tab,
    settled,
    shot,
    sign_in,
)

pytestmark = pytest.mark.e2e


def test_add_fetch_and_see_scored_items_and_trends(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible()
    settled(page)
    assert_app_navigation(page)
    shot(page, "financial_sentiment_items_before", tmp_path)

    # Financial sentiment → Feeds: add the feed through the form.
    open_tab(page, "Feeds")
    page.get_by_label("Name", exact=True).fill(FEED_NAME)
    page.get_by_label("RSS or Atom URL", exact=True).fill(beacon["feed_url"])
    page.get_by_label("Topic tags (comma-separated, optional)").fill("Markets")
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("added. The worker fetches it on schedule", exact=False)).to_be_visible()
    settled(page)
    expect(page.get_by_label("Name", exact=True)).to_have_value("")  # the form is emptied after a success
    # The new feed is preselected; its HTML-looking name is shown as text.
    expect(page.get_by_text(FEED_NAME, exact=False).first).to_be_visible()
    assert_inert(page)

    # Fetch now: crawl + score with the shipped models.
    page.get_by_role("button", name="Fetch now").click()
    report = page.get_by_text(re.compile(r"\d+ new items, all scored"))
    expect(report).to_be_visible(timeout=SLOW)
    new = int(re.findall(r"(\d+) new items, all scored", report.inner_text())[0])
    assert new >= len(HEADLINES)
    settled(page)
    shot(page, "financial_sentiment_feeds", tmp_path)
    assert_inert(page)

    # Items: the summary counts the scored items; the grid is drawn.
    open_tab(page, "Items")
    items_metric = page.locator("[data-testid=stMetric]").filter(has_text="Stories").first  # the default count: stories
    expect(items_metric.locator("[data-testid=stMetricValue]")).to_have_text(str(new + 1))  # + the seeded item
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    shot(page, "financial_sentiment_items", tmp_path)
    assert_inert(page)

    # Trends: a plotly chart; clicking a point lists the items behind it.
    open_tab(page, "Trends")
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts.first).to_be_visible()
    expect(charts.first.locator(".scatterlayer .point").first).to_be_attached()
    expect(page.get_by_text("Negative share by topic")).to_be_visible()
    _click_chart_point(page, charts.first.locator(".scatterlayer .point").first)
    drill = page.get_by_role("heading").filter(has_text="Items: ")
    expect(drill).to_be_visible()  # the items behind the clicked point
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    shot(page, "financial_sentiment_trends", tmp_path)
    assert_inert(page)

    # The keyboard alternative: pick a bucket and group from the list.
    picker = page.get_by_label("Show the items for a time bucket and group")
    picker.scroll_into_view_if_needed()  # at the viewport's bottom edge (below the Compare toggle) its list did not open
    picker.click()
    option = page.get_by_role("option").last
    picked = option.inner_text().strip()
    option.click()
    settled(page)
    expect(page.get_by_role("heading").filter(has_text=f"Items: {picked}")).to_be_visible()
    assert_inert(page)


def _click_chart_point(page, point) -> None:
    """Hover a plotly marker, then click it (plotly picks the clicked point from the last hover)."""
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    assert box, "the chart has no visible marker"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 20, y - 20)
    page.mouse.move(x, y, steps=5)
    page.wait_for_timeout(400)
    page.mouse.click(x, y)
    settled(page)


def test_alerts_page_shows_a_fired_alert_and_its_rules(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.alerts import detect_alerts, save_alert_rule

    save_alert_rule(name="Any negative", scope_type="all", window_hours=24, min_items=1, mode="share", threshold=0.1,
                    cooldown_hours=1, recipients="risk@example.com")
    [alert_id] = detect_alerts()

    page = browser_page
    # A fresh server opened straight on an alert link (as from the email) still runs through the app.
    page.goto(f"{beacon['url']}/alerts?alert={alert_id}")
    sign_in(page)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    settled(page)
    assert_app_navigation(page)
    expect(page.get_by_role("heading", name=f"Alert #{alert_id}")).to_be_visible()
    expect(page.get_by_text("Open these items in Financial sentiment")).to_be_visible()
    shot(page, "alerts", tmp_path)
    assert_inert(page)

    open_tab(page, "Alert rules")
    expect(page.get_by_role("button", name="Save rule")).to_be_visible()
    shot(page, "alert_rules", tmp_path)
    open_tab(page, "Watchlists")
    expect(page.get_by_role("button", name="Save watchlist")).to_be_visible()
    shot(page, "watchlists", tmp_path)

    # The email's link back to the dashboard presets the filters.
    page.get_by_role("tab", name="Alerts", exact=True).click()
    settled(page)
    page.get_by_text("Open these items in Financial sentiment").click()
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible()
    settled(page)
    expect(page.get_by_text("Filters set by the link you opened: all items", exact=False)).to_be_visible()
    assert_inert(page)




def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(beacon, browser_page):
    """The session token lives in a browser session cookie: a reload or a link opened in a new tab stays
    signed in; signing out removes it, and a revoked token in an old cookie is refused by the server."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "beacon_session"]
    page.goto(f"{beacon['url']}/alerts")
    expect(page.get_by_text(f"Signed in as {E2E_USER}")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    page.goto(f"{beacon['url']}/financial_sentiment?scope_type=all")  # an alert e-mail's link, already signed in
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible(timeout=SLOW)
    settled(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    second_tab = page.context.new_page()
    second_tab.goto(f"{beacon['url']}/model_studio")
    expect(second_tab.get_by_text(f"Signed in as {E2E_USER}")).to_be_visible(timeout=SLOW)
    second_tab.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=SLOW)
    settled(page)
    assert not [c for c in page.context.cookies() if c["name"] == "beacon_session"]
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=SLOW)
    # The sign-in form clears the cookie from a script that may run a moment after the form shows; close the tab
    # so that no late script removes the copy restored below.
    context = page.context
    page.close()
    context.add_cookies([cookie])  # a copy of the old cookie: its session was revoked on sign-out
    old_tab = context.new_page()
    old_tab.goto(beacon["url"])
    expect(old_tab.get_by_text("Your session has expired; please sign in again.")).to_be_visible(timeout=SLOW)
    expect(old_tab.get_by_text(f"Signed in as {E2E_USER}")).to_have_count(0)


FAQ_ROWS = [
    ("How do I block a lost or stolen card", "Freeze the card in the app under Cards > Freeze and call us to order a new one.", "cards"),
    ("What is the daily ATM withdrawal limit", "You can withdraw up to 500 EUR a day from ATMs.", "cards"),
    ("How do I reset my online banking password", "Use Forgot password on the sign-in page; a reset link is emailed to you.", "accounts"),
    ("How do I close my account", f"{PAYLOAD} Visit a branch with your ID to close the account.", "accounts"),
    ("When is the interest on my savings paid", "Interest is paid on the first working day of each month.", "savings"),
]


def test_import_an_faq_and_ask_a_question(beacon, browser_page, tmp_path):
    """Customer service in the browser: import an FAQ CSV, then ask a covered and an off-topic question."""
    from playwright.sync_api import expect

    faq = tmp_path / "cards_faq.csv"
    with faq.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("question", "answer", "category"), *FAQ_ROWS])
    page = browser_page
    page.goto(f"{beacon['url']}/customer_service")
    sign_in(page)
    expect(page.get_by_role("heading", name="Customer service")).to_be_visible()
    settled(page)
    expect(page.get_by_text("No knowledge base yet").first).to_be_visible()

    # Knowledge bases: name, upload, the guessed columns, Import; the report counts the five entries.
    open_tab(page, "Knowledge bases")
    page.get_by_label("Knowledge base name", exact=True).fill("Cards")
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="FAQ CSV")
    uploader.locator("input[type=file]").set_input_files(str(faq))
    settled(page)
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()  # the preview
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Cards: 5 added, 0 updated", exact=False)).to_be_visible(timeout=SLOW)
    settled(page)
    added = page.locator("[data-testid=stMetric]").filter(has_text="Added").first
    expect(added.locator("[data-testid=stMetricValue]")).to_have_text("5")
    shot(page, "customer_service_kb", tmp_path)
    assert_inert(page)

    # Ask: a covered question gets the FAQ answer, its matched question and the detected intent.
    open_tab(page, "Ask")
    chat = page.get_by_placeholder("Ask a customer question")
    expect(chat).to_be_enabled()
    chat.fill("my card was stolen, how can I block it?")
    chat.press("Enter")
    expect(page.get_by_text("Matched FAQ question: How do I block a lost or stolen card")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Freeze the card in the app", exact=False).first).to_be_visible()
    expect(page.get_by_text("model confidence ", exact=False).first).to_be_visible()  # an intent model answered
    expect(page.get_by_text("no intent model")).to_have_count(0)
    settled(page)

    # An off-topic question is handed to a person, with the reason.
    chat.fill("what is the weather like on the moon tomorrow")
    chat.press("Enter")
    expect(page.get_by_text(re.compile(r"Escalate to an agent — .*(low similarity|unknown intent)"))).to_be_visible(timeout=SLOW)
    settled(page)
    shot(page, "customer_service_ask", tmp_path)

    # Thumbs up on the first answer is stored and shown in the Log tab.
    page.get_by_role("button", name="Helpful", exact=True).last.click()
    expect(page.get_by_text("Feedback stored: helpful")).to_be_visible()
    settled(page)
    open_tab(page, "Log")
    log_panel = page.get_by_role("tabpanel", name="Log")
    asked = log_panel.locator("[data-testid=stMetric]").filter(has_text="Questions asked")
    expect(asked.locator("[data-testid=stMetricValue]")).to_have_text("2", timeout=SLOW)
    escalated = log_panel.locator("[data-testid=stMetric]").filter(has_text="Escalated")
    expect(escalated.locator("[data-testid=stMetricValue]")).to_have_text("1 (50 %)")
    expect(log_panel.get_by_role("heading", name="What goes unanswered")).to_be_visible(timeout=SLOW)
    expect(log_panel.locator("[data-testid=stDataFrame]").last).to_be_visible()
    shot(page, "customer_service_log", tmp_path)
    assert_inert(page)

    from core.support.assistant import interaction_log

    log = interaction_log()
    assert list(log["action"]) == ["escalate", "answer"]
    assert list(log["feedback"]) == ["", "helpful"]
