"""The monitoring flow end to end with real parts: HTTP feed server -> crawl -> score -> detect -> SMTP."""

from __future__ import annotations

from email.utils import format_datetime

import pytest
from sqlalchemy import func, select

from core.alerts import list_alerts, save_alert_rule
from core.feeds import add_feed, list_feeds
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Alert, Article, utcnow
from jobs.cycle import run_cycle
from tests.support.servers import Route, feed_server, free_port, rss, smtp_server

NEGATIVE = [
    "Acme swung to a large loss and cut 500 jobs",
    "Acme shares plunged after a profit warning",
    "Acme sales fell and the dividend was cancelled",
    "Acme warned that demand collapsed and slashed its outlook",  # four different events (not one story)
]


def _items(titles: list[str], prefix: str) -> list[dict]:
    now = format_datetime(utcnow(), usegmt=False)
    return [{"title": t, "link": f"http://127.0.0.1/{prefix}/{i}", "pubDate": now} for i, t in enumerate(titles)]


@pytest.fixture
def smtp(monkeypatch):
    with smtp_server() as (host, port, messages):
        monkeypatch.setenv("SMTP_HOST", host)
        monkeypatch.setenv("SMTP_PORT", str(port))
        get_settings.cache_clear()
        yield messages


def test_cycle_crawls_scores_alerts_and_emails_once(tiny_models, smtp):
    with feed_server() as server:
        server.routes["/news.rss"] = Route(rss(_items(NEGATIVE, "n") + _items(["<b>Acme</b> annual meeting is in May"], "m")))
        server.routes["/broken.rss"] = Route(b"<html><body>not a feed</body></html>", headers={"Content-Type": "text/html"})
        add_feed("News", server.url("/news.rss"), topics=["industrials"])
        add_feed("Broken", server.url("/broken.rss"))
        save_alert_rule(
            name="Acme negative", scope_type="keyword", scope_value="acme", window_hours=24, min_items=3,
            mode="share", threshold=0.5, cooldown_hours=12, recipients=["risk@example.com"],
        )
        first = run_cycle(force_crawl=True)
        second = run_cycle(force_crawl=True)

    assert first["score"] == 5 and second["score"] == 0
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 5  # no duplicates on the second crawl
        assert session.scalar(select(func.count()).select_from(Alert)) == 1
    feeds = {f.name: f for f in list_feeds()}
    assert feeds["News"].last_status in {"ok", "not_modified"} and feeds["News"].articles == 5
    assert feeds["Broken"].last_status == "error" and "HTML page" in feeds["Broken"].last_error
    alert = list_alerts()[0]
    assert alert["email_status"] == "sent" and alert["items"] == 5
    assert len(smtp) == 1  # the second cycle sent nothing again
    message = smtp[0]
    assert "High negative share" in message["Subject"] and message["To"] == "risk@example.com"
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk() if not p.is_multipart()}
    assert "profit warning" in parts["text/plain"] and "/financial_sentiment?" in parts["text/plain"]
    assert "<a href=" in parts["text/html"] and "/alerts?alert=" in parts["text/html"]


def test_smtp_failure_is_recorded_and_retried_later(tiny_models, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    get_settings.cache_clear()
    with feed_server() as server:
        server.routes["/news.rss"] = Route(rss(_items(NEGATIVE, "n")))
        add_feed("News", server.url("/news.rss"))
        save_alert_rule(name="All", scope_type="all", min_items=2, threshold=0.5, recipients=["a@example.com"])
        run_cycle(force_crawl=True)
    alert = list_alerts()[0]
    assert alert["email_status"] == "failed" and alert["email_attempts"] == 1 and alert["email_error"]
    with smtp_server() as (host, port, messages):
        monkeypatch.setenv("SMTP_PORT", str(port))
        get_settings.cache_clear()
        from datetime import timedelta

        from core.alerts import send_pending_alerts

        assert send_pending_alerts(now=utcnow()) == {"sent": 0, "failed": 0}  # backoff not over yet
        assert send_pending_alerts(now=utcnow() + timedelta(minutes=5)) == {"sent": 1, "failed": 0}
        assert send_pending_alerts(now=utcnow() + timedelta(minutes=60)) == {"sent": 0, "failed": 0}
        assert len(messages) == 1
    assert list_alerts()[0]["email_status"] == "sent"
