"""The Financial sentiment page's counts are made by the database (issue 17, dashboard at volume): buckets per
day or hour, groups, the largest groups only, company mentions counted once per company; and the migration's
indexes exist. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from core.repositories import items
from core.repositories.items import ArticleFilter
from core.sentiment.entities import canonical_company
from core.storage import get_engine, session_scope
from core.storage.tables import Article, CompanyMention, Feed
from core.views import financial_sentiment as dash

ROWS = [  # (published_at, sentiment, topic, companies, scored)
    (datetime(2026, 3, 2, 10, 15), "negative", "Earnings", ["Nokia"], True),
    (datetime(2026, 3, 2, 10, 45), "positive", "Earnings", ["Nokia", "Kone"], True),
    (datetime(2026, 3, 2, 11, 5), "negative", "Earnings", [], True),
    (datetime(2026, 3, 3, 9, 0), "neutral", "Macro", ["Kone"], True),
    (datetime(2026, 3, 3, 9, 30), "negative", "Energy", [], True),
    (datetime(2026, 3, 3, 9, 40), None, None, ["Nokia"], False),  # not scored: never counted
]


def seed() -> None:
    with session_scope() as session:
        feed = Feed(name="Wire", url="https://example.com/feed.xml")
        session.add(feed)
        session.flush()
        for i, (published, sentiment, topic, companies, scored) in enumerate(ROWS):
            article = Article(feed_id=feed.id, guid=f"g{i}", title=f"t{i}", published_at=published, sentiment=sentiment,
                              topic=topic, companies=companies, scored_at=published if scored else None)
            article.mentions = [CompanyMention(company=canonical_company(c)) for c in companies]  # as the scorer stores them
            session.add(article)


def counts(trend) -> dict:
    return {(str(b), g): (n, neg) for b, g, n, neg in trend[["bucket", "group", "items", "negative"]].itertuples(index=False)}


def test_hourly_and_daily_buckets_are_counted_by_the_database(db):
    seed()
    flt = ArticleFilter(start=datetime(2026, 3, 1), end=datetime(2026, 3, 4))
    assert counts(dash.sentiment_trend(flt, "topic", "hour")) == {
        ("2026-03-02 10:00:00", "Earnings"): (2, 1), ("2026-03-02 11:00:00", "Earnings"): (1, 1),
        ("2026-03-03 09:00:00", "Energy"): (1, 1), ("2026-03-03 09:00:00", "Macro"): (1, 0),
    }
    nokia, kone = canonical_company("Nokia"), canonical_company("Kone")
    assert counts(dash.sentiment_trend(flt, "company", "day")) == {
        ("2026-03-02 00:00:00", nokia): (2, 1), ("2026-03-02 00:00:00", kone): (1, 0), ("2026-03-03 00:00:00", kone): (1, 0),
    }
    assert counts(dash.sentiment_trend(flt, "topic", "day", top=1)) == {("2026-03-02 00:00:00", "Earnings"): (3, 2)}
    assert dash.summarise(flt) == dash.Summary(5, 3, 1, 1)
    narrowed = ArticleFilter(start=datetime(2026, 3, 1), companies=["Nokia"], sentiments=["negative"])
    [(bucket, group, sentiment, n)] = items.sentiment_buckets(narrowed, "all", "day", 8)
    assert (str(bucket)[:10], group, sentiment, n) == ("2026-03-02", "all", "negative", 1)


def test_a_watchlist_company_stored_as_typed_is_found_by_its_name(db):
    seed()
    with session_scope() as session:  # tagged through a watchlist: a short name the gazetteer does not know, kept as typed
        feed_id = session.scalar(sa.select(Feed.id))
        article = Article(feed_id=feed_id, guid="acme", title="Acme recalls cars", published_at=datetime(2026, 3, 2, 12),
                          sentiment="negative", companies=["Acme"], scored_at=datetime(2026, 3, 2, 12))
        article.mentions = [CompanyMention(company="Acme")]
        session.add(article)
    assert canonical_company("Acme") != "Acme"  # read as a ticker (ACME): matching the key alone missed the item
    found = dash.list_articles(ArticleFilter(start=datetime(2026, 3, 1), companies=["Acme"]))
    assert found["title"].tolist() == ["Acme recalls cars"]


def test_the_dashboard_indexes_exist(db):
    inspector = sa.inspect(get_engine())
    names = {i["name"] for i in inspector.get_indexes("articles")} | {i["name"] for i in inspector.get_indexes("company_mentions")}
    assert {"ix_articles_scored_published", "ix_articles_topic_published", "ix_articles_sentiment_published",
            "ix_company_mentions_company_article"} <= names
