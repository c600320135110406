"""Page tests with streamlit.testing.v1.AppTest against a real, migrated database."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.feeds import list_feeds
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow

ROOT = Path(__file__).resolve().parents[2]


def _page(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / name), default_timeout=60)
    return at.run()


def test_sentiment_page_renders_empty_state(db):
    at = _page("financial_sentiment.py")
    assert not at.exception
    assert any("No scored items" in i.value for i in at.info)


def test_adding_a_feed_with_a_bad_url_shows_the_reason_and_stores_nothing(db):
    at = _page("financial_sentiment.py")
    next(t for t in at.text_input if t.label == "Name").input("Bad")
    next(t for t in at.text_input if t.label == "RSS or Atom URL").input("ftp://example.com/feed.xml")
    next(b for b in at.button if b.label == "Add feed").click().run()
    assert any("only http:// and https://" in e.value for e in at.error)
    assert list_feeds() == []


def test_items_and_trends_show_scored_articles(db):
    with session_scope() as session:
        feed = Feed(name="Wire", url="http://127.0.0.1/wire.rss", topics=[])
        session.add(feed)
        session.flush()
        for i, label in enumerate(["negative", "negative", "positive"]):
            session.add(Article(
                feed_id=feed.id, guid=f"g{i}", link=f"https://example.com/{i}", title=f"Headline {i}",
                published_at=utcnow(), sentiment=label, sentiment_confidence=0.9, topic="Earnings",
                prob_negative=0.9 if label == "negative" else 0.05, scored_at=utcnow(), companies=[],
            ))
    at = _page("financial_sentiment.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert sorted(table["title"]) == ["Headline 0", "Headline 1", "Headline 2"]
    assert at.metric[1].value == "2"  # negatives


def test_alert_rule_form_validates(db):
    at = _page("alerts.py")
    rule_name = next(t for t in at.text_input if t.label == "Rule name")
    rule_name.input("Bad rule")
    next(t for t in at.text_input if t.label.startswith("Recipients")).input("not-an-email")
    next(b for b in at.button if b.label == "Save rule").click().run()
    assert any("valid email" in e.value or "scope value" in e.value for e in at.error)
