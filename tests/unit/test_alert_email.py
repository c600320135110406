"""The alert email: subject, both parts, escaping of feed content, links back to the dashboard."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from core.alerts import compose_alert_email, detect_alerts, list_alerts, save_alert_rule
from core.settings import get_settings
from core.views.alerts import alert_detail
from tests.unit.test_alert_detect import NOW, add_article, add_feed

SCRIPT_TITLE = "<script>alert('x')</script> M&A talks collapse"


@pytest.fixture
def alert_id(db, monkeypatch) -> int:
    monkeypatch.setenv("BEACON_BASE_URL", "https://beacon.example.com/")
    monkeypatch.setenv("SMTP_FROM", "Beacon <alerts@example.com>")
    get_settings.cache_clear()
    feed = add_feed("Wire <b>")
    add_article(feed, title=SCRIPT_TITLE, topic="M&A deals", prob_negative=0.99)
    add_article(feed, title="Bank fined", topic="M&A deals", prob_negative=0.8)
    add_article(feed, "neutral", title="Deal closes", topic="M&A deals")
    with_js = add_article(feed, title="Sneaky link", topic="M&A deals", prob_negative=0.7)
    from core.storage import session_scope
    from core.storage.tables import Article

    with session_scope() as session:
        session.get(Article, with_js).link = "javascript:alert(1)"
    save_alert_rule(
        name="Deals", scope_type="topic", scope_value="M&A deals", min_items=3, threshold=0.5,
        recipients=["risk@example.com", "ir@example.org"],
    )
    [created] = detect_alerts(NOW)
    return created


def _parts(message) -> dict[str, str]:
    return {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}


def test_subject_headers_and_both_parts(alert_id):
    message = compose_alert_email(alert_id)
    assert message["Subject"] == "[Beacon] High negative share: topic: M&A deals (75% negative, 4 stories)"
    assert message["To"] == "risk@example.com, ir@example.org"
    assert message["From"] == "Beacon <alerts@example.com>"
    assert message["Message-ID"].startswith(f"<beacon-alert-{alert_id}.") and message["Message-ID"].endswith("@example.com>")
    assert compose_alert_email(alert_id)["Message-ID"] == message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    assert set(_parts(message)) == {"text/plain", "text/html"}


def test_feed_content_is_escaped_in_html(alert_id):
    body = _parts(compose_alert_email(alert_id))["text/html"]
    assert "<script>" not in body and "</script>" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; M&amp;A talks collapse" in body
    assert "Wire &lt;b&gt;" in body and "Wire <b>" not in body
    assert "javascript:" not in body  # unsafe links are shown as plain titles
    assert '<a href="https://example.com/a/g' in body


def test_plain_text_lists_the_worst_items_first(alert_id):
    text = _parts(compose_alert_email(alert_id))["text/plain"]
    lines = text.splitlines()
    assert lines[0] == list_alerts()[0]["reason"]
    assert lines[2] == "The 4 stories, most negative first:"  # 'Deal closes' is neutral: not called one of the worst
    items = [line for line in lines if line.startswith("- ")]
    assert items[0].startswith(f"- {SCRIPT_TITLE} [negative 80%") and items[1].startswith("- Bank fined")
    assert "javascript:" not in text


def test_links_back_to_the_dashboard(alert_id):
    message = compose_alert_email(alert_id)
    text, body = _parts(message)["text/plain"], _parts(message)["text/html"]
    items_link = next(word for word in text.split() if "/financial_sentiment?" in word)
    parts = urlsplit(items_link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://beacon.example.com/financial_sentiment"
    query = parse_qs(parts.query)
    assert query == {"scope_type": ["topic"], "scope": ["M&A deals"], "start": ["2024-06-02T12:00"], "end": ["2024-06-03T12:00"]}
    assert "scope=M%26A+deals" in items_link
    assert f"https://beacon.example.com/alerts?alert={alert_id}" in text
    assert f'href="https://beacon.example.com/alerts?alert={alert_id}"' in body
    assert 'href="https://beacon.example.com/financial_sentiment?scope_type=topic&amp;scope=M%26A+deals' in body


def test_a_spike_alert_is_called_a_spike(db):
    feed = add_feed()
    for hours_ago in range(24, 34):  # baseline: 1 in 10 negative, the day before the window
        add_article(feed, "negative" if hours_ago == 24 else "neutral", hours_ago=hours_ago + 1)
    for i in range(5):
        add_article(feed, "negative" if i < 3 else "neutral")
    save_alert_rule(name="Spike", scope_type="all", mode="spike", threshold=2, min_items=5)
    [created] = detect_alerts(NOW)
    message = compose_alert_email(created)
    assert message["Subject"] == "[Beacon] Negative sentiment spike: all items (60% negative, 5 stories)"
    assert _parts(message)["text/plain"].startswith("60% of all 5 stories in the last 24 hours were negative, 6.0 times")


def test_links_default_to_the_port_the_app_runs_on(db, monkeypatch):
    """`make run PORT=8600` passes the port to the app and the worker; the email links follow it."""
    monkeypatch.delenv("BEACON_BASE_URL", raising=False)
    monkeypatch.setenv("STREAMLIT_SERVER_PORT", "8600")
    get_settings.cache_clear()
    feed = add_feed()
    for _ in range(3):
        add_article(feed)
    save_alert_rule(name="All", scope_type="all", min_items=3, recipients=["risk@example.com"])
    [created] = detect_alerts(NOW)
    text = _parts(compose_alert_email(created))["text/plain"]
    assert f"http://localhost:8600/alerts?alert={created}" in text and "localhost:8501" not in text


def test_unknown_alert(db):
    with pytest.raises(LookupError):
        compose_alert_email(12345)


def test_alert_detail_has_rule_items_and_links(alert_id):
    detail = alert_detail(alert_id)
    assert detail["rule"]["name"] == "Deals" and detail["recipients"] == ["risk@example.com", "ir@example.org"]
    assert [a["title"] for a in detail["articles"]][:2] == [SCRIPT_TITLE, "Bank fined"]
    assert detail["articles"][0]["feed"] == "Wire <b>" and detail["articles"][0]["confidence"] == 0.8
    assert detail["links"]["alert"].endswith(f"/alerts?alert={alert_id}")
    assert list_alerts()[0]["id"] == alert_id and list_alerts()[0]["email_status"] == "pending"


def test_the_items_heading_says_how_many_of_what_and_in_which_order():
    from core.alerts.email import items_heading

    assert items_heading({"items": 42, "counted": "stories"}, 10) == "The 10 most negative of 42 stories:"
    assert items_heading({"items": 3, "counted": "items"}, 3) == "The 3 items, most negative first:"
    assert items_heading({"items": 1, "counted": "stories"}, 1) == "The story:"
    assert items_heading({"items": 2, "counted": None, "rule_row": {"count_items": True}}, 2) == "The 2 items, most negative first:"
