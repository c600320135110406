"""The daily counts (issue 17, dashboard at volume: trends of all items, per topic and per company over long
ranges). On PostgreSQL, triggers mark the days whose items change and a trend recounts them before reading the
table, so the table always answers what counting the items answers: after scoring, re-scoring, deleting an item,
tagging a company, and in stories mode. SQLite counts from the items."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
import sqlalchemy as sa

from core.repositories import daily_counts, items
from core.repositories.items import ArticleFilter
from core.storage import get_engine, session_scope
from core.storage.tables import Article, CompanyMention, DailyCount, Feed

RANGE = ArticleFilter(start=datetime(2026, 3, 1), end=datetime(2026, 3, 8))
GROUPINGS = ("all", "topic", "company")
ROWS = [  # (published_at, sentiment, topic, companies, story_lead)
    (datetime(2026, 3, 2, 10, 15), "negative", "Earnings", ["NOKIA"], True),
    (datetime(2026, 3, 2, 11, 45), "positive", "Earnings", ["NOKIA", "KONE"], True),
    (datetime(2026, 3, 2, 23, 59), "negative", "Earnings", ["NOKIA"], False),  # a story's second source: not a story
    (datetime(2026, 3, 4, 9, 0), "neutral", "Macro", ["KONE"], True),
    (datetime(2026, 3, 5, 9, 30), "negative", None, ["KONE", "ELISA"], True),
    (datetime(2026, 3, 5, 9, 45), "positive", "Energy", [], True),
    (datetime(2026, 3, 6, 8, 0), None, None, ["ELISA"], True),  # stored, not scored yet
]


def seed() -> list[int]:
    with session_scope() as session:
        feed = Feed(name="Wire", url="https://example.com/feed.xml")
        session.add(feed)
        session.flush()
        articles = []
        for i, (published, sentiment, topic, companies, lead) in enumerate(ROWS):
            article = Article(feed_id=feed.id, guid=f"g{i}", title=f"t{i}", published_at=published, sentiment=sentiment,
                              topic=topic, companies=companies, story_lead=lead, scored_at=published if sentiment else None)
            article.mentions = [CompanyMention(company=c) for c in companies]
            session.add(article)
            articles.append(article)
        session.flush()
        return [a.id for a in articles]


def counted_from_items(flt: ArticleFilter, grouping: str = "company", top: int = 8) -> Counter:
    """The daily counts straight from the items, in Python (what the table must agree with)."""
    with session_scope() as session:
        scored = session.scalars(sa.select(Article).where(Article.scored_at.is_not(None))).all()
        rows = [
            (str(a.published_at)[:10], group, a.sentiment)
            for a in scored
            if flt.start <= a.published_at < flt.end and (a.story_lead or not flt.count_stories)
            and (not flt.sentiments or a.sentiment in flt.sentiments)
            for group in {"all": ["all"], "topic": [a.topic], "company": [m.company for m in a.mentions]}[grouping]
        ]
    totals = Counter(group for _, group, sentiment in rows if group is not None and (sentiment or grouping == "company"))
    keep = sorted(totals, key=lambda g: (-totals[g], g))[:top]
    return Counter(row for row in rows if row[1] in keep and row[2])


def as_counter(rows) -> Counter:
    return Counter({(str(day)[:10], group, sentiment): n for day, group, sentiment, n in rows})  # SQLite: text days


def from_table(flt: ArticleFilter, grouping: str = "company", top: int = 8) -> list | None:
    with session_scope() as session:
        days = daily_counts.whole_days(flt.start, flt.end)
        return daily_counts.counted_by_day(session, grouping, days, flt.sentiments, flt.count_stories, top)


@pytest.fixture
def postgres(db: str) -> str:
    if not db.startswith("postgresql"):
        pytest.skip("the daily counts are kept by PostgreSQL triggers; SQLite counts from the items")
    return db


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_daily_trends_are_read_from_the_daily_counts_and_agree_with_the_items(postgres, grouping):
    seed()
    expected = counted_from_items(RANGE, grouping)
    assert expected[("2026-03-02", {"all": "all", "topic": "Earnings", "company": "NOKIA"}[grouping], "negative")] == 2
    assert as_counter(items.sentiment_buckets(RANGE, grouping, "day", 8)) == expected
    with session_scope() as session:  # it was answered by the table: the days were counted into it
        counted = sa.select(sa.func.sum(DailyCount.items)).where(DailyCount.grouping == grouping)
        assert session.scalar(counted) == {"all": 6, "topic": 6, "company": 7}[grouping]  # scored items, mentions
    for flt in (ArticleFilter(start=RANGE.start, end=RANGE.end, count_stories=True),
                ArticleFilter(start=RANGE.start, end=RANGE.end, sentiments=["negative"]),
                ArticleFilter(start=datetime(2026, 3, 4), end=datetime(2026, 3, 6))):
        assert as_counter(from_table(flt, grouping)) == counted_from_items(flt, grouping)
    assert as_counter(from_table(RANGE, grouping, top=1)) == counted_from_items(RANGE, grouping, top=1)


@pytest.mark.parametrize("grouping", GROUPINGS)
def test_rescoring_tagging_and_deleting_items_reach_the_counts(postgres, grouping):
    ids = seed()
    from_table(RANGE, grouping)
    with session_scope() as session:
        session.get(Article, ids[0]).sentiment = "positive"  # re-scored
        unscored = session.get(Article, ids[6])
        unscored.sentiment, unscored.scored_at = "negative", datetime(2026, 3, 6, 9)  # scored now
        session.add(CompanyMention(article_id=ids[3], company="ELISA"))  # a company tagged later
        session.delete(session.get(Article, ids[4]))
    assert as_counter(from_table(RANGE, grouping)) == counted_from_items(RANGE, grouping)
    assert counted_from_items(RANGE)[("2026-03-02", "NOKIA", "positive")] == 2


def test_a_trend_counts_from_the_items_while_another_session_recounts(postgres):
    seed()
    from_table(RANGE)
    with get_engine().connect() as other:
        other.execute(sa.select(sa.func.pg_advisory_lock(daily_counts.RECOUNT_LOCK)))
        try:
            with session_scope() as session:
                session.execute(sa.update(Article).values(sentiment="neutral"))
            assert from_table(RANGE) is None  # its days are stale and the recount is busy: not answered by the table
            assert as_counter(items.sentiment_buckets(RANGE, "company", "day", 8)) == counted_from_items(RANGE)
        finally:
            other.execute(sa.select(sa.func.pg_advisory_unlock(daily_counts.RECOUNT_LOCK)))
    assert as_counter(from_table(RANGE)) == counted_from_items(RANGE)


def test_ranges_inside_a_day_and_other_filters_count_from_the_items(db):
    seed()
    assert daily_counts.whole_days(datetime(2026, 3, 1, 12), None) is None
    partial = ArticleFilter(start=datetime(2026, 3, 2, 11), end=datetime(2026, 3, 8))
    assert as_counter(items.sentiment_buckets(partial, "company", "day", 8)) == counted_from_items(partial)
    if not db.startswith("postgresql"):
        with session_scope() as session:
            assert daily_counts.counted_by_day(session, "all", daily_counts.whole_days(None, None), [], False, 8) is None


def test_the_tables_match_their_migration_and_downgrade(db):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import downgrade_before, schema_differences

    ours = ("daily_counts", "daily_count_stale_days")
    assert schema_differences(*ours) == []
    seed()
    downgrade_before(db, "0016_daily_counts.py")
    assert not set(ours) & set(sa.inspect(get_engine()).get_table_names())
    upgrade_database()
    if db.startswith("postgresql"):
        with session_scope() as session:  # the upgrade counted the stored items itself, no recount needed
            days = daily_counts.whole_days(RANGE.start, RANGE.end)
            assert daily_counts.is_current(session, days)
            for grouping in GROUPINGS:
                assert as_counter(daily_counts.day_counts(session, grouping, days, [], False, 8)) == counted_from_items(RANGE, grouping)
        with session_scope() as session:  # and the triggers are back
            session.get(Article, 1).sentiment = "neutral"
        assert as_counter(from_table(RANGE)) == counted_from_items(RANGE)
