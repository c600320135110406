"""Crawl feeds: fetch, parse and store new items. The network part runs outside any database
transaction; the items and the feed's new status are stored together in one transaction, so a
failure never leaves a partial insert. Problems are recorded on the feed, never raised."""

from __future__ import annotations

import contextvars
import logging
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError

from core.auth import requires
from core.feeds.fetch import FetchResult, fetch_feed
from core.feeds.parse import FeedItem, ParsedFeed, read_feed
from core.feeds.safety import FeedError
from core.leases import holder_is_gone, worker_id
from core.repositories import claims, items
from core.sentiment.retention import first_day_kept
from core.settings import get_settings
from core.storage.integrity import short_reason
from core.storage.tables import naive_utc, utcnow

log = logging.getLogger(__name__)

CLOCK_SKEW = timedelta(hours=1)  # dates up to this far ahead are trusted; later ones become the fetch time
ETAG_LIMIT, LAST_MODIFIED_LIMIT, ERROR_LIMIT = 500, 100, 2000
STORE_ALLOWANCE_S = 60.0  # storing a feed's items, in a feed's crawl claim (see claim_seconds)


@dataclass(frozen=True)
class CrawlOutcome:
    feed_id: int
    feed_name: str
    status: str  # ok | not_modified | empty | error
    new_items: int
    error: str | None = None  # the reason for 'error'; for 'ok', why a broken document's items were only recovered
    database_error: str | None = None  # the database could not be read or written: the feed may still show an old status
    too_old: int = 0  # items of the document published before the first day kept (BEACON_KEEP_ITEMS_DAYS): not stored
    feed_links: tuple[tuple[str, str], ...] = ()  # for 'error' on a web page: the feeds it names (URL, title)


@dataclass(frozen=True)
class _FeedTarget:
    id: int
    name: str
    url: str
    etag: str | None
    last_modified: str | None


@requires("analyst", "fetch feeds")
def crawl_feed(feed_id: int, now: datetime | None = None) -> CrawlOutcome:
    """Fetch one feed and store its new items. Never raises: problems are stored on the feed
    (status 'error', ``last_error`` = the reason) and returned in the outcome."""
    now = naive_utc(now)
    try:
        target = _load_target(feed_id)
    except Exception as exc:  # the database itself is unreachable
        log.exception("cannot read feed %s", feed_id)
        reason = short_reason(exc)
        return CrawlOutcome(feed_id, "", "error", 0, f"the feed could not be read from the database ({reason})", reason)
    if target is None:
        return CrawlOutcome(feed_id, "", "error", 0, f"feed {feed_id} does not exist (it may have been deleted)")
    return _crawl_target(target, now)


def _crawl_target(target: _FeedTarget, now: datetime) -> CrawlOutcome:
    """Fetch, parse and store one feed; never raises."""
    try:
        fetched = fetch_feed(target.url, target.etag, target.last_modified)
        parsed = read_feed(fetched.body, fetched.final_url, fetched.content_type) if fetched.status == "ok" else ParsedFeed([])
        return _store(target, fetched, parsed, now)
    except FeedError as exc:
        return replace(_record_error(target, now, str(exc)), feed_links=exc.feed_links)
    except Exception as exc:  # a bug or an exotic document must not stop the other feeds
        log.exception("unexpected error crawling feed %s", target.name)
        if isinstance(exc, SQLAlchemyError):  # storing failed: said on the outcome even if the error could be recorded
            outcome = _record_error(target, now, f"{target.url}: the items could not be stored ({short_reason(exc)})")
            return replace(outcome, database_error=outcome.database_error or short_reason(exc))
        return _record_error(target, now, f"{target.url}: unexpected error ({type(exc).__name__}: {exc})")


def _load_target(feed_id: int) -> _FeedTarget | None:
    feed = items.get_feed(feed_id)
    return None if feed is None else _FeedTarget(feed.id, feed.name, feed.url, feed.etag, feed.last_modified)


def _store(target: _FeedTarget, fetched: FetchResult, parsed: ParsedFeed, now: datetime) -> CrawlOutcome:
    """Store new items and the feed's status in one transaction. A broken document whose items could
    be recovered is 'ok', with the reason it is broken kept as ``last_error`` for the analyst."""
    status = "not_modified" if fetched.status == "not_modified" else ("ok" if parsed.items else "empty")
    validators = (_fits(fetched.etag, ETAG_LIMIT), _fits(fetched.last_modified, LAST_MODIFIED_LIMIT))
    rows, too_old = _kept(_article_rows(target.id, parsed.items, now), now)
    new = items.store_crawl(target.id, rows, validators, status, parsed.warning, now)
    if new is None:
        raise FeedError(f"feed {target.id} was deleted while it was being fetched")
    return CrawlOutcome(target.id, target.name, status, new, parsed.warning, too_old=too_old)


def _kept(rows: dict[str, dict], now: datetime) -> tuple[dict[str, dict], int]:
    """The rows published on or after the first day kept, and how many are older (the worker would delete them
    again at its next cycle, and the next fetch would store them again)."""
    first = first_day_kept(now)
    if first is None:
        return rows, 0
    kept = {guid: row for guid, row in rows.items() if row["published_at"] >= first}
    return kept, len(rows) - len(kept)


def _fits(value: str | None, limit: int) -> str | None:
    """A validator that does not fit its column is dropped, not cut: a cut ETag would never match."""
    return value if value and len(value) <= limit else None


