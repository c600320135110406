"""Queries behind the Financial sentiment page: filtered items, trends per topic/company, filter options."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, literal, or_, select

from core.sentiment.entities import canonical_company
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, utcnow

GROUPINGS = ("topic", "company", "feed", "all")
FREQUENCIES = {"day": "D", "hour": "h"}
ARTICLE_COLUMNS = [
    "id",
    "published_at",
    "feed",
    "title",
    "link",
    "sentiment",
    "confidence",
    "prob_negative",
    "topic",
    "companies",
    "summary",
]


@dataclass
class ArticleFilter:
    """What the user narrowed the view to; every field is optional."""

    start: datetime | None = None
    end: datetime | None = None
    feed_ids: list[int] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    keyword: str = ""
    sentiments: list[str] = field(default_factory=list)

    @classmethod
    def last_days(cls, days: int, **kwargs) -> ArticleFilter:
        return cls(start=utcnow() - timedelta(days=days), **kwargs)


def _filtered(query, flt: ArticleFilter):
    query = query.where(Article.scored_at.is_not(None))
    if flt.start:
        query = query.where(Article.published_at >= flt.start)
    if flt.end:
        query = query.where(Article.published_at < flt.end)
    if flt.feed_ids:
        query = query.where(Article.feed_id.in_(flt.feed_ids))
    if flt.topics:
        query = query.where(Article.topic.in_(flt.topics))
    if flt.sentiments:
        query = query.where(Article.sentiment.in_(flt.sentiments))
    if flt.companies:
        keys = [canonical_company(c) for c in flt.companies]
        query = query.where(Article.id.in_(select(CompanyMention.article_id).where(CompanyMention.company.in_(keys))))
    if flt.keyword.strip():
        like = f"%{flt.keyword.strip().lower()}%"  # bound parameter, never formatted into SQL
        query = query.where(or_(func.lower(Article.title).like(like), func.lower(Article.summary).like(like)))
    return query


def list_articles(flt: ArticleFilter, limit: int = 500) -> pd.DataFrame:
    """Scored items, newest first, as plain rows for a table."""
    with session_scope() as session:
        query = _filtered(select(Article, Feed.name).join(Feed), flt)
        rows = session.execute(query.order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)).all()
        records = [
            {
                "id": a.id,
                "published_at": a.published_at,
                "feed": feed_name,
                "title": a.title,
                "link": a.link,
                "sentiment": a.sentiment,
                "confidence": a.sentiment_confidence,
                "prob_negative": a.prob_negative,
                "topic": a.topic,
                "companies": ", ".join(a.companies or []),
                "summary": a.summary,
            }
            for a, feed_name in rows
        ]
    return pd.DataFrame(records, columns=ARTICLE_COLUMNS)


def _scored_frame(flt: ArticleFilter, group_by: str) -> pd.DataFrame:
    with session_scope() as session:
        if group_by == "company":
            query = select(Article.published_at, Article.sentiment, CompanyMention.company.label("group")).join(
                CompanyMention, CompanyMention.article_id == Article.id
            )
        elif group_by == "feed":
            query = select(Article.published_at, Article.sentiment, Feed.name.label("group")).join(Feed)
        elif group_by == "topic":
            query = select(Article.published_at, Article.sentiment, Article.topic.label("group"))
        else:
            query = select(Article.published_at, Article.sentiment, literal("all").label("group"))
        rows = session.execute(_filtered(query, flt)).all()
    return pd.DataFrame(rows, columns=["published_at", "sentiment", "group"])


def sentiment_trend(flt: ArticleFilter, group_by: str = "topic", frequency: str = "day", top: int = 8) -> pd.DataFrame:
    """Per time bucket and group: item counts per sentiment, negative share and net sentiment
    ((positive - negative) / items). Only the ``top`` largest groups are kept so charts stay legible."""
    if group_by not in GROUPINGS:
        raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}")
    columns = ["bucket", "group", "items", "negative", "neutral", "positive", "negative_share", "net_sentiment"]
    frame = _scored_frame(flt, group_by)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    largest = frame["group"].value_counts().head(top).index
    frame = frame[frame["group"].isin(largest)]
    frame["bucket"] = pd.to_datetime(frame["published_at"]).dt.floor(FREQUENCIES[frequency])
    counts = pd.crosstab([frame["bucket"], frame["group"]], frame["sentiment"])
    for label in ("negative", "neutral", "positive"):
        if label not in counts:
            counts[label] = 0
    counts = counts[["negative", "neutral", "positive"]].reset_index()
    counts["items"] = counts[["negative", "neutral", "positive"]].sum(axis=1)
    counts["negative_share"] = counts["negative"] / counts["items"]
    counts["net_sentiment"] = (counts["positive"] - counts["negative"]) / counts["items"]
    return counts[columns].sort_values(["bucket", "group"]).reset_index(drop=True)


def bucket_filter(flt: ArticleFilter, group_by: str, group: str, bucket: datetime, frequency: str) -> ArticleFilter:
    """The filter for the items behind one point of a trend chart (click-through)."""
    step = timedelta(days=1) if frequency == "day" else timedelta(hours=1)
    narrowed = ArticleFilter(**{**flt.__dict__, "start": bucket, "end": bucket + step})
    if group_by == "topic":
        narrowed.topics = [group]
    elif group_by == "company":
        narrowed.companies = [group]
    elif group_by == "feed":
        with session_scope() as session:
            narrowed.feed_ids = list(session.scalars(select(Feed.id).where(Feed.name == group)))
    return narrowed


def filter_options() -> dict[str, list]:
    """Values for the page's filter widgets."""
    with session_scope() as session:
        feeds = [(f.id, f.name) for f in session.scalars(select(Feed).order_by(Feed.name))]
        topics = [t for t in session.scalars(select(Article.topic).distinct().order_by(Article.topic)) if t]
        companies = list(
            session.scalars(
                select(CompanyMention.company).group_by(CompanyMention.company).order_by(func.count().desc()).limit(200)
            )
        )
    return {"feeds": feeds, "topics": topics, "companies": companies}


def stored_item_span() -> tuple[date, date] | None:
    """The first and last publication day of the scored items, or None when there are none."""
    with session_scope() as session:
        first, last = session.execute(
            select(func.min(Article.published_at), func.max(Article.published_at)).where(Article.scored_at.is_not(None))
        ).one()
    return (first.date(), last.date()) if first and last else None
