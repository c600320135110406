"""Unsaved edits in a real browser: a user who has typed into an editor (a new feed, an alert rule, a watchlist, a
digest), looks at another tab and comes back finds what they typed. A form's fields live only in the browser until
it is submitted, so only the browser shows this (``ui.draw_hidden``).
The fixtures (`beacon`, `browser_page`) and helpers live in `tests/support/browser.py`.
"""

from __future__ import annotations

import pytest

from core.storage import session_scope
from core.storage.tables import Feed
from tests.support.browser import open_tab, settled, shot, sign_in

pytestmark = pytest.mark.e2e


def test_typed_fields_survive_a_look_at_another_tab(beacon, browser_page, tmp_path):
    from playwright.sync_api import expect

    with session_scope() as session:  # a feed to edit
        session.add(Feed(name="Wire", url="http://127.0.0.1:9/wire.rss", topics=[], enabled=False))
    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    open_tab(page, "Feeds")
    page.get_by_role("button", name="Edit…").click()
    settled(page)
    new_feed, edited = page.get_by_label("RSS or Atom URL", exact=True).all()  # the add form's, the editor's
    new_feed.fill("https://example.com/markets.rss")
    edited.fill("https://example.com/wire.rss")
    open_tab(page, "Trends")
    open_tab(page, "Feeds")
    expect(new_feed).to_have_value("https://example.com/markets.rss")
    expect(edited).to_have_value("https://example.com/wire.rss")

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Alerts").click()
    settled(page)
    open_tab(page, "Alert rules")
    page.get_by_label("Rule name", exact=True).fill("Bank stress")
    open_tab(page, "Watchlists")
    page.get_by_label("Companies (comma-separated)", exact=True).fill("Nokia, Citi")
    open_tab(page, "Digests")
    page.get_by_label("Digest name", exact=True).fill("Morning brief")
    page.get_by_label("Digest name", exact=True).press("Tab")  # not a form: the field is sent when it loses focus
    settled(page)
    open_tab(page, "Alerts")
    open_tab(page, "Alert rules")
    expect(page.get_by_label("Rule name", exact=True)).to_have_value("Bank stress")
    open_tab(page, "Watchlists")
    expect(page.get_by_label("Companies (comma-separated)", exact=True)).to_have_value("Nokia, Citi")
    open_tab(page, "Digests")
    expect(page.get_by_label("Digest name", exact=True)).to_have_value("Morning brief")
    shot(page, "unsaved_digest_kept", tmp_path)
