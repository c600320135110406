"""Scored items per day, sentiment and story lead, for all items, per topic and per company (``daily_counts``),
kept current on PostgreSQL.

Triggers on ``articles`` and ``company_mentions`` (migration 0016) append the days whose items changed to
``daily_count_stale_days``; :func:`recount_stale_days` recounts those days from the items. A daily trend reads the
table only when no day it covers is stale after a recount, so it never shows older counts than the items; otherwise
(SQLite, another session recounting, a filter the table cannot answer) the caller counts from the items as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.storage.tables import DailyCount, DailyCountStaleDay

GROUPINGS = ("all", "topic", "company")  # what a row's key is: 'all', the item's topic, a company it mentions
ANALYZE_AFTER_DAYS = 31
RECOUNT_LOCK = 7_301_511  # pg_try_advisory_xact_lock key: one session recounts at a time

_IN_DAYS = """a.scored_at IS NOT NULL AND a.published_at >= :first AND a.published_at < :last + interval '1 day'
      AND date_trunc('day', a.published_at) = ANY(:days)"""
RECOUNT_SQL = [
    text(
        f"""
    INSERT INTO daily_counts (day, grouping, key, sentiment, story_lead, items)
    SELECT date_trunc('day', a.published_at), '{grouping}', {key}, coalesce(a.sentiment, ''), a.story_lead, count(*)
    FROM articles a {join}
    WHERE {_IN_DAYS}
    GROUP BY 1, 2, 3, 4, 5
    """
    )
    for grouping, key, join in (
        ("all", "'all'", ""),
        ("topic", "coalesce(a.topic, '')", ""),
        ("company", "m.company", "JOIN company_mentions m ON m.article_id = a.id"),
    )
]


@dataclass(frozen=True)
class DayRange:
    """Whole days: ``start`` inclusive, ``end`` exclusive (either open)."""

    start: datetime | None
    end: datetime | None


def whole_days(start: datetime | None, end: datetime | None) -> DayRange | None:
    """The range as whole days, or None when a bound falls inside a day (the table holds whole days only)."""
    for bound in (start, end):
        if bound is not None and bound != bound.replace(hour=0, minute=0, second=0, microsecond=0):
            return None
    return DayRange(start, end)


def recount_stale_days(session: Session) -> bool:
    """Recount every stale day in this transaction; False when another session holds the recount (nothing done)."""
    if not session.scalar(select(func.pg_try_advisory_xact_lock(RECOUNT_LOCK))):
        return False
    days = sorted(set(session.scalars(text("DELETE FROM daily_count_stale_days RETURNING day"))))
    if days:
        session.execute(DailyCount.__table__.delete().where(DailyCount.day.in_(days)))
        for recount in RECOUNT_SQL:
            session.execute(recount, {"days": days, "first": min(days), "last": max(days)})
        if len(days) > ANALYZE_AFTER_DAYS:  # the planner needs to know the table grew, or it sorts on disk
            session.execute(text("ANALYZE daily_counts"))
    return True


def is_current(session: Session, days: DayRange) -> bool:
    """No stale day inside the range (a day marked after the recount belongs to a change still being written)."""
    query = select(DailyCountStaleDay.day).limit(1)
    if days.start is not None:
        query = query.where(DailyCountStaleDay.day >= days.start)
    if days.end is not None:
        query = query.where(DailyCountStaleDay.day < days.end)
    return session.scalar(query) is None


def _matching(query, grouping: str, days: DayRange, sentiments: list[str], stories: bool):
    query = query.where(DailyCount.grouping == grouping)
    if stories:
        query = query.where(DailyCount.story_lead)
    if days.start is not None:
        query = query.where(DailyCount.day >= days.start)
    if days.end is not None:
        query = query.where(DailyCount.day < days.end)
    if sentiments:
        query = query.where(DailyCount.sentiment.in_(sentiments))
    return query


def day_counts(
    session: Session, grouping: str, days: DayRange, sentiments: list[str], stories: bool, top: int
) -> list[tuple[datetime, str, str, int]]:
    """(day, group, sentiment, items) for the ``top`` groups with the most scored items in the range (only story
    leads when ``stories``): the rows ``items.sentiment_buckets`` counts from the items for a daily trend. Companies
    are ranked by all their scored items, topics by those with a sentiment, as that function does."""
    total = func.sum(DailyCount.items)
    labelled = DailyCount.sentiment != ""
    query = _matching(select(DailyCount.day, DailyCount.key, DailyCount.sentiment, total), grouping, days, sentiments, stories)
    query = query.where(labelled).group_by(DailyCount.day, DailyCount.key, DailyCount.sentiment)
    if grouping != "all":
        largest = _matching(select(DailyCount.key), grouping, days, sentiments, stories).where(DailyCount.key != "")
        largest = largest.where(labelled) if grouping == "topic" else largest
        keys = list(session.scalars(largest.group_by(DailyCount.key).order_by(total.desc(), DailyCount.key).limit(top)))
        if not keys:
            return []
        query = query.where(DailyCount.key.in_(keys))
    return [(day, key, sentiment, int(n)) for day, key, sentiment, n in session.execute(query)]


def counted_by_day(
    session: Session, grouping: str, days: DayRange, sentiments: list[str], stories: bool, top: int
) -> list[tuple] | None:
    """The daily counts from the table when it can answer (PostgreSQL, nothing stale after a recount), else None
    (count from the items)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    with session.begin_nested():
        recount_stale_days(session)
    if not is_current(session, days):
        return None
    return day_counts(session, grouping, days, sentiments, stories, top)
