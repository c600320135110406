"""Outside text is shown as plain text, never as Markdown: a feed server's error reason or a crafted
dashboard link cannot put a clickable link (or an image, a heading...) on a page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.app.helpers import assert_no_exception, button, open_page, shown, widget

PAGE = "financial_sentiment.py"
EVIL = "https://evil.example/login"
REASON = f"Forbidden [Session expired - sign in again]({EVIL})"
SCOPE = f"[Your session expired - sign in here]({EVIL})"
# What makes a Markdown link in what Streamlit renders: [text](url), <url>, or a bare URL / www. address
# (GitHub-flavoured Markdown links those by itself).
LINK = re.compile(r"(?<!\\)\]\(|<https?:|https?://|www\.", re.IGNORECASE)


def markdown_bodies(at) -> list[str]:  # noqa: ANN001 - AppTest
    """Every element body Streamlit renders as Markdown."""
    kinds = ("error", "warning", "info", "success", "markdown", "caption", "subheader", "header", "title")
    return [e.value for kind in kinds for e in getattr(at, kind)]


@contextmanager
def feed_server_answering(status: int, reason: str) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 whose every answer has this status line (the reason phrase is the server's)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(status, reason)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_feed_servers_error_reason_shows_as_text_not_a_link(db):
    with feed_server_answering(403, REASON) as base:
        at = open_page(PAGE, tab="Feeds")
        widget(at.text_input, "Name").input("Wire")
        widget(at.text_input, "RSS or Atom URL").input(base + "/news.rss")
        button(at, "Add feed").click().run()
        button(at, "Fetch now").click().run()
    assert_no_exception(at)
    errors = [e for e in (e.value for e in at.error) if REASON in shown(e)]
    assert len(errors) == 1, [e.value for e in at.error]  # the fetch report (not repeated as "The last fetch ... failed")
    bodies = markdown_bodies(at)
    assert [b for b in bodies if LINK.search(b)] == []
    assert shown(errors[0]).startswith(f"Fetching Wire failed: HTTP 403 {REASON} from {base}/"), errors
    at.run()  # the tab opened again later: the stored error under the feed picker, still text
    errors = [shown(e) for e in (e.value for e in at.error) if REASON in shown(e)]
    assert len(errors) == 1 and errors[0].startswith(f"The last fetch of Wire failed: HTTP 403 {REASON} from {base}/"), errors
    assert [b for b in markdown_bodies(at) if LINK.search(b)] == []


def test_a_crafted_dashboard_link_shows_its_scope_as_text_not_a_link(db):
    at = open_page(PAGE, scope_type="keyword", scope=SCOPE)
    assert_no_exception(at)
    notes = [i.value for i in at.info if shown(i.value).startswith("Filters set by the link you opened")]
    assert len(notes) == 1 and SCOPE in shown(notes[0]), [i.value for i in at.info]
    assert "](https://evil" not in notes[0] and "https://evil" not in notes[0]
    assert [b for b in markdown_bodies(at) if LINK.search(b)] == []
