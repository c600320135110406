"""Outside text never becomes a link in the browser: what Streamlit really renders (GitHub-flavoured
Markdown, autolinked bare URLs, its own :color[...] syntax) for a feed server's error reason, a crafted
dashboard link, and a list of hostile texts shown through ui.plain."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.support.browser import ROOT, SLOW, open_tab, settled, sign_in, small_app

pytestmark = pytest.mark.e2e

EVIL = "https://evil.example/login"
REASON = f"Forbidden [Session expired - sign in again]({EVIL})"
SCOPE = f"[Your session expired - sign in here]({EVIL})"
HOSTILE = [
    REASON,
    SCOPE,
    f"see {EVIL}, HTTP://EVIL.EXAMPLE/X, www.evil.example and me@evil.example",
    f"<{EVIL}> <b>bold</b> <img src=x onerror=\"window.__pwned=1\"> &amp; &#91;x&#93;",
    f"![pixel](https://evil.example/p.png) [ref][1]\n\n[1]: {EVIL}",
    "# Heading\n> quote\n- item\n1. one\n---\n    code\n```\nfence\n```",
    "**bold** _em_ `code` ~~strike~~ $x^2$ | a | b |\n|---|---|\n| c | d |",
    f":red[red] :material/home: :smile: Error:blue[x] [x](javascript:alert(1)) [z](<{EVIL}>)",
]
ANCHORS = "() => [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
STYLED = "h1 h2 h3 h4 blockquote ul ol li pre code em strong del table img .katex hr".split()


def evil_links(page) -> list[str]:  # noqa: ANN001 - playwright Page
    return [href for href in page.evaluate(ANCHORS) if "evil.example" in href.lower() or href.startswith(("javascript:", "mailto:"))]


@contextmanager
def server_answering(status: int, reason: str) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 whose every answer has this status line."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(status, reason)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_servers_error_reason_is_not_a_link_in_the_feeds_tab(beacon, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(beacon["url"])
    sign_in(page)
    open_tab(page, "Feeds")
    with server_answering(403, REASON) as base:
        page.get_by_label("Name", exact=True).fill("Locked wire")
        page.get_by_label("RSS or Atom URL", exact=True).fill(base + "/news.rss")
        page.get_by_role("button", name="Add feed").click()
        expect(page.get_by_text("added. The worker fetches it on schedule", exact=False)).to_be_visible()
        settled(page)
        page.get_by_role("button", name="Fetch now").click()
        expect(page.get_by_text("Fetching Locked wire failed", exact=False)).to_be_visible(timeout=SLOW)
        settled(page)
    error = page.locator("[data-testid=stAlertContentError]").filter(has_text="Fetching Locked wire failed")
    assert "[Session expired - sign in again](" in error.inner_text().replace("\u2060", "")  # shown as typed
    assert page.locator(f'a[href="{EVIL}"]').count() == 0
    assert evil_links(page) == []


def test_a_crafted_dashboard_link_is_not_a_link_under_filters_set_by_the_link(beacon, browser_page):
    from playwright.sync_api import expect

    page = browser_page
    page.goto(f"{beacon['url']}/financial_sentiment?scope_type=keyword&scope={quote(SCOPE)}")
    sign_in(page)
    note = page.get_by_text("Filters set by the link you opened", exact=False)
    expect(note).to_be_visible(timeout=SLOW)
    assert SCOPE in note.inner_text().replace("\u2060", "")
    assert page.locator(f'a[href="{EVIL}"]').count() == 0
    assert evil_links(page) == []


@pytest.fixture
def plain_text_app(tmp_path: Path) -> Iterator[str]:
    """`streamlit run tests/e2e/plain_text_app.py` showing HOSTILE through ui.plain."""
    cases = tmp_path / "cases.json"
    cases.write_text(json.dumps(HOSTILE))
    script = ROOT / "tests" / "e2e" / "plain_text_app.py"
    yield from small_app(script, tmp_path / "streamlit.log", {"BEACON_PLAIN_CASES": str(cases)})


def test_hostile_texts_show_as_typed_with_no_link_markup_or_html(plain_text_app, browser_page):
    page = browser_page
    page.goto(plain_text_app)
    page.locator(".st-key-done").wait_for(state="attached", timeout=SLOW)
    settled(page)
    for i, text in enumerate(HOSTILE):
        box = page.locator(f".st-key-case_{i} [data-testid=stMarkdownContainer]").first
        assert box.inner_text().replace("\u2060", "").split() == text.split(), i  # the same words, nothing hidden or styled
        styled = [s for s in STYLED if box.locator(s).count()]
        assert styled == [], (i, styled)
    assert evil_links(page) == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src='x']").count() == 0
    for selector in ("[data-testid=stMarkdownContainer] img", "[data-testid=stMarkdownContainer] h1",
                     "[data-testid=stMarkdownContainer] blockquote", "[data-testid=stMarkdownContainer] .katex"):
        assert page.locator(selector).count() == 0, selector
