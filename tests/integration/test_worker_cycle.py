"""One worker cycle: each step isolated, and the whole flow feed -> crawl -> score -> detect -> email."""

from __future__ import annotations

import pytest

import jobs.cycle
from core.alerts import list_alerts, save_alert_rule
from core.feeds import add_feed
from core.settings import get_settings
from core.storage.tables import utcnow
from jobs.cycle import run_cycle
from tests.support.feed_server import FeedServer, rss_feed
from tests.support.smtp_server import SmtpServer, smtp_server
from tests.unit import test_alert_detect as rows

NEGATIVE = [
    "Acme swung to a large loss and cut 500 jobs",
    "Acme shares plunged after a profit warning",
    "Acme sales fell and the dividend was cancelled",
]


@pytest.fixture
def server(db, monkeypatch) -> SmtpServer:
    with smtp_server() as running:
        monkeypatch.setenv("SMTP_HOST", running.host)
        monkeypatch.setenv("SMTP_PORT", str(running.port))
        get_settings.cache_clear()
        yield running


def _boom(*_args, **_kwargs):
    raise RuntimeError("feed host on fire")


def test_a_failing_step_does_not_stop_the_next_ones(server, monkeypatch):
    feed, now = rows.add_feed(), utcnow()
    for title in NEGATIVE:
        rows.add_article(feed, title=title, now=now)
    save_alert_rule(name="Acme", scope_type="keyword", scope_value="acme", min_items=3, recipients=["risk@example.com"])
    monkeypatch.setattr(jobs.cycle, "crawl_due_feeds", _boom)
    monkeypatch.setattr(jobs.cycle, "score_pending_articles", _boom)

    summary = run_cycle()

    assert summary["failed_steps"] == ["crawl", "score"]
    assert summary["crawl"] == "error: RuntimeError: feed host on fire"
    assert len(summary["detect"]) == 1 and summary["notify"] == {"sent": 1, "failed": 0}
    assert len(server.messages) == 1


def test_cycle_crawls_scores_detects_and_emails_once(tiny_models, server):
    now = utcnow()
    items = [{"title": t, "link": f"https://news.example.com/{i}", "pubDate": now.strftime("%a, %d %b %Y %H:%M:%S +0000")}
             for i, t in enumerate(NEGATIVE)]
    with FeedServer({"/acme.rss": rss_feed(items)}) as feeds:
        add_feed("Acme news", feeds.url("/acme.rss"), topics=["industrials"])
        save_alert_rule(
            name="Industrials", scope_type="topic", scope_value="industrials", min_items=3, threshold=0.5,
            recipients=["risk@example.com"],
        )
        first = run_cycle(force_crawl=True)
        second = run_cycle(force_crawl=True)

    assert first["failed_steps"] == [] and second["failed_steps"] == []
    assert first["crawl"]["new_items"] == 3 and first["score"] == 3
    assert second["crawl"]["new_items"] == 0 and second["score"] == 0 and second["detect"] == []
    [alert] = list_alerts()
    assert alert["email_status"] == "sent" and alert["items"] == 3
    [message] = server.messages
    assert "topic: industrials" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert "https://news.example.com/" in text and f"/alerts?alert={alert['id']}" in text


def test_every_cycle_step_is_named_in_words_for_the_busy_notice(db, monkeypatch):
    """The Financial sentiment page says what a long step is doing ("has been deleting items older than …"); a step
    without words would show its code name."""
    from core.health import STEP_WORDS
    from jobs import cycle

    started: list[str] = []
    monkeypatch.setattr(cycle, "_note_step", started.append)
    cycle.run_cycle()
    assert started and set(started) <= set(STEP_WORDS), set(started) - set(STEP_WORDS)
