"""Work several workers may all try is claimed (issue 17.2), on SQLite and PostgreSQL with a real feed server:
crawls started together fetch each due feed once, a claim is cleared when the feed's result is stored (success
or error), an expired claim (or a dead process's) is taken over, a feed fetched since it was read is not fetched
again; scoring batches are claimed so two scorers (threads, or a process killed while holding its batch)
predict disjoint items and a killed scorer's items are pending again at once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

import core.feeds.crawl as crawl_module
from core.feeds import add_feed, crawl_due_feeds
from core.leases import worker_id
from core.repositories import claims
from core.settings import REPO_ROOT
from core.storage import session_scope
from core.storage.tables import Article, Feed, utcnow
from tests.integration.test_worker import worker_env
from tests.support.feed_server import FeedRoute, FeedServer, rss_feed
from tests.support.threads import thread_as_current_user

FEEDS = 12


def _body(feed: int) -> bytes:
    return rss_feed([{"title": f"Feed {feed} headline {n}", "link": f"https://news.example.com/{feed}/{n}"} for n in range(2)])


def _stored() -> tuple[int, int]:
    """(stored items, distinct (feed, guid))"""
    with session_scope() as session:
        stored = session.scalar(select(func.count()).select_from(Article))
        distinct = session.scalar(select(func.count()).select_from(select(Article.feed_id, Article.guid).distinct().subquery()))
    return stored, distinct


def _claim(feed_id: int) -> tuple:
    with session_scope() as session:
        return tuple(session.execute(select(Feed.crawl_claimed_until, Feed.crawl_claimed_by).where(Feed.id == feed_id)).one())


def _set_claim(feed_id: int, holder: str, until) -> None:
    with session_scope() as session:
        session.execute(update(Feed).where(Feed.id == feed_id).values(crawl_claimed_until=until, crawl_claimed_by=holder))


def _crawls_together(count: int, monkeypatch) -> list[list]:
    """``count`` crawls in threads (each with its own connections, as workers would) that all read the due
    feeds before any of them claims one."""
    everyone_read = threading.Barrier(count, timeout=20)
    reads = crawl_module.due_feeds

    def read_then_wait(*args, **kwargs):
        due = reads(*args, **kwargs)
        everyone_read.wait()
        return due

    monkeypatch.setattr(crawl_module, "due_feeds", read_then_wait)
    results: list[list] = []
    threads = [thread_as_current_user(lambda: results.append(crawl_due_feeds())) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_crawls_started_together_fetch_each_due_feed_once(db, monkeypatch):
    with FeedServer({f"/feed{n}.rss": FeedRoute(_body(n), delay_s=0.05) for n in range(FEEDS)}) as server:
        ids = [add_feed(f"Feed {n}", server.url(f"/feed{n}.rss")) for n in range(FEEDS)]
        results = _crawls_together(3, monkeypatch)
        hits = [server.hits(f"/feed{n}.rss") for n in range(FEEDS)]
    fetched = sorted(outcome.feed_id for outcomes in results for outcome in outcomes)
    assert len(results) == 3 and fetched == sorted(ids)  # each feed by exactly one of the crawls
    assert hits == [1] * FEEDS
    assert _stored() == (2 * FEEDS, 2 * FEEDS)
    assert all(_claim(feed_id) == (None, None) for feed_id in ids)


def test_a_claim_is_held_while_fetching_and_cleared_when_the_result_is_stored(db):
    body = _body(0)
    slow = FeedRoute(body, chunk_size=len(body) // 10 + 1, chunk_delay_s=0.1)  # about 1 s
    with FeedServer({"/slow.rss": slow, "/broken.rss": FeedRoute(b"gone", status=500)}) as server:
        slow_id = add_feed("Slow", server.url("/slow.rss"))
        broken_id = add_feed("Broken", server.url("/broken.rss"))
        seen: list[tuple] = []
        crawl = thread_as_current_user(lambda: seen.append(crawl_due_feeds()))
        crawl.start()
        while server.hits("/slow.rss") == 0 and crawl.is_alive():
            threading.Event().wait(0.02)
        until, holder = _claim(slow_id)
        crawl.join(timeout=60)
    assert holder == worker_id() and until > utcnow()  # claimed while it is being fetched, for a bounded time
    assert until <= utcnow() + timedelta(seconds=crawl_module.claim_seconds())
    outcomes = {outcome.feed_id: outcome.status for outcome in seen[0]}
    assert outcomes == {slow_id: "ok", broken_id: "error"}
    assert _claim(slow_id) == (None, None) and _claim(broken_id) == (None, None)  # the result ends the claim


def test_a_live_claim_is_skipped_and_an_expired_one_taken_over(db):
    with FeedServer({"/news.rss": _body(1)}) as server:
        feed_id = add_feed("News", server.url("/news.rss"))
        _set_claim(feed_id, "other-host:1", utcnow() + timedelta(minutes=5))  # a worker elsewhere is fetching it
        assert crawl_due_feeds() == [] and server.hits("/news.rss") == 0
        _set_claim(feed_id, "other-host:1", utcnow() - timedelta(seconds=1))  # that worker died: its claim expired
        outcomes = crawl_due_feeds()
        assert [(outcome.feed_id, outcome.status) for outcome in outcomes] == [(feed_id, "ok")]
        assert server.hits("/news.rss") == 1  # due again at once, not after the feed's interval
    assert _claim(feed_id) == (None, None) and _stored() == (2, 2)


def test_a_dead_process_on_this_host_loses_its_claim_at_once(db):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    with FeedServer({"/news.rss": _body(1)}) as server:
        feed_id = add_feed("News", server.url("/news.rss"))
        _set_claim(feed_id, f"{socket.gethostname()}:{int(gone.stdout)}", utcnow() + timedelta(minutes=5))
        assert [outcome.feed_id for outcome in crawl_due_feeds()] == [feed_id]
        _set_claim(feed_id, f"{socket.gethostname()}:{os.getpid()}", utcnow() + timedelta(minutes=5))  # alive: kept
        assert crawl_due_feeds(force=True) == []
        assert server.hits("/news.rss") == 1


def test_a_feed_fetched_since_it_was_read_is_not_claimed(db):
    with FeedServer({"/news.rss": _body(1)}) as server:
        feed_id = add_feed("News", server.url("/news.rss"))
        (due,) = crawl_module.due_feeds(utcnow())
        assert [outcome.feed_id for outcome in crawl_due_feeds()] == [feed_id]  # another worker fetched it meanwhile
        now = utcnow()
        assert claims.claim_feed(feed_id, due.last_fetched_at, "late-worker:2", now, now + timedelta(minutes=1)) is None
        assert server.hits("/news.rss") == 1 and _claim(feed_id) == (None, None)


# --- scoring batches --------------------------------------------------------------------------


@pytest.fixture
def postgres(db: str) -> str:
    if not db.startswith("postgresql"):
        pytest.skip("row locks: SQLite has one worker and ignores FOR UPDATE")
    return db


def _add_unscored(count: int) -> list[int]:
    with session_scope() as session:
        feed = Feed(name="Wire", url="http://127.0.0.1:9/wire.rss", topics=[])
        session.add(feed)
        session.flush()
        rows = [Article(feed_id=feed.id, guid=f"g{n}", title=f"Item {n}", summary="", published_at=utcnow()) for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_two_scorers_holding_batches_at_once_get_disjoint_items(postgres):
    ids = _add_unscored(20)
    both_hold = threading.Barrier(3, timeout=20)
    batches: list[list[int]] = []

    def claim() -> None:
        with claims.pending_batch(6) as (_session, rows):
            batches.append([row[0] for row in rows])
            both_hold.wait()  # neither has written or released its batch yet
            both_hold.wait()

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    both_hold.wait()
    with claims.pending_batch(20) as (_session, rows):  # a third scorer gets what the two do not hold
        rest = [row[0] for row in rows]
    both_hold.wait()
    for thread in threads:
        thread.join(timeout=30)
    assert [len(batch) for batch in batches] == [6, 6]
    assert sorted(batches[0] + batches[1] + rest) == ids  # disjoint, and nothing left out


def test_a_killed_scorers_batch_is_pending_again_at_once(postgres, beacon_env):
    ids = _add_unscored(10)
    holder = (
        "from core.repositories.claims import pending_batch\n"
        "import sys, time\n"
        "with pending_batch(4) as (session, rows):\n"
        "    print(' '.join(str(row[0]) for row in rows), flush=True)\n"
        "    time.sleep(120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", holder], cwd=REPO_ROOT, env=worker_env(postgres, beacon_env),
                               stdout=subprocess.PIPE, text=True)
    try:
        held = [int(word) for word in process.stdout.readline().split()]
        assert held == ids[:4]
        with claims.pending_batch(10) as (_session, rows):
            assert [row[0] for row in rows] == ids[4:]  # skipped while the scorer holds them
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    with claims.pending_batch(10, wait=True) as (_session, rows):  # the server notices the dead connection
        assert [row[0] for row in rows] == ids
