"""Scored items per day, company and sentiment (``company_daily_counts``), kept current on PostgreSQL.

Triggers on ``articles`` and ``company_mentions`` (migration 0015) record the days whose items changed in
``company_count_stale_days``; :func:`recount_stale_days` recounts those days from the items. A per-company trend
reads the table only when no day it covers is stale after a recount, so it never shows older counts than the
items; otherwise (SQLite, another session recounting, a filter the table cannot answer) the caller counts from the
items as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from core.storage.tables import CompanyCountStaleDay, CompanyDailyCount

ANALYZE_AFTER_DAYS = 31
RECOUNT_LOCK = 7_301_511  # pg_try_advisory_xact_lock key: one session recounts at a time

RECOUNT_SQL = text(
    """
    INSERT INTO company_daily_counts (day, company, sentiment, story_lead, items)
    SELECT date_trunc('day', a.published_at), m.company, coalesce(a.sentiment, ''), a.story_lead, count(*)
    FROM articles a JOIN company_mentions m ON m.article_id = a.id
    WHERE a.scored_at IS NOT NULL AND a.published_at >= :first AND a.published_at < :last + interval '1 day'
      AND date_trunc('day', a.published_at) = ANY(:days)
    GROUP BY 1, 2, 3, 4
    """
)


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
    days = sorted(set(session.scalars(text("DELETE FROM company_count_stale_days RETURNING day"))))
    if days:
        session.execute(CompanyDailyCount.__table__.delete().where(CompanyDailyCount.day.in_(days)))
        session.execute(RECOUNT_SQL, {"days": days, "first": min(days), "last": max(days)})
        if len(days) > ANALYZE_AFTER_DAYS:  # the planner needs to know the table grew, or it sorts on disk
            session.execute(text("ANALYZE company_daily_counts"))
    return True


def is_current(session: Session, days: DayRange) -> bool:
    """No stale day inside the range (a day marked after the recount belongs to a change still being written)."""
    query = select(CompanyCountStaleDay.day).limit(1)
    if days.start is not None:
        query = query.where(CompanyCountStaleDay.day >= days.start)
    if days.end is not None:
        query = query.where(CompanyCountStaleDay.day < days.end)
    return session.scalar(query) is None


def _in_range(query, days: DayRange, sentiments: list[str], stories: bool):
    if stories:
        query = query.where(CompanyDailyCount.story_lead)
    if days.start is not None:
        query = query.where(CompanyDailyCount.day >= days.start)
    if days.end is not None:
        query = query.where(CompanyDailyCount.day < days.end)
    if sentiments:
        query = query.where(CompanyDailyCount.sentiment.in_(sentiments))
    return query


def company_day_counts(
    session: Session, days: DayRange, sentiments: list[str], stories: bool, top: int
) -> list[tuple[datetime, str, str, int]]:
    """(day, company, sentiment, items) for the ``top`` companies with the most scored items in the range (only
    story leads when ``stories``): the rows ``items.sentiment_buckets`` counts from the items for a daily trend by
    company."""
    total = func.sum(CompanyDailyCount.items)
    largest = _in_range(select(CompanyDailyCount.company), days, sentiments, stories).group_by(CompanyDailyCount.company)
    companies = list(session.scalars(largest.order_by(total.desc(), CompanyDailyCount.company).limit(top)))
    if not companies:
        return []
    columns = select(CompanyDailyCount.day, CompanyDailyCount.company, CompanyDailyCount.sentiment, total)
    query = _in_range(columns, days, sentiments, stories)
    query = query.where(CompanyDailyCount.company.in_(companies), CompanyDailyCount.sentiment != "")
    grouped = query.group_by(CompanyDailyCount.day, CompanyDailyCount.company, CompanyDailyCount.sentiment)
    return [(day, company, sentiment, int(n)) for day, company, sentiment, n in session.execute(grouped)]


def counted_by_day(session: Session, days: DayRange, sentiments: list[str], stories: bool, top: int) -> list[tuple] | None:
    """The daily per-company counts from the table when it can answer (PostgreSQL, nothing stale after a recount),
    else None (count from the items)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    with session.begin_nested():
        recount_stale_days(session)
    if not is_current(session, days):
        return None
    return company_day_counts(session, days, sentiments, stories, top)