def _record_error(target: _FeedTarget, now: datetime, error: str) -> CrawlOutcome:
    log.warning("feed %s: %s", target.name, error)
    try:
        items.record_feed_error(target.id, now, error[:ERROR_LIMIT])
    except Exception as exc:
        log.error("cannot record the error of feed %s in the database: %s", target.name, short_reason(exc))
        return CrawlOutcome(target.id, target.name, "error", 0, error, short_reason(exc))
    return CrawlOutcome(target.id, target.name, "error", 0, error)


def _article_rows(feed_id: int, items: list[FeedItem], now: datetime) -> dict[str, dict]:
    """One row per guid (the first occurrence wins), keyed by guid."""
    rows: dict[str, dict] = {}
    for item in items:
        published = item.published_at if item.published_at and item.published_at <= now + CLOCK_SKEW else now
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
    return rows


def due_feeds(now: datetime, force: bool = False, wall_clock: datetime | None = None) -> list[claims.ScheduledFeed]:
    """Enabled feeds never fetched or whose interval has passed at ``now`` (all enabled feeds with ``force``),
    less those another worker holds a live claim on at ``wall_clock`` (the real time now: a claim's expiry is
    real time even when the crawl's ``now`` is given)."""
    wall_clock = wall_clock or utcnow()
    return [
        feed
        for feed in claims.crawl_schedule()
        if (force or feed.last_fetched_at is None or feed.last_fetched_at + timedelta(minutes=feed.interval_minutes) <= now)
        and (feed.claimed_until is None or feed.claimed_until <= wall_clock or holder_is_gone(feed.claimed_by or ""))
    ]


def claim_seconds() -> float:
    """How long a feed's crawl claim lasts: a thread claims a feed when it starts on it, so one fetch (its time
    cap), one parse (its cap) and storing (a generous minute) — the queue length and concurrency do not add to it.
    A worker killed mid-crawl leaves its feeds claimed this long at most (at once on the same host: a dead
    process's claims are taken over)."""
    settings = get_settings()
    return settings.feed_timeout_s + settings.feed_parse_timeout_s + STORE_ALLOWANCE_S


@requires("analyst", "fetch feeds")
def crawl_due_feeds(now: datetime | None = None, force: bool = False) -> list[CrawlOutcome]:
    """Crawl every enabled feed that is due (all of them with ``force``); one failure never stops the rest.
    Feeds are fetched concurrently (``BEACON_CRAWL_CONCURRENCY`` at once) with never more than
    ``BEACON_CRAWL_PER_HOST`` requests at once to one host; each feed is stored in its own transaction.
    Several workers on one database share the work: each feed is claimed (``claims.claim_feed``) when a thread
    starts on it and the claim ends when its result is stored, so each due feed is fetched once per cycle; a feed
    another worker claimed is left out. Outcomes (of the feeds this call fetched) come back by feed id."""
    now = naive_utc(now)
    settings = get_settings()
    outcomes = _crawl_concurrently(due_feeds(now, force), now, settings.crawl_concurrency, settings.crawl_per_host)
    return sorted((outcome for outcome in outcomes if outcome is not None), key=lambda outcome: outcome.feed_id)


def _crawl_claimed(feed: claims.ScheduledFeed, now: datetime) -> CrawlOutcome | None:
    """Claim the feed, then crawl it; None when another worker has it or fetched it since it was read. A claim
    that cannot be written (the database is read-only, unreachable) is this feed's error, as storing would be."""
    wall_clock = utcnow()
    try:
        gone = frozenset([feed.claimed_by]) if feed.claimed_by and holder_is_gone(feed.claimed_by) else frozenset()
        claimed = claims.claim_feed(feed.id, feed.last_fetched_at, worker_id(), wall_clock,
                                    wall_clock + timedelta(seconds=claim_seconds()), gone)
    except SQLAlchemyError as exc:
        reason = short_reason(exc)
        log.error("cannot claim feed %s for fetching: %s", feed.name, reason)
        return CrawlOutcome(feed.id, feed.name, "error", 0, f"{feed.url}: the feed could not be claimed for fetching ({reason})", reason)
    if claimed is None:
        return None
    target = _FeedTarget(claimed.id, claimed.name, claimed.url, claimed.etag, claimed.last_modified)
    return _crawl_target(target, now)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _crawl_concurrently(feeds: list[claims.ScheduledFeed], now: datetime, concurrency: int, per_host: int) -> list[CrawlOutcome | None]:
    """Claim and crawl due feeds on ``concurrency`` threads; a feed whose host already has ``per_host`` requests
    in flight waits (without holding a thread) until one of them ends."""
    waiting: deque[claims.ScheduledFeed] = deque(feeds)
    busy: Counter[str] = Counter()
    running: dict[Future, str] = {}
    outcomes: list[CrawlOutcome | None] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="crawl") as pool:
        while waiting or running:
            for _ in range(len(waiting)):
                if len(running) >= concurrency:
                    break
                feed = waiting.popleft()
                host = _host(feed.url)
                if busy[host] >= per_host:
                    waiting.append(feed)  # its host is busy: try the next feed
                    continue
                busy[host] += 1
                # threads do not inherit context variables: each crawl acts as the caller
                running[pool.submit(contextvars.copy_context().run, _crawl_claimed, feed, now)] = host
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                busy[running.pop(future)] -= 1
                outcomes.append(future.result())  # _crawl_claimed never raises
    return outcomes
