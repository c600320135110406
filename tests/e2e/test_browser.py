"""Beacon in a real browser: `streamlit run` on localhost, headless Chromium through Playwright.

Flow: add a feed (served from 127.0.0.1) in Financial sentiment → Feeds, Fetch now (crawl + score
with the shipped default models), see the scored items in Items and a plotly chart in Trends, open
the items behind a chart point, and see a fired alert on the Alerts page. Feed and user text that
looks like HTML must stay inert text everywhere (``window.__pwned`` stays undefined).

Set BEACON_E2E_SCREENSHOTS=/some/folder to keep a screenshot of every page and tab.
"""

from __future__ import annotations

import csv
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from core.storage.tables import utcnow
from tests.support.feed_server import FeedServer, rss_feed

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SHIPPED = ROOT / "shipped_models"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
FEED_NAME = 'Wire <img src=x onerror="window.__pwned=3">'  # user text that looks like HTML
SEEDED_TITLE = f"Seeded {PAYLOAD} shares plunged"  # stored verbatim, as if a parser had let it through
HEADLINES = [
    "Acme shares plunged after a profit warning",
    "Acme swung to a large loss and cut 500 jobs",
    "Operating profit rose sharply to a record",
    "The annual meeting is held in Helsinki on Tuesday",
]
E2E_USER, E2E_PASSWORD = "e2e-admin", "a long e2e password"
SLOW = 180_000  # ms: the first Fetch now loads the encoder on CPU


def _requirements() -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (`make browser` or `apt-get install -y chromium` installs it)")
    if not any((folder / "manifest.json").exists() for folder in SHIPPED.glob("*/")):
        pytest.skip(f"no shipped default model under {SHIPPED} yet (a folder with manifest.json)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"streamlit exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"streamlit did not become healthy in {seconds}s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def beacon(beacon_env: Path) -> Iterator[dict]:
    """A migrated database with the shipped models, a feed server, and `streamlit run` on a free port."""
    _requirements()
    from core.auth import create_user
    from core.nlp.defaults import install_default_models
    from core.settings import get_settings
    from core.storage import upgrade_database

    upgrade_database()
    assert install_default_models(), "no default model was installed"
    create_user(E2E_USER, E2E_PASSWORD, "admin")
    _seed_raw_article()
    now = utcnow()
    items = [
        {"title": title, "link": f"https://example.com/news/{i}", "pubDate": format_datetime(now - timedelta(minutes=10 + i), usegmt=False)}
        for i, title in enumerate(HEADLINES)
    ]
    items.append({"title": PAYLOAD, "link": "https://example.com/news/pwn", "description": PAYLOAD})
    settings = get_settings()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "BEACON_DATA_DIR": str(settings.data_dir),
        "BEACON_MODEL_DIR": str(settings.model_dir),
        "BEACON_FEED_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "BEACON_DEVICE": "cpu",
    }
    port = _free_port()
    log = beacon_env / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    with FeedServer({"/wire.rss": rss_feed(items, title="Wire")}) as feeds, log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, process, log)
            yield {"url": url, "feed_url": feeds.url("/wire.rss"), "log": log}
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print("streamlit log (tail):\n" + log.read_text(errors="replace")[-3000:])  # shown when a test fails


def _seed_raw_article() -> None:
    """A scored item whose title is raw HTML, in its own feed: the UI must show it as text."""
    from core.storage import session_scope
    from core.storage.tables import Article, Feed

    now = utcnow()
    with session_scope() as session:
        feed = Feed(name="Seeded", url="http://127.0.0.1:9/seeded.rss", topics=[], enabled=False)
        session.add(feed)
        session.flush()
        session.add(Article(
            feed_id=feed.id, guid="seeded-1", link="https://example.com/seeded", title=SEEDED_TITLE, summary=PAYLOAD,
            published_at=now - timedelta(hours=1), sentiment="negative", sentiment_confidence=0.8, prob_negative=0.8,
            topic="Earnings", scored_at=now, companies=[],
        ))


@pytest.fixture
def browser_page():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=60_000)  # the first script run imports torch and migrates the database

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(60_000)
        try:
            yield page
        finally:
            context.close()
            browser.close()


