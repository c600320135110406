"""Signing in with a real browser: a link opened before signing in leads to its page after sign-in, the sidebar shows
no menu to a visitor who is not signed in (nor after sign-out), and the app fetches nothing from other hosts (the
favicon included). The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.support.browser import E2E_USER, SLOW, assert_app_navigation, settled, shot, sign_in

pytestmark = pytest.mark.e2e


def assert_no_menu(page) -> None:
    """A visitor who is not signed in sees no page menu: neither Beacon's nor a list of file names."""
    assert page.get_by_test_id("stSidebarNav").count() == 0, page.get_by_test_id("stSidebarNav").inner_text()
    assert "streamlit app" not in page.locator("body").inner_text().lower()


def open_signed_out(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Sign in").wait_for(timeout=SLOW)
    settled(page)


def test_links_opened_before_sign_in_lead_to_their_page_and_nothing_is_fetched_from_other_hosts(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    page = browser_page
    local = urlsplit(beacon["url"]).netloc
    elsewhere: list[str] = []
    page.on("request", lambda request: elsewhere.append(request.url)
            if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and urlsplit(request.url).netloc != local else None)

    # An alert e-mail's link in a browser that is not signed in: the sign-in form, no menu; after sign-in, that alert.
    open_signed_out(page, beacon["url"] + "/alerts?alert=1")
    assert_no_menu(page)
    shot(page, "sign_in_deep_link", tmp_path)
    sign_in(page)
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    assert urlsplit(page.url).path == "/alerts" and "alert=1" in urlsplit(page.url).query, page.url
    assert_app_navigation(page)

    # Sign out: the previous user's menu goes with them.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=SLOW)
    settled(page)
    assert_no_menu(page)
    assert page.get_by_text(f"Signed in as {E2E_USER}").count() == 0

    # A batch-scoring link opened in a new tab of a browser without a session.
    page.context.clear_cookies()
    open_signed_out(page, beacon["url"] + "/batch_scoring?run=3")
    sign_in(page)
    expect(page.get_by_role("heading", name="Batch scoring", exact=True)).to_be_visible()
    assert urlsplit(page.url).path == "/batch_scoring", page.url

    # The favicon is served by Beacon itself; no request left for another host (README: no network at run time).
    icons = page.locator("link[rel~='icon']")
    assert icons.count() >= 1
    for href in [icons.nth(i).get_attribute("href") for i in range(icons.count())]:
        assert urlsplit(page.evaluate("h => new URL(h, document.baseURI).href", href)).netloc == local, href
    assert elsewhere == [], elsewhere
