"""The SQL of feeds, their items (articles), company mentions and watchlists: the filtered item queries of
the Financial sentiment page, the items in an alert rule's scope, and watchlist rows. The rules (what a
filter means, how a trend is bucketed, the spike test) live elsewhere in core; this module only reads and
writes rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, false, func, literal, or_, select
from sqlalchemy.orm import Session

from core.sentiment.entities import canonical_company
from core.storage import session_scope
from core.storage.tables import Article, CompanyMention, Feed, Watchlist, utcnow

# --- the items of the Financial sentiment page -------------------------------------------------


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


def scored_articles(flt: ArticleFilter, limit: int = 500) -> list[dict]:
    """Scored items matching the filter, newest first, as plain rows."""
    with session_scope() as session:
        query = _filtered(select(Article, Feed.name).join(Feed), flt)
        rows = session.execute(query.order_by(Article.published_at.desc(), Article.id.desc()).limit(limit)).all()
        return [
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


def scored_sentiments(flt: ArticleFilter, group_by: str) -> list[tuple[datetime, str, str]]:
    """(published_at, sentiment, group) of each scored item matching the filter; grouped by company, an
    item counts once per company it mentions."""
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
        return [tuple(row) for row in session.execute(_filtered(query, flt)).all()]


def feed_ids_named(name: str) -> list[int]:
    with session_scope() as session:
        return list(session.scalars(select(Feed.id).where(Feed.name == name)))


def filter_options() -> dict[str, list]:
    """Feeds (id, name), topics and the 200 most mentioned companies."""
    with session_scope() as session:
        feeds = [(f.id, f.name) for f in session.scalars(select(Feed).order_by(Feed.name))]
        topics = [t for t in session.scalars(select(Article.topic).distinct().order_by(Article.topic)) if t]
        companies = list(
            session.scalars(
                select(CompanyMention.company).group_by(CompanyMention.company).order_by(func.count().desc()).limit(200)
            )
        )
    return {"feeds": feeds, "topics": topics, "companies": companies}


def scored_span() -> tuple[datetime, datetime] | None:
    """The first and last publication time of the scored items, or None when there are none."""
    with session_scope() as session:
        first, last = session.execute(
            select(func.min(Article.published_at), func.max(Article.published_at)).where(Article.scored_at.is_not(None))
        ).one()
    return (first, last) if first and last else None


def unscored_count(feed_id: int | None = None) -> int:
    """Items stored but not scored yet (of one feed, or of all)."""
    query = select(func.count()).select_from(Article).where(Article.scored_at.is_(None))
    if feed_id is not None:
        query = query.where(Article.feed_id == feed_id)
    with session_scope() as session:
        return int(session.scalar(query) or 0)


def articles_in_order(article_ids: list[int]) -> list[dict]:
    """The articles with these ids, in the given order, with their feed names (deleted ones left out)."""
    with session_scope() as session:
        rows = session.execute(
            select(Article, Feed.name).join(Feed, Feed.id == Article.feed_id).where(Article.id.in_(article_ids or [-1]))
        ).all()
        by_id = {article.id: (article, feed) for article, feed in rows}
        return [
            {
                "title": article.title,
                "link": article.link,
                "sentiment": article.sentiment,
                "confidence": article.sentiment_confidence,
                "prob_negative": article.prob_negative,
                "published_at": article.published_at,
                "feed": feed,
            }
            for article, feed in (by_id[i] for i in article_ids if i in by_id)
        ]


# --- the items in an alert rule's scope ---------------------------------------------------------


def _mentions_any(companies: list[str]) -> ColumnElement[bool]:
    keys = {c.strip().lower() for c in companies if c.strip()}
    keys |= {canonical_company(c).lower() for c in companies if c.strip()}
    mentioned = select(CompanyMention.article_id).where(func.lower(CompanyMention.company).in_(sorted(keys)))
    return Article.id.in_(mentioned)


def _contains_any(words: list[str]) -> ColumnElement[bool]:
    clauses = []
    for word in (w.strip().lower() for w in words):
        if word:
            clauses += [
                func.lower(Article.title).contains(word, autoescape=True),
                func.lower(Article.summary).contains(word, autoescape=True),
            ]
    return or_(false(), *clauses)


def _topic(session: Session, topic: str) -> ColumnElement[bool]:
    wanted = topic.strip().lower()
    tagged_feeds = [f.id for f in session.execute(select(Feed.id, Feed.topics)) if wanted in {str(t).lower() for t in f.topics or []}]
    return or_(func.lower(Article.topic) == wanted, Article.feed_id.in_(tagged_feeds))


def _watchlist(session: Session, name: str) -> ColumnElement[bool]:
    watchlist = session.scalar(select(Watchlist).where(Watchlist.name == name))
    if watchlist is None:
        return false()
    return or_(_mentions_any(list(watchlist.companies) + list(watchlist.tickers)), _contains_any(list(watchlist.keywords)))


def scope_filter(session: Session, scope_type: str, scope_value: str) -> ColumnElement[bool] | None:
    """The condition on Article for an alert scope; None for 'all'."""
    if scope_type == "all":
        return None
    if scope_type == "topic":
        return _topic(session, scope_value)
    if scope_type == "company":
        return _mentions_any([scope_value])
    if scope_type == "watchlist":
        return _watchlist(session, scope_value)
    if scope_type == "keyword":
        return _contains_any([scope_value])
    if scope_type == "feed":
        return Article.feed_id.in_(select(Feed.id).where(Feed.name == scope_value))
    raise ValueError(f"unknown scope type {scope_type!r}")


@dataclass(frozen=True)
class ScopeWindow:
    """The scored items of a scope published from ``start`` to ``end`` (``end`` itself included or not)."""

    scope: ColumnElement[bool] | None
    start: datetime
    end: datetime
    end_inclusive: bool = True

    def conditions(self) -> list:
        conditions = [Article.scored_at.is_not(None), Article.published_at >= self.start]
        conditions.append(Article.published_at <= self.end if self.end_inclusive else Article.published_at < self.end)
        return conditions if self.scope is None else [*conditions, self.scope]


def count_in_window(session: Session, window: ScopeWindow) -> tuple[int, int]:
    """(items, negative items) in the window."""
    negatives = func.coalesce(func.sum(case((Article.sentiment == "negative", 1), else_=0)), 0)
    items, negative = session.execute(select(func.count(Article.id), negatives).where(*window.conditions())).one()
    return int(items), int(negative)


def worst_in_window(session: Session, window: ScopeWindow, limit: int) -> list[int]:
    """Ids of the most negative items, most negative (then newest) first."""
    query = (
        select(Article.id)
        .where(*window.conditions())
        .order_by(func.coalesce(Article.prob_negative, 0.0).desc(), Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def has_item_since(session: Session, window: ScopeWindow, published_after: datetime, scored_after: datetime | None) -> bool:
    """Whether the window holds an item published after ``published_after`` or (given) scored after ``scored_after``."""
    newer = Article.published_at > published_after
    if scored_after is not None:
        newer = or_(newer, Article.scored_at > scored_after)
    return session.scalar(select(Article.id).where(*window.conditions(), newer).limit(1)) is not None


# --- watchlists -------------------------------------------------------------------------------


def _watchlist_dict(w: Watchlist) -> dict:
    return {"id": w.id, "name": w.name, "companies": list(w.companies), "tickers": list(w.tickers),
            "keywords": list(w.keywords), "owner": w.owner}


def list_watchlists() -> list[dict]:
    with session_scope() as session:
        return [_watchlist_dict(w) for w in session.scalars(select(Watchlist).order_by(Watchlist.name))]


def save_watchlist(name: str, companies: list[str], tickers: list[str], keywords: list[str],
                   check_owner: Callable[[str | None], str]) -> int:
    """Create or update (by name); ``check_owner(current owner)`` runs inside the transaction and returns
    the owner of a new watchlist (it raises when the user may not change it)."""
    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        owner = check_owner(row.owner if row else None)
        row = row or Watchlist(name=name, owner=owner)
        row.companies, row.tickers, row.keywords = companies, tickers, keywords
        session.add(row)
        session.flush()
        return row.id


def delete_watchlist(name: str, check: Callable[[str | None, list[str]], None]) -> bool:
    """Delete the watchlist; False when there is none. ``check(owner, names of the alert rules using it)``
    runs inside the transaction and raises to refuse."""
    from core.repositories.alerts import rules_using_watchlist

    with session_scope() as session:
        row = session.scalar(select(Watchlist).where(Watchlist.name == name))
        if row is None:
            return False
        check(row.owner, rules_using_watchlist(session, name))
        session.delete(row)
    return True


def watchlist_entries() -> list[tuple[list[str], list[str]]]:
    """(companies, tickers) of every watchlist."""
    with session_scope() as session:
        return [(list(w.companies), list(w.tickers)) for w in session.scalars(select(Watchlist))]
