"""Crawl feeds: fetch, parse and store new items; each feed in its own transaction, errors recorded on the feed."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from core.feeds.fetch import fetch_feed
from core.feeds.parse import FeedItem, parse_feed
from core.feeds.safety import FeedError
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CrawlOutcome:
    feed_id: int
    feed_name: str
    status: str  # ok | not_modified | empty | error
    new_items: int
    error: str | None = None


def _insert_ignoring_duplicates(session, rows: list[dict]) -> int:
    """Insert articles; a (feed, guid) that already exists is skipped, even if another process
    inserted it a moment ago."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    result = session.execute(insert(Article).values(rows).on_conflict_do_nothing(index_elements=["feed_id", "guid"]))
    return max(result.rowcount or 0, 0)


def _rows(feed_id: int, items: list[FeedItem], now: datetime) -> list[dict]:
    rows: dict[str, dict] = {}
    for item in items:
        published = item.published_at if item.published_at and item.published_at <= now + timedelta(hours=1) else now
        rows.setdefault(
            item.guid,
            {
                "feed_id": feed_id,
                "guid": item.guid,
                "link": item.link,
                "title": item.title,
                "summary": item.summary,
                "published_at": published,
                "fetched_at": now,
                "companies": [],
            },
        )
    return list(rows.values())


def crawl_feed(feed_id: int, now: datetime | None = None) -> CrawlOutcome:
    """Fetch and store one feed. Never raises for feed problems: they are stored on the feed."""
    now = now or utcnow()
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        if feed is None:
            raise LookupError(f"feed {feed_id} does not exist")
        url, name, etag, modified = feed.url, feed.name, feed.etag, feed.last_modified
    try:
        fetched = fetch_feed(url, etag, modified)
        items = parse_feed(fetched.body, url) if fetched.status == "ok" else []
    except FeedError as exc:
        return _record(feed_id, name, now, "error", 0, str(exc))
    except Exception as exc:  # a bug or an exotic document must not stop the other feeds
        log.exception("unexpected error crawling feed %s", name)
        return _record(feed_id, name, now, "error", 0, f"{url}: unexpected error ({type(exc).__name__}: {exc})")
    status = fetched.status if fetched.status == "not_modified" else ("ok" if items else "empty")
    with session_scope() as session:
        new = _insert_ignoring_duplicates(session, _rows(feed_id, items, now))
        feed = session.get(Feed, feed_id)
        if fetched.status == "ok":
            feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
        _set_status(feed, now, status, new, None)
    return CrawlOutcome(feed_id, name, status, new)


def _set_status(feed: Feed, now: datetime, status: str, new: int, error: str | None) -> None:
    feed.last_fetched_at, feed.last_status, feed.last_error, feed.last_new_items = now, status, error, new


def _record(feed_id: int, name: str, now: datetime, status: str, new: int, error: str) -> CrawlOutcome:
    log.warning("feed %s: %s", name, error)
    with session_scope() as session:
        feed = session.get(Feed, feed_id)
        if feed is not None:
            _set_status(feed, now, status, new, error[:2000])
    return CrawlOutcome(feed_id, name, status, new, error)


def due_feed_ids(now: datetime, force: bool = False) -> list[int]:
    with session_scope() as session:
        feeds = session.scalars(select(Feed).where(Feed.enabled).order_by(Feed.id)).all()
        return [
            f.id
            for f in feeds
            if force or f.last_fetched_at is None or f.last_fetched_at + timedelta(minutes=f.interval_minutes) <= now
        ]


def crawl_due_feeds(now: datetime | None = None, force: bool = False) -> list[CrawlOutcome]:
    """Crawl every enabled feed that is due (all of them with ``force``); one failure never stops the rest."""
    now = now or utcnow()
    return [crawl_feed(feed_id, now) for feed_id in due_feed_ids(now, force)]
