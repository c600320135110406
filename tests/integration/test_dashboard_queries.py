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


def test_weekly_buckets_add_up_each_weeks_days_from_its_monday_and_a_click_stays_within_the_dates(db):
    seed()  # Monday 2 and Tuesday 3 March 2026
    with session_scope() as session:
        feed_id = session.scalar(sa.select(Feed.id))
        for guid, published in (("sun", datetime(2026, 3, 1, 23, 0)), ("next", datetime(2026, 3, 9, 8, 0))):
            session.add(Article(feed_id=feed_id, guid=guid, title=guid, published_at=published, sentiment="negative",
                                topic="Macro", companies=[], scored_at=published))  # fmt: skip
    flt = ArticleFilter(start=datetime(2026, 2, 23), end=datetime(2026, 3, 16))
    assert counts(dash.sentiment_trend(flt, "all", "week")) == {
        ("2026-02-23 00:00:00", "all"): (1, 1), ("2026-03-02 00:00:00", "all"): (5, 3), ("2026-03-09 00:00:00", "all"): (1, 1),
    }
    assert counts(dash.sentiment_trend(flt, "topic", "week", top=1)) == {("2026-03-02 00:00:00", "Earnings"): (3, 2)}
    cut = ArticleFilter(start=datetime(2026, 2, 25), end=datetime(2026, 3, 16))  # from a Wednesday to a whole week's end
    bars = dash.sentiment_counts(cut, "week", now=datetime(2026, 12, 6)).drop_duplicates("bucket")
    assert [(str(b)[:10], c, f) for b, c, f in bars[["bucket", "cut", "so_far"]].itertuples(index=False)] == [
        ("2026-02-23", True, False), ("2026-03-02", False, False), ("2026-03-09", False, False),
    ]  # the first week only from Wednesday: drawn lighter, and said
    assert dash.so_far_caption(bars, "week") == ("A lighter bar at an end of the date range is a week the range covers "
                                                 "only in part: only the items inside the range are counted.")  # fmt: skip
    whole = dash.sentiment_counts(flt, "week", now=datetime(2026, 12, 6))
    assert not whole["cut"].any() and dash.so_far_caption(whole, "week") is None
    within = ArticleFilter(start=datetime(2026, 3, 3), end=datetime(2026, 3, 5))  # the week of 2 March, cut by the dates
    clicked = dash.bucket_filter(within, "all", "", datetime(2026, 3, 2), "week")
    assert (clicked.start, clicked.end) == (datetime(2026, 3, 3), datetime(2026, 3, 5))
    assert dash.summarise(clicked) == dash.Summary(2, 1, 1, 0)  # Tuesday's two, not Monday's three


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