def _shot(page, name: str, tmp: Path) -> None:
    folder = Path(os.environ.get("BEACON_E2E_SCREENSHOTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(700)  # let charts finish drawing
    page.screenshot(path=str(folder / f"beacon_{name}.png"), full_page=True)


def _settled(page) -> None:
    """Wait until Streamlit has finished running the script (its running icon is gone twice in a row)."""
    idle = "() => !document.querySelector('[data-testid=stStatusWidgetRunningIcon]')"
    for _ in range(2):
        page.wait_for_timeout(500)  # the icon shows up a moment after a run starts
        page.wait_for_function(idle, timeout=SLOW)


def _open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_function(
        "name => [...document.querySelectorAll('[role=tab]')].some(t => t.innerText.trim() === name"
        " && t.getAttribute('aria-selected') === 'true')",
        arg=name,
    )
    _settled(page)


def _sign_in(page) -> None:
    """The app opens on its sign-in form; sign in as the test admin and wait for the page to run."""
    page.get_by_role("textbox", name="Username").fill(E2E_USER)
    page.get_by_role("textbox", name="Password").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {E2E_USER}").wait_for(timeout=SLOW)
    _settled(page)


def _assert_app_navigation(page) -> None:
    """The sidebar is Beacon's st.navigation (sections, titles), not Streamlit's pages/ folder list."""
    nav = page.get_by_test_id("stSidebarNav")
    expect_text = nav.inner_text()
    assert "Monitoring" in expect_text and "Financial sentiment" in expect_text, expect_text
    assert "streamlit app" not in expect_text.lower(), expect_text


def _assert_inert(page) -> None:
    assert page.evaluate("window.__pwned") is None, "HTML from a feed or a user ran in the page"
    assert page.locator("img[src='x']").count() == 0


def test_add_fetch_and_see_scored_items_and_trends(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(beacon["url"])
    _sign_in(page)
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible()
    _settled(page)
    _assert_app_navigation(page)
    _shot(page, "financial_sentiment_items_before", tmp_path)

    # Financial sentiment → Feeds: add the feed through the form.
    _open_tab(page, "Feeds")
    page.get_by_label("Name", exact=True).fill(FEED_NAME)
    page.get_by_label("RSS or Atom URL", exact=True).fill(beacon["feed_url"])
    page.get_by_label("Topic tags (comma-separated, optional)").fill("Markets")
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("added. The worker fetches it on schedule", exact=False)).to_be_visible()
    _settled(page)
    expect(page.get_by_label("Name", exact=True)).to_have_value("")  # the form is emptied after a success
    # The new feed is preselected; its HTML-looking name is shown as text.
    expect(page.get_by_text(FEED_NAME, exact=False).first).to_be_visible()
    _assert_inert(page)

    # Fetch now: crawl + score with the shipped models.
    page.get_by_role("button", name="Fetch now").click()
    report = page.get_by_text(re.compile(r"\d+ new items, \d+ scored"))
    expect(report).to_be_visible(timeout=SLOW)
    new, scored = map(int, re.findall(r"(\d+) new items, (\d+) scored", report.inner_text())[0])
    assert new >= len(HEADLINES) and scored == new  # the seeded item was scored already
    _settled(page)
    _shot(page, "financial_sentiment_feeds", tmp_path)
    _assert_inert(page)

    # Items: the summary counts the scored items; the grid is drawn.
    _open_tab(page, "Items")
    items_metric = page.locator("[data-testid=stMetric]").filter(has_text="Items").first
    expect(items_metric.locator("[data-testid=stMetricValue]")).to_have_text(str(new + 1))  # + the seeded item
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    _shot(page, "financial_sentiment_items", tmp_path)
    _assert_inert(page)

    # Trends: a plotly chart; clicking a point lists the items behind it.
    _open_tab(page, "Trends")
    charts = page.locator("[data-testid=stPlotlyChart]")
    expect(charts.first).to_be_visible()
    expect(charts.first.locator(".scatterlayer .point").first).to_be_attached()
    expect(page.get_by_text("Negative share by topic")).to_be_visible()
    _click_chart_point(page, charts.first.locator(".scatterlayer .point").first)
    drill = page.get_by_role("heading").filter(has_text="Items: ")
    expect(drill).to_be_visible()  # the items behind the clicked point
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    _shot(page, "financial_sentiment_trends", tmp_path)
    _assert_inert(page)

    # The keyboard alternative: pick a bucket and group from the list.
    page.get_by_label("Show the items for a time bucket and group").click()
    option = page.get_by_role("option").last
    picked = option.inner_text().strip()
    option.click()
    _settled(page)
    expect(page.get_by_role("heading").filter(has_text=f"Items: {picked}")).to_be_visible()
    _assert_inert(page)


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
    _settled(page)


def test_alerts_page_shows_a_fired_alert_and_its_rules(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.alerts import detect_alerts, save_alert_rule

    save_alert_rule(name="Any negative", scope_type="all", window_hours=24, min_items=1, mode="share", threshold=0.1,
                    cooldown_hours=1, recipients="risk@example.com")
    [alert_id] = detect_alerts()

    page = browser_page
    # A fresh server opened straight on an alert link (as from the email) still runs through the app.
    page.goto(f"{beacon['url']}/alerts?alert={alert_id}")
    _sign_in(page)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    _settled(page)
    _assert_app_navigation(page)
    expect(page.get_by_role("heading", name=f"Alert #{alert_id}")).to_be_visible()
    expect(page.get_by_text("Open these items in Financial sentiment")).to_be_visible()
    _shot(page, "alerts", tmp_path)
    _assert_inert(page)

    _open_tab(page, "Alert rules")
    expect(page.get_by_role("button", name="Save rule")).to_be_visible()
    _shot(page, "alert_rules", tmp_path)
    _open_tab(page, "Watchlists")
    expect(page.get_by_role("button", name="Save watchlist")).to_be_visible()
    _shot(page, "watchlists", tmp_path)

    # The email's link back to the dashboard presets the filters.
    page.get_by_role("tab", name="Alerts", exact=True).click()
    _settled(page)
    page.get_by_text("Open these items in Financial sentiment").click()
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible()
    _settled(page)
    expect(page.get_by_text("Filters set by the link you opened: all items", exact=False)).to_be_visible()
    _assert_inert(page)




def test_a_reload_keeps_the_user_signed_in_until_they_sign_out(beacon, browser_page):
    """The session token lives in a browser session cookie: a reload or a link opened in a new tab stays
    signed in; signing out removes it, and a revoked token in an old cookie is refused by the server."""
    from playwright.sync_api import expect

    page = browser_page
    page.goto(beacon["url"])
    _sign_in(page)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "beacon_session"]
    page.goto(f"{beacon['url']}/alerts")
    expect(page.get_by_text(f"Signed in as {E2E_USER}")).to_be_visible(timeout=SLOW)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    page.goto(f"{beacon['url']}/financial_sentiment?scope_type=all")  # an alert e-mail's link, already signed in
    expect(page.get_by_role("heading", name="Financial sentiment")).to_be_visible(timeout=SLOW)
    _settled(page)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    second_tab = page.context.new_page()
    second_tab.goto(f"{beacon['url']}/model_studio")
    expect(second_tab.get_by_text(f"Signed in as {E2E_USER}")).to_be_visible(timeout=SLOW)
    second_tab.close()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=SLOW)
    _settled(page)
    assert not [c for c in page.context.cookies() if c["name"] == "beacon_session"]
    page.reload()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=SLOW)
    page.context.add_cookies([cookie])  # a copy of the old cookie: its session was revoked on sign-out
    page.reload()
    expect(page.get_by_text("Your session has expired; please sign in again.")).to_be_visible(timeout=SLOW)


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
    _sign_in(page)
    expect(page.get_by_role("heading", name="Customer service")).to_be_visible()
    _settled(page)
    expect(page.get_by_text("No knowledge base yet").first).to_be_visible()

    # Knowledge bases: name, upload, the guessed columns, Import; the report counts the five entries.
    _open_tab(page, "Knowledge bases")
    page.get_by_label("Knowledge base name", exact=True).fill("Cards")
    uploader = page.locator("[data-testid=stFileUploader]").filter(has_text="FAQ CSV")
    uploader.locator("input[type=file]").set_input_files(str(faq))
    _settled(page)
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()  # the preview
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_text("Cards: 5 added, 0 updated", exact=False)).to_be_visible(timeout=SLOW)
    _settled(page)
    added = page.locator("[data-testid=stMetric]").filter(has_text="Added").first
    expect(added.locator("[data-testid=stMetricValue]")).to_have_text("5")
    _shot(page, "customer_service_kb", tmp_path)
    _assert_inert(page)

    # Ask: a covered question gets the FAQ answer, its matched question and the detected intent.
    _open_tab(page, "Ask")
    chat = page.get_by_placeholder("Ask a customer question")
    expect(chat).to_be_enabled()
    chat.fill("my card was stolen, how can I block it?")
    chat.press("Enter")
    expect(page.get_by_text("Matched FAQ question: How do I block a lost or stolen card")).to_be_visible(timeout=SLOW)
    expect(page.get_by_text("Freeze the card in the app", exact=False).first).to_be_visible()
    intent = page.locator("[data-testid=stMetric]").filter(has_text="Intent").first
    expect(intent.locator("[data-testid=stMetricValue]")).not_to_have_text("no intent model")
    _settled(page)

    # An off-topic question is handed to a person, with the reason.
    chat.fill("what is the weather like on the moon tomorrow")
    chat.press("Enter")
    expect(page.get_by_text(re.compile(r"Escalate to an agent — .*(low similarity|unknown intent)"))).to_be_visible(timeout=SLOW)
    _settled(page)
    _shot(page, "customer_service_ask", tmp_path)

    # Thumbs up on the first answer is stored and shown in the Log tab.
    page.get_by_role("button", name="👍").last.click()
    expect(page.get_by_text("Feedback stored: 👍")).to_be_visible()
    _settled(page)
    _open_tab(page, "Log")
    expect(page.get_by_role("tabpanel", name="Log").locator("[data-testid=stDataFrame]")).to_be_visible()
    _assert_inert(page)

    from core.support.assistant import interaction_log

    log = interaction_log()
    assert list(log["action"]) == ["escalate", "answer"]
    assert list(log["feedback"]) == ["", "👍"]
