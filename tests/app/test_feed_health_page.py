"""The Financial sentiment page with what the worker and the feeds left in the database: the worker's
health notice, and feed items that carried script and HTML (stored clean, shown as text)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.feeds import add_feed, crawl_feed
from core.health import record_cycle
from core.storage import session_scope
from core.storage.tables import Article, utcnow
from tests.app.helpers import assert_no_exception, open_page, texts
from tests.support.feed_server import FeedServer, rss_feed

PAGE = "financial_sentiment.py"


def test_a_worker_that_stopped_recording_cycles_is_shown_as_an_error(db):
    record_cycle([], utcnow() - timedelta(minutes=20))
    at = open_page(PAGE)
    assert_no_exception(at)
    assert any("recorded no cycle since" in text and "cannot write to the database" in text for text in texts(at.error))


def test_failing_steps_are_shown_and_a_healthy_worker_is_not(db):
    record_cycle(["crawl"])
    assert any("failing steps: crawl" in text for text in texts(open_page(PAGE).warning))
    record_cycle([])
    at = open_page(PAGE)
    assert not [t for t in texts(at.error) + texts(at.warning) if "worker" in t.lower()]


def test_script_and_html_in_a_feed_never_reach_the_database_or_the_page(db):
    items = [{"title": "<script>alert(1)</script> - shares plunge", "link": "https://news.example.com/1",
              "description": "<img src=x onerror=alert(2)><b>Bold</b> claim"}]  # fmt: skip
    with FeedServer({"/x.rss": rss_feed(items)}) as server:
        assert crawl_feed(add_feed("X", server.url("/x.rss"))).new_items == 1
    with session_scope() as session:
        title, summary = session.execute(select(Article.title, Article.summary)).one()
    assert (title, summary) == ("- shares plunge", "Bold claim")
    at = open_page(PAGE)
    assert_no_exception(at)
    shown = " ".join(str(element.value) for element in at.main if hasattr(element, "value"))
    assert "<script" not in shown and "onerror" not in shown
