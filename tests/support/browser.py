"""Shared scaffolding for the browser tests. Beacon in a real browser: `streamlit run` on localhost, headless Chromium through Playwright.

Flow: add a feed (served from 127.0.0.1) in Financial sentiment → Feeds, Fetch now (crawl + score
with the shipped default models), see the scored items in Items and a plotly chart in Trends, open
the items behind a chart point, and see a fired alert on the Alerts page. Feed and user text that
looks like HTML must stay inert text everywhere (``window.__pwned`` stays undefined).

Set BEACON_E2E_SCREENSHOTS=/some/folder to keep a screenshot of every page and tab.
"""

from __future__ import annotations

import os
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


def requirements() -> None:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (`make browser` or `apt-get install -y chromium` installs it)")
    if not any((folder / "manifest.json").exists() for folder in SHIPPED.glob("*/")):
        pytest.skip(f"no shipped default model under {SHIPPED} yet (a folder with manifest.json)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float = 90) -> None:
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


def small_app(script: Path, log: Path, env: dict[str, str]) -> Iterator[str]:
    """``streamlit run script`` (a small test app, not Beacon) on a free localhost port with ``env`` added to the
    environment; yields its URL once healthy and stops it afterwards. Skips without Chromium or Playwright."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (requirements-dev.txt)")
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)


@pytest.fixture
def beacon(beacon_env: Path, shared_accurate_encoder: Path) -> Iterator[dict]:
    """A migrated database with the shipped models (sentiment on the accurate encoder: its assembled copy is shared
    through BEACON_ACCURATE_MODEL_DIR, which the app inherits), a feed server, and `streamlit run` on a free port."""
    requirements()
    from core.auth import create_user
    from core.nlp.defaults import install_default_models
    from core.settings import get_settings
    from core.storage import upgrade_database

    upgrade_database()
    assert install_default_models(), "no default model was installed"
    create_user(E2E_USER, E2E_PASSWORD, "admin")
    seed_raw_article()
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
    port = free_port()
    log = beacon_env / "streamlit.log"
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none",
               "--browser.gatherUsageStats", "false"]
    with FeedServer({"/wire.rss": rss_feed(items, title="Wire")}) as feeds, log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            yield {"url": url, "feed_url": feeds.url("/wire.rss"), "log": log}
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            print("streamlit log (tail):\n" + log.read_text(errors="replace")[-3000:])  # shown when a test fails


def seed_raw_article() -> None:
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


def shot(page, name: str, tmp: Path) -> None:
    folder = Path(os.environ.get("BEACON_E2E_SCREENSHOTS") or tmp)
    folder.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(700)  # let charts finish drawing
    page.screenshot(path=str(folder / f"beacon_{name}.png"), full_page=True)


def settled(page) -> None:
    """Wait until Streamlit has finished running the script (its running icon is gone twice in a row)."""
    idle = "() => !document.querySelector('[data-testid=stStatusWidgetRunningIcon]')"
    for _ in range(2):
        page.wait_for_timeout(500)  # the icon shows up a moment after a run starts
        page.wait_for_function(idle, timeout=SLOW)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    page.wait_for_function(
        "name => [...document.querySelectorAll('[role=tab]')].some(t => t.innerText.trim() === name"
        " && t.getAttribute('aria-selected') === 'true')",
        arg=name,
    )
    settled(page)


def sign_in(page) -> None:
    """The app opens on its sign-in form; sign in as the test admin and wait for the page to run."""
    page.get_by_role("textbox", name="Username").fill(E2E_USER)
    page.get_by_role("textbox", name="Password").fill(E2E_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text(f"Signed in as {E2E_USER}").wait_for(timeout=SLOW)
    settled(page)


def assert_app_navigation(page) -> None:
    """The sidebar is Beacon's st.navigation (sections, titles), not Streamlit's pages/ folder list."""
    nav = page.get_by_test_id("stSidebarNav")
    expect_text = nav.inner_text()
    assert "Monitoring" in expect_text and "Financial sentiment" in expect_text, expect_text
    assert "streamlit app" not in expect_text.lower(), expect_text


def assert_inert(page) -> None:
    assert page.evaluate("window.__pwned") is None, "HTML from a feed or a user ran in the page"
    assert page.locator("img[src='x']").count() == 0


