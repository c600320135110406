"""The daily per-company counts (issue 17, dashboard at volume: the per-company trend over long ranges). On
PostgreSQL, triggers mark the days whose items change and a trend recounts them before reading the table, so
the table always answers what counting the items answers: after scoring, re-scoring, deleting an item, tagging
a company, and in stories mode. SQLite counts from the items."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa

from core.repositories import company_counts, items
from core.repositories.items import ArticleFilter
from core.storage import get_engine, session_scope
from core.storage.tables import Article, CompanyDailyCount, CompanyMention, Feed

RANGE = ArticleFilter(start=datetime(2026, 3, 1), end=datetime(2026, 3, 8))
ROWS = [  # (published_at, sentiment, companies, story_lead)
    (datetime(2026, 3, 2, 10, 15), "negative", ["NOKIA"], True),
    (datetime(2026, 3, 2, 11, 45), "positive", ["NOKIA", "KONE"], True),
    (datetime(2026, 3, 2, 23, 59), "negative", ["NOKIA"], False),  # a second source of a story: not counted as a story
    (datetime(2026, 3, 4, 9, 0), "neutral", ["KONE"], True),
    (datetime(2026, 3, 5, 9, 30), "negative", ["KONE", "ELISA"], True),
    (datetime(2026, 3, 6, 8, 0), None, ["ELISA"], True),  # stored, not scored yet
]


def seed() -> list[int]:
    with session_scope() as session:
        feed = Feed(name="Wire", url="https://example.com/feed.xml")
        session.add(feed)
        session.flush()
        articles = []
        for i, (published, sentiment, companies, lead) in enumerate(ROWS):
            article = Article(feed_id=feed.id, guid=f"g{i}", title=f"t{i}", published_at=published, sentiment=sentiment,
                              companies=companies, story_lead=lead, scored_at=published if sentiment else None)
            article.mentions = [CompanyMention(company=c) for c in companies]
            session.add(article)
            articles.append(article)
        session.flush()
        return [a.id for a in articles]


def counted_from_items(flt: ArticleFilter, top: int = 8) -> Counter:
    """The per-company daily counts straight from the items, in Python (what the table must agree with)."""
    with session_scope() as session:
        rows = session.execute(
            sa.select(Article.published_at, Article.sentiment, Article.story_lead, CompanyMention.company)
            .join(CompanyMention).where(Article.scored_at.is_not(None))
        ).all()
    rows = [r for r in rows if flt.start <= r.published_at < flt.end and (r.story_lead or not flt.count_stories)]
    totals = Counter(r.company for r in rows if not flt.sentiments or r.sentiment in flt.sentiments)
    keep = sorted(totals, key=lambda c: (-totals[c], c))[:top]
    return Counter(
        (str(r.published_at)[:10], r.company, r.sentiment)
        for r in rows
        if r.company in keep and r.sentiment and (not flt.sentiments or r.sentiment in flt.sentiments)
    )


def as_counter(rows) -> Counter:
    return Counter({(str(day)[:10], company, sentiment): n for day, company, sentiment, n in rows})  # SQLite: text


def from_table(flt: ArticleFilter, top: int = 8) -> list | None:
    with session_scope() as session:
        days = company_counts.whole_days(flt.start, flt.end)
        return company_counts.counted_by_day(session, days, flt.sentiments, flt.count_stories, top)


@pytest.fixture
def postgres(db: str) -> str:
    if not db.startswith("postgresql"):
        pytest.skip("the daily counts are kept by PostgreSQL triggers; SQLite counts from the items")
    return db


def test_the_trend_by_company_is_read_from_the_daily_counts_and_agrees_with_the_items(postgres):
    seed()
    expected = counted_from_items(RANGE)
    assert expected[("2026-03-02", "NOKIA", "negative")] == 2
    assert as_counter(items.sentiment_buckets(RANGE, "company", "day", 8)) == expected
    with session_scope() as session:  # it was answered by the table: the days were counted into it
        assert session.scalar(sa.select(sa.func.sum(CompanyDailyCount.items))) == 7  # scored mentions
    for flt in (ArticleFilter(start=RANGE.start, end=RANGE.end, count_stories=True),
                ArticleFilter(start=RANGE.start, end=RANGE.end, sentiments=["negative"]),
                ArticleFilter(start=datetime(2026, 3, 4), end=datetime(2026, 3, 6))):
        assert as_counter(from_table(flt)) == counted_from_items(flt)
    assert as_counter(from_table(RANGE, top=1)) == counted_from_items(RANGE, top=1)


def test_rescoring_tagging_and_deleting_items_reach_the_counts(postgres):
    ids = seed()
    from_table(RANGE)
    with session_scope() as session:
        session.get(Article, ids[0]).sentiment = "positive"  # re-scored
        unscored = session.get(Article, ids[5])
        unscored.sentiment, unscored.scored_at = "negative", datetime(2026, 3, 6, 9)  # scored now
        session.add(CompanyMention(article_id=ids[3], company="ELISA"))  # a company tagged later
        session.delete(session.get(Article, ids[4]))
    assert as_counter(from_table(RANGE)) == counted_from_items(RANGE)
    assert counted_from_items(RANGE)[("2026-03-02", "NOKIA", "positive")] == 2


def test_a_trend_counts_from_the_items_while_another_session_recounts(postgres):
    seed()
    from_table(RANGE)
    with get_engine().connect() as other:
        other.execute(sa.select(sa.func.pg_advisory_lock(company_counts.RECOUNT_LOCK)))
        try:
            with session_scope() as session:
                session.execute(sa.update(Article).values(sentiment="neutral"))
            assert from_table(RANGE) is None  # its days are stale and the recount is busy: not answered by the table
            assert as_counter(items.sentiment_buckets(RANGE, "company", "day", 8)) == counted_from_items(RANGE)
        finally:
            other.execute(sa.select(sa.func.pg_advisory_unlock(company_counts.RECOUNT_LOCK)))
    assert as_counter(from_table(RANGE)) == counted_from_items(RANGE)


def test_ranges_inside_a_day_and_other_filters_count_from_the_items(db):
    seed()
    assert company_counts.whole_days(datetime(2026, 3, 1, 12), None) is None
    partial = ArticleFilter(start=datetime(2026, 3, 2, 11), end=datetime(2026, 3, 8))
    assert as_counter(items.sentiment_buckets(partial, "company", "day", 8)) == counted_from_items(partial)
    if not db.startswith("postgresql"):
        with session_scope() as session:
            assert company_counts.counted_by_day(session, company_counts.whole_days(None, None), [], False, 8) is None


def test_the_tables_match_their_migration_and_downgrade(db):
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.storage import reset_engines
    from core.storage.migrate import alembic_config, upgrade_database
    from core.storage.tables import Base

    ours = ("company_daily_counts", "company_count_stale_days")
    with get_engine().connect() as conn:
        assert [d for d in compare_metadata(MigrationContext.configure(conn), Base.metadata) if any(t in repr(d) for t in ours)] == []
    seed()
    command.downgrade(alembic_config(db), "0015")
    reset_engines()
    assert not set(ours) & set(sa.inspect(get_engine()).get_table_names())
    upgrade_database()
    if db.startswith("postgresql"):
        with session_scope() as session:  # the upgrade counted the stored items itself, no recount needed
            days = company_counts.whole_days(RANGE.start, RANGE.end)
            assert company_counts.is_current(session, days)
            assert as_counter(company_counts.company_day_counts(session, days, [], False, 8)) == counted_from_items(RANGE)
        with session_scope() as session:  # and the triggers are back
            session.get(Article, 1).sentiment = "neutral"
        assert as_counter(from_table(RANGE)) == counted_from_items(RANGE)
