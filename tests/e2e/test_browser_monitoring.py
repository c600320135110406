"""Monitoring in a real browser, as `make run` runs it: the app and the worker side by side.

- Fetch now while the worker scores the same new items: the page reports what happened (never a raw
  database error), and every item is scored once.
- An alert's "Open these items" link opens the Items tab with the alert's filters, even when the Feeds
  tab was the last one used; the filters stay in the URL across a reload.
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from datetime import timedelta
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from core.storage import session_scope
from core.storage.tables import Alert, AlertRule, Article, CompanyMention, Feed, utcnow
from tests.support.browser import ROOT, SLOW, open_tab, settled, shot, sign_in
from tests.support.feed_server import FeedServer, rss_feed

pytestmark = pytest.mark.e2e
MANY = 120


def start_worker(log_path) -> subprocess.Popen:
    """`python -m jobs` on the test database, looking for work every second."""
    from core.settings import get_settings

    settings = get_settings()
    env = {
        **os.environ, "DATABASE_URL": settings.database_url, "BEACON_DATA_DIR": str(settings.data_dir),
        "BEACON_MODEL_DIR": str(settings.model_dir), "BEACON_FEED_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "BEACON_DEVICE": "cpu", "BEACON_WORKER_TICK_SECONDS": "1",
    }
    with open(log_path, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_fetch_now_while_the_worker_runs_never_shows_a_database_error(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    now = utcnow()
    items = [
        {"title": f"$JPM item {i}: shares plunged after a profit warning", "link": f"https://example.com/jpm/{i}",
         "pubDate": format_datetime(now - timedelta(minutes=5 + i), usegmt=False)}
        for i in range(MANY)
    ]
    worker = start_worker(tmp_path / "worker.log")
    try:
        with FeedServer({"/jpm.rss": rss_feed(items, title="JPM")}) as feeds:
            page = browser_page
            page.goto(beacon["url"])
            sign_in(page)
            time.sleep(5)  # the worker has started and looks for work every second
            open_tab(page, "Feeds")
            page.get_by_label("Name", exact=True).fill("JPM wire")
            page.get_by_label("RSS or Atom URL", exact=True).fill(feeds.url("/jpm.rss"))
            page.get_by_role("button", name="Add feed").click()
            settled(page)
            page.get_by_role("button", name="Fetch now").click()  # at once, as a new user does
            # the report, not the bar that says "Scoring the new items… 0 of 120" while it works
            report = page.get_by_text(re.compile(r"JPM wire(: \d+ new items?|: no new items| has not changed)"))
            expect(report).to_be_visible(timeout=SLOW)
            text = report.inner_text()
            shot(page, "fetch_now_with_worker", tmp_path)
            assert "Error" not in text and "failed" not in text and "UNIQUE" not in text, text
            assert re.search(r"all scored|still waiting to be scored by the worker|no new items", text), text
            assert page.get_by_test_id("stException").count() == 0
            assert page.get_by_text("Something went wrong on this page").count() == 0
            deadline = time.monotonic() + 120  # whatever the page left, the worker scores
            while time.monotonic() < deadline:
                with session_scope() as session:
                    feed_id = session.scalar(select(Feed.id).where(Feed.name == "JPM wire"))
                    waiting = session.scalar(select(func.count()).select_from(Article).where(
                        Article.feed_id == feed_id, Article.scored_at.is_(None)))
                if not waiting:
                    break
                time.sleep(1)
    finally:
        stop(worker)
        print("worker log (tail):\n" + (tmp_path / "worker.log").read_text(errors="replace")[-3000:])
    with session_scope() as session:
        stored = session.scalar(select(func.count()).select_from(Article).where(Article.feed_id == feed_id))
        scored = session.scalar(select(func.count()).select_from(Article).where(
            Article.feed_id == feed_id, Article.scored_at.is_not(None)))
        mentions = session.scalar(select(func.count()).select_from(CompanyMention).join(Article).where(Article.feed_id == feed_id))
    assert stored == scored == MANY and mentions == MANY  # every item scored, its company stored once


def test_the_alert_link_opens_the_items_tab_and_the_filters_survive_a_reload(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    from core.alerts import save_alert_rule

    save_alert_rule(name="Earnings drop", scope_type="topic", scope_value="Earnings", min_items=1, cooldown_hours=1)
    now = utcnow()
    with session_scope() as session:
        rule_id = session.scalar(select(AlertRule.id))
        seeded = session.scalar(select(Article.id))
        alert = Alert(rule_id=rule_id, fired_at=now, window_start=now - timedelta(hours=24), window_end=now, scope_label="topic: Earnings",
                      item_count=1, negative_count=1, negative_share=1.0, reason="all negative",
                      article_ids=[seeded], recipients=[], email_status="none")
        session.add(alert)
        session.flush()
        alert_id = alert.id

    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    open_tab(page, "Feeds")  # the last tab used on Financial sentiment
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Alerts").click()  # in the same session
    settled(page)
    expect(page.get_by_role("heading", name=f"Alert #{alert_id}")).to_be_visible()
    page.get_by_text("Open these items in Financial sentiment").click()
    settled(page)
    selected = page.locator("[role=tab][aria-selected=true]")
    expect(selected).to_have_text("Items")
    assert "tab=Feeds" not in page.url and "topic=Earnings" in page.url, page.url  # the default tab is left out of the URL
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    shot(page, "alert_link_items", tmp_path)

    page.reload()  # the filters are kept in the URL
    settled(page)
    expect(page.locator("[role=tab][aria-selected=true]")).to_have_text("Items")
    expect(page.get_by_test_id("stSidebar").get_by_text("Earnings").first).to_be_visible()
    assert "topic=Earnings" in page.url, page.url
