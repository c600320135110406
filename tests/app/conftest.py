"""Fixtures for the page tests: seed scored items directly into the test database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, utcnow


@pytest.fixture(autouse=True)
def _navigation_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run pages through streamlit_app.py's st.navigation, as the server does once it has served the
    app. AppTest resets Streamlit's legacy "pages/ folder" flag before every run, which would make
    every run execute the page file on its own (and the pages' guard rerun it, dropping clicks)."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


SeedRow = tuple[str, str, str | None, list[str]]  # title, sentiment, topic, companies


@pytest.fixture
def seed(db) -> Callable[..., int]:
    """Insert a feed with scored articles; returns the feed id. Rows: (title, sentiment, topic, companies)."""

    def insert(rows: list[SeedRow], feed_name: str = "Wire", hours_ago: float = 2.0, link_base: str = "https://example.com/") -> int:
        now = utcnow()
        with session_scope() as session:
            feed = Feed(name=feed_name, url=f"http://127.0.0.1:9/{len(feed_name)}-{feed_name.encode().hex()}.rss", topics=[])
            session.add(feed)
            session.flush()
            for i, (title, label, topic, companies) in enumerate(rows):
                article = Article(
                    feed_id=feed.id, guid=f"{feed.id}-{i}", link=f"{link_base}{feed.id}/{i}", title=title, summary="",
                    published_at=now - timedelta(hours=hours_ago), sentiment=label, sentiment_confidence=0.9,
                    prob_negative=0.9 if label == "negative" else 0.05, topic=topic, scored_at=now, companies=companies,
                )
                session.add(article)
                session.flush()
                for company in companies:
                    session.add(CompanyMention(article_id=article.id, company=company))
            return feed.id

    return insert
