"""The SQL of claiming work that several workers on one database may all try: due feeds (a claim with its own
expiring columns on the feed, ``crawl_claimed_until`` / ``crawl_claimed_by``) and batches of unscored items
(row locks held while the batch is scored, ``FOR UPDATE SKIP LOCKED``). When a claim expires and what a
claim means for the crawl and for scoring is decided in ``core.feeds.crawl`` and ``core.sentiment.score_items``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.storage import session_scope
from core.storage.tables import Article, Feed

# --- due feeds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledFeed:
    """An enabled feed's schedule and its crawl claim, as read."""

    id: int
    name: str
    url: str
    last_fetched_at: datetime | None
    interval_minutes: int
    claimed_until: datetime | None
    claimed_by: str | None


@dataclass(frozen=True)
class ClaimedFeed:
    """A feed this crawl holds the claim of: what fetching it needs."""

    id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None


def crawl_schedule() -> list[ScheduledFeed]:
    """Every enabled feed's schedule and crawl claim, by id."""
    columns = (Feed.id, Feed.name, Feed.url, Feed.last_fetched_at, Feed.interval_minutes, Feed.crawl_claimed_until, Feed.crawl_claimed_by)
    with session_scope() as session:
        return [ScheduledFeed(*row) for row in session.execute(select(*columns).where(Feed.enabled).order_by(Feed.id))]


def claim_feed(feed_id: int, seen_fetched_at: datetime | None, holder: str, now: datetime, until: datetime,
               gone_holders: frozenset[str] = frozenset()) -> ClaimedFeed | None:
    """Claim the feed for ``holder`` until ``until``, in one statement, only while it is enabled, has not been
    fetched since it was read (``last_fetched_at`` still ``seen_fetched_at``) and nobody holds a live claim
    (none, expired by ``now``, or held by one of ``gone_holders``). On PostgreSQL the row is picked with
    ``FOR UPDATE SKIP LOCKED``: a feed another worker is claiming or storing right now is skipped, not waited
    for. Returns the claimed feed, None when it is not this worker's to fetch."""
    unchanged = Feed.last_fetched_at.is_(None) if seen_fetched_at is None else Feed.last_fetched_at == seen_fetched_at
    free = or_(Feed.crawl_claimed_until.is_(None), Feed.crawl_claimed_until <= now, Feed.crawl_claimed_by.in_(sorted(gone_holders)))
    pick = select(Feed.id).where(Feed.id == feed_id, Feed.enabled, unchanged, free).with_for_update(skip_locked=True)
    with session_scope() as session:
        row = session.execute(
            update(Feed).where(Feed.id.in_(pick), unchanged, free)
            .values(crawl_claimed_until=until, crawl_claimed_by=holder)
            .returning(Feed.id, Feed.name, Feed.url, Feed.etag, Feed.last_modified)
            .execution_options(synchronize_session=False)
        ).first()
    return None if row is None else ClaimedFeed(*row)


# --- unscored items -----------------------------------------------------------------------------


@contextmanager
def pending_batch(size: int, wait: bool = False) -> Iterator[tuple[Session, list[tuple[int, str, str]]]]:
    """The oldest ``size`` unscored items, (id, title, summary), locked for this transaction: yields the open
    session, which writes their scores (``items.write_item_scores``) and commits when the block ends. On
    PostgreSQL the rows are picked ``FOR UPDATE SKIP LOCKED``, so two workers get disjoint batches, and a
    worker killed mid-batch drops its connection: its locks go and the items are pending again at once.
    With ``wait`` a batch another worker holds is waited for instead of skipped (once it is written its items
    are no longer unscored; if that worker died they are returned here). SQLite ignores the lock clause; it
    has one worker."""
    with session_scope() as session:
        rows = session.execute(
            select(Article.id, Article.title, Article.summary).where(Article.scored_at.is_(None))
            .order_by(Article.id).limit(size).with_for_update(skip_locked=not wait, of=Article)
        ).all()
        yield session, [tuple(row) for row in rows]
