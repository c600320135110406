"""Register, change, remove and list feeds. User mistakes raise ValueError with a plain message."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import record, requires
from core.feeds.safety import FeedError, check_feed_url
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import Article, Feed

NAME_LIMIT = 200  # the column size of Feed.name
TOPIC_LIMIT = 100
EDITABLE = {"name", "url", "topics", "interval_minutes", "enabled"}


@dataclass(frozen=True)
class FeedView:
    """A feed as plain data, safe to keep after the database session is closed."""

    id: int
    name: str
    url: str
    topics: list[str]
    enabled: bool
    interval_minutes: int
    last_fetched_at: datetime | None
    last_status: str | None  # ok | not_modified | empty | error; None before the first fetch
    last_error: str | None
    articles: int
    last_new_items: int = 0
    created_at: datetime | None = None


def _clean_name(name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise ValueError("Please give the feed a name.")
    if len(name) > NAME_LIMIT:
        raise ValueError(f"The feed name is too long ({len(name)} characters; at most {NAME_LIMIT}).")
    return name


def _clean_url(url: str) -> str:
    try:
        return check_feed_url(url)
    except FeedError as exc:
        raise ValueError(f"This feed URL cannot be used: {exc}") from exc


def _clean_topics(topics: str | Iterable[str] | None) -> list[str]:
    if isinstance(topics, str):
        topics = topics.split(",")
    tags: list[str] = []
    for topic in topics or ():
        tag = " ".join(str(topic or "").split())[:TOPIC_LIMIT]
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _clean_interval(interval_minutes: int | str | None) -> int:
    if interval_minutes is None:
        return get_settings().crawl_interval_minutes
    try:
        interval = int(str(interval_minutes).strip()) if not isinstance(interval_minutes, bool) else -1
    except ValueError:
        interval = -1
    if interval < 1:
        raise ValueError(f"The fetch interval must be a whole number of minutes, at least 1 (got {interval_minutes!r}).")
    return interval


def _check_unique(session: Session, name: str, url: str, feed_id: int | None = None) -> None:
    others = select(Feed.name).where(Feed.id != feed_id) if feed_id is not None else select(Feed.name)
    if session.scalar(others.where(func.lower(Feed.name) == name.lower())) is not None:
        raise ValueError(f"A feed named {name!r} already exists; please choose another name.")
    owner = session.scalar(others.where(Feed.url == url))
    if owner is not None:
        raise ValueError(f"The feed {owner!r} already uses this URL.")


def _duplicate() -> ValueError:
    return ValueError("A feed with this name or URL already exists.")


@requires("admin", "add feeds")
def add_feed(name: str, url: str, topics: str | Iterable[str] = (), interval_minutes: int | None = None) -> int:
    """Register a feed; returns its id. Raises ValueError for a missing name, a URL Beacon may not
    fetch, an interval under one minute, or a name or URL already in use."""
    name, url = _clean_name(name), _clean_url(url)
    tags, interval = _clean_topics(topics), _clean_interval(interval_minutes)
    try:
        with session_scope() as session:
            _check_unique(session, name, url)
            feed = Feed(name=name, url=url, topics=tags, interval_minutes=interval, enabled=True)
            session.add(feed)
            session.flush()
            feed_id = feed.id
    except IntegrityError as exc:  # another user added the same feed a moment ago
        raise _duplicate() from exc
    record("feed added", name, detail={"url": url})
    return feed_id


@requires("admin", "add or change feeds")
def upsert_feed(name: str, url: str, topics: str | Iterable[str] = (), interval_minutes: int | None = None, enabled: bool = True) -> int:
    """Create the feed, or update the one with the same name (used by ``config apply``)."""
    name, url = _clean_name(name), _clean_url(url)
    tags, interval = _clean_topics(topics), _clean_interval(interval_minutes)
    try:
        with session_scope() as session:
            feed = session.scalar(select(Feed).where(Feed.name == name))
            _check_unique(session, name, url, feed.id if feed else None)
            if feed is None:
                feed = Feed(name=name)
                session.add(feed)
            _apply(feed, name=name, url=url, topics=tags, interval_minutes=interval, enabled=bool(enabled))
            session.flush()
            feed_id = feed.id
    except IntegrityError as exc:
        raise _duplicate() from exc
    record("feed saved", name, detail={"url": url})
    return feed_id


@requires("admin", "change feeds")
def update_feed(feed_id: int, **changes: object) -> None:
    """Change some of: name, url, topics, interval_minutes, enabled. A new URL forgets the old
    URL's caching validators so the next fetch is a full one."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValueError(f"Unknown feed setting(s): {', '.join(sorted(unknown))}.")
    cleaned = _clean_changes(changes)
    try:
        with session_scope() as session:
            feed = session.get(Feed, feed_id)
            if feed is None:
                raise ValueError(f"Feed {feed_id} does not exist (it may have been deleted).")
            _check_unique(session, cleaned.get("name", feed.name), cleaned.get("url", feed.url), feed_id)
            _apply(feed, **cleaned)
            name = feed.name
    except IntegrityError as exc:
        raise _duplicate() from exc
    record("feed changed", name, detail={k: v for k, v in cleaned.items()})


def _clean_changes(changes: dict[str, object]) -> dict[str, object]:
    cleaners = {
        "name": _clean_name,
        "url": _clean_url,
        "topics": _clean_topics,
        "interval_minutes": _clean_interval,
        "enabled": bool,
    }
    return {key: cleaners[key](value) for key, value in changes.items()}


def _apply(feed: Feed, **values: object) -> None:
    if "url" in values and values["url"] != feed.url:
        feed.etag = feed.last_modified = None
    for key, value in values.items():
        setattr(feed, key, value)


@requires("admin", "delete feeds")
def delete_feed(feed_id: int) -> None:
    """Remove a feed and its articles; removing a feed that is already gone does nothing."""
    with session_scope() as session:
        # One DELETE; the database cascades to articles and their mentions without loading them.
        name = session.scalar(select(Feed.name).where(Feed.id == feed_id))
        session.execute(delete(Feed).where(Feed.id == feed_id))
    if name is not None:
        record("feed deleted", name)


def list_feeds() -> list[FeedView]:
    """All feeds by name, with their last crawl result and how many articles each has."""
    with session_scope() as session:
        counts = dict(session.execute(select(Article.feed_id, func.count()).group_by(Article.feed_id)).all())
        return [_view(feed, counts.get(feed.id, 0)) for feed in session.scalars(select(Feed).order_by(Feed.name))]


def _view(feed: Feed, articles: int) -> FeedView:
    return FeedView(
        id=feed.id,
        name=feed.name,
        url=feed.url,
        topics=list(feed.topics or []),
        enabled=bool(feed.enabled),
        interval_minutes=feed.interval_minutes,
        last_fetched_at=feed.last_fetched_at,
        last_status=feed.last_status,
        last_error=feed.last_error,
        articles=articles,
        last_new_items=feed.last_new_items or 0,
        created_at=feed.created_at,
    )
