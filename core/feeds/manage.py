"""Register, change and list feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.feeds.safety import FeedError, check_feed_url
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Article, Feed


@dataclass(frozen=True)
class FeedView:
    id: int
    name: str
    url: str
    topics: list[str]
    enabled: bool
    interval_minutes: int
    last_fetched_at: datetime | None
    last_status: str | None
    last_error: str | None
    articles: int


def _clean(name: str, url: str, topics, interval_minutes: int | None) -> tuple[str, str, list[str], int]:
    name = (name or "").strip()
    if not name:
        raise ValueError("a feed needs a name")
    try:
        url = check_feed_url(url)
    except FeedError as exc:
        raise ValueError(str(exc)) from exc
    if isinstance(topics, str):
        topics = topics.split(",")
    tags = [t.strip() for t in topics or () if t and t.strip()]
    interval = get_settings().crawl_interval_minutes if interval_minutes is None else int(interval_minutes)
    if interval < 1:
        raise ValueError("the crawl interval must be at least 1 minute")
    return name, url, tags, interval


def add_feed(name: str, url: str, topics=(), interval_minutes: int | None = None) -> int:
    name, url, tags, interval = _clean(name, url, topics, interval_minutes)
    try:
        with session_scope() as session:
            feed = Feed(name=name, url=url, topics=tags, interval_minutes=interval)
            session.add(feed)
            session.flush()
            return feed.id
    except IntegrityError as exc:
        raise ValueError(f"a feed with the name {name!r} or this URL already exists") from exc


def upsert_feed(name: str, url: str, topics=(), interval_minutes: int | None = None, enabled: bool = True) -> int:
    """Create the feed, or update the one with the same name (used by ``config apply``)."""
    name, url, tags, interval = _clean(name, url, topics, interval_minutes)
    with session_scope() as session:
        feed = session.scalar(select(Feed).where(Feed.name == name))
        if feed is None:
            feed = Feed(name=name)
            session.add(feed)
        feed.url, feed.topics, feed.interval_minutes, feed.enabled = url, tags, interval, enabled
        session.flush()
        return feed.id


def update_feed(feed_id: int, **changes) -> None:
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise ValueError(f"feed {feed_id} does not exist")
        name, url, tags, interval = _clean(
            changes.get("name", feed.name),
            changes.get("url", feed.url),
            changes.get("topics", feed.topics),
            changes.get("interval_minutes", feed.interval_minutes),
        )
        feed.name, feed.url, feed.topics, feed.interval_minutes = name, url, tags, interval
        feed.enabled = bool(changes.get("enabled", feed.enabled))


def delete_feed(feed_id: int) -> None:
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            session.delete(feed)


def list_feeds() -> list[FeedView]:
    with session_scope() as session:
        counts = dict(session.execute(select(Article.feed_id, func.count()).group_by(Article.feed_id)).all())
        return [
            FeedView(
                f.id,
                f.name,
                f.url,
                list(f.topics),
                f.enabled,
                f.interval_minutes,
                f.last_fetched_at,
                f.last_status,
                f.last_error,
                counts.get(f.id, 0),
            )
            for f in session.scalars(select(Feed).order_by(Feed.name))
        ]
