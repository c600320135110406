"""The worker and a database it cannot trust: a damaged SQLite file stops it with what to do (at start-up
and after a disk-level error mid-cycle), and a read-only file is reported (summary, log, the pages'
health notice) and recovered from without a restart once it is writable again."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.feeds import add_feed
from core.health import record_cycle, record_heartbeat, record_step, worker_health
from core.settings import REPO_ROOT
from core.storage import reset_engines, session_scope
from core.storage.integrity import DatabaseDamaged, integrity_problems
from core.storage.tables import Article, Feed, WorkerStatus, utcnow
from jobs.cycle import run_cycle
from tests.integration.test_worker import wait_for, worker_env
from tests.support.feed_server import FeedServer, rss_feed


def _items(*numbers: int) -> bytes:
    return rss_feed([{"title": f"Headline {n}", "link": f"https://news.example.com/{n}"} for n in numbers])


def _articles() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Article))


def _damage_an_index(database: Path) -> None:
    """Overwrite the page of the articles' (feed, guid) index with random bytes, as a disk fault would."""
    reset_engines()  # no pooled connection keeps pages of the file
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        (root,) = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = 'sqlite_autoindex_articles_1'").fetchone()
    with database.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(random.Random(7).randbytes(page_size))


@pytest.fixture
def sqlite_db(db: str) -> str:
    """The SQLite file's own faults (a damaged page, a read-only file); PostgreSQL relies on its server."""
    if not db.startswith("sqlite"):
        pytest.skip("a fault in the SQLite file; PostgreSQL relies on the server's own guarantees")
    return db


@pytest.fixture
def stored(sqlite_db, beacon_env):
    """A feed (served on 127.0.0.1) with two stored items."""
    with FeedServer({"/news.rss": _items(1, 2)}) as server:
        feed_id = add_feed("News", server.url("/news.rss"))
        run_cycle(force_crawl=True)
        assert _articles() == 2
        yield server, feed_id


def test_a_damaged_database_stops_the_worker_at_start_and_says_what_to_do(stored, sqlite_db, beacon_env):
    _damage_an_index(beacon_env / "beacon.db")
    assert integrity_problems()
    done = subprocess.run(
        [sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=worker_env(sqlite_db, beacon_env),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 3
    assert "is damaged (PRAGMA quick_check" in done.stderr and "restore the newest backup" in done.stderr
    assert "REINDEX" in done.stderr and "step crawl" not in done.stderr


def test_a_disk_error_mid_cycle_checks_the_database_and_stops(stored, beacon_env):
    server, _feed_id = stored
    server.routes["/news.rss"] = _items(1, 2, 3)  # storing needs the damaged (feed, guid) index
    _damage_an_index(beacon_env / "beacon.db")
    with pytest.raises(DatabaseDamaged, match=r"is damaged \(PRAGMA quick_check: .*Page \d+") as caught:
        run_cycle(force_crawl=True)
    assert "REINDEX" in str(caught.value) and "backup" in str(caught.value)


def test_an_intact_database_passes_the_check(stored):
    assert integrity_problems() == []


def test_the_health_notice_says_when_cycles_fail_or_stop_being_recorded(db):
    assert worker_health().ok  # not started yet: an info, not an alarm
    now = utcnow()
    record_cycle([], now)
    assert worker_health(now + timedelta(seconds=30)).level == "success"
    record_cycle(["crawl"], now)
    failing = worker_health(now + timedelta(seconds=30))
    assert failing.level == "warning" and "crawl" in failing.text
    stale = worker_health(now + timedelta(minutes=10))
    assert stale.level == "error" and "cannot write to the database" in stale.text and "10 min ago" in stale.text


def test_a_long_cycle_step_reads_as_busy_while_the_heartbeat_goes_on_and_as_stopped_when_it_ends(db):
    now = utcnow()
    record_cycle([], now)
    record_step("score", now + timedelta(minutes=1))  # the next cycle's scoring step, a large backlog
    record_heartbeat(now + timedelta(minutes=9))
    busy = worker_health(now + timedelta(minutes=10))
    assert busy.ok and busy.level == "info", busy
    assert "has been scoring new items since" in busy.text and "(9 min)" in busy.text
    stuck = now + timedelta(minutes=45)
    record_heartbeat(stuck)
    long = worker_health(stuck)
    assert long.level == "warning" and "44 min" in long.text and "worker's log" in long.text
    stopped = worker_health(stuck + timedelta(minutes=5))  # no heartbeat for five minutes: the process is gone
    assert stopped.level == "error" and "recorded no cycle since" in stopped.text
    record_cycle([], stuck + timedelta(minutes=6))  # the cycle ended: the step is no longer in progress
    record_heartbeat(stuck + timedelta(minutes=20))
    assert worker_health(stuck + timedelta(minutes=20)).level == "error"  # alive, idle, and no cycle for 14 min


def test_a_worker_busy_in_its_first_cycle_is_not_taken_for_one_never_started(db):
    now = utcnow()
    record_step("crawl", now)
    record_heartbeat(now + timedelta(minutes=4))
    first = worker_health(now + timedelta(minutes=4))
    assert first.level == "info" and "has been fetching the feeds since" in first.text
    assert "not finished a cycle yet" in worker_health(now + timedelta(minutes=10)).text  # heartbeat stale, no cycle


def test_each_cycle_step_is_recorded_as_it_starts_and_cleared_when_the_cycle_is_recorded(db, monkeypatch):
    import jobs.cycle as cycle
    from core.repositories.worker import worker_record

    seen = {}

    def scoring_that_looks() -> int:  # the real step's place in the cycle, reading what the pages read
        seen["during"] = worker_record("worker")
        return 0

    monkeypatch.setattr(cycle, "score_pending_articles", scoring_that_looks)
    summary = run_cycle()
    assert summary["recorded"] and not summary["failed_steps"], summary
    during, after = seen["during"], worker_record("worker")
    assert during.busy_step == "score" and during.busy_since is not None and during.seen_at == during.busy_since
    assert after.busy_step is None and after.last_cycle_at >= during.busy_since and after.seen_at == after.last_cycle_at


@contextmanager
def read_only(path: Path) -> Iterator[Callable[[], None]]:
    """Make ``path`` read-only for this process and its children; yields the function that makes it
    writable again. Root ignores permission bits, so as root the file is made immutable (``chattr +i``,
    which root's writes obey too: SQLite then opens it read-only, and every write fails with "attempt to
    write a readonly database" as it did for the probe); anyone else gets chmod 0444."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        yield lambda: path.chmod(0o644)
        path.chmod(0o644)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not supported here (root ignores chmod, so the file cannot be made read-only)")
    try:
        yield lambda: subprocess.run(["chattr", "-i", str(path)], check=True)
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def _last_cycle() -> tuple:
    with session_scope() as session:
        row = session.get(WorkerStatus, "worker")
        return row.last_cycle_at, list(row.failed_steps)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_database_is_reported_and_the_worker_recovers_when_it_is_writable_again(sqlite_db, beacon_env, tmp_path):
    """The database file is made read-only (see ``read_only``) before the worker starts; the cycles say
    they failed and cannot record themselves; once the file is writable again the same worker process
    stores the feed's items on a later tick, without a restart."""
    database = beacon_env / "beacon.db"
    record_cycle([], utcnow() - timedelta(minutes=1))  # an earlier healthy cycle
    before = _last_cycle()
    with FeedServer({"/news.rss": _items(1, 2)}) as server:
        add_feed("News", server.url("/news.rss"))
        reset_engines()
        log_path = tmp_path / "worker.log"
        env = worker_env(sqlite_db, beacon_env, BEACON_WORKER_TICK_SECONDS="1", BEACON_FEED_ALLOWED_HOSTS="127.0.0.1")
        with read_only(database) as make_writable, log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
            _read_only_then_writable(process, log_path, before, make_writable)


def _read_only_then_writable(process: subprocess.Popen, log_path: Path, before: tuple, make_writable: Callable[[], None]) -> None:
    """Cycles fail and say so while the file is read-only; the same process recovers once it is writable."""
    try:
        failing = wait_for(log_path, "the database could not be written", process, seconds=120)
        assert "FAILED steps: crawl" in failing and "readonly database" in failing
        assert "could not store their result in the database" in failing
        assert _last_cycle() == before and _articles() == 0
        with session_scope() as session:
            assert session.scalar(select(Feed.last_status)) is None  # the crawl could not record anything
        stale = worker_health(before[0] + timedelta(minutes=5))
        assert stale.level == "error" and "cannot write to the database" in stale.text

        make_writable()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _articles() < 2:
            time.sleep(0.3)
        assert process.poll() is None, "the worker must recover without a restart"
        assert _articles() == 2
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _last_cycle()[0] == before[0]:
            time.sleep(0.3)
        last_at, failed = _last_cycle()
        assert last_at > before[0] and "crawl" not in failed
        assert worker_health().level in ("success", "warning")
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_worker_status_columns_match_their_migration_and_downgrade(db):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import columns, downgrade_before, schema_differences

    assert schema_differences("worker_status") == []
    now = utcnow()
    record_cycle([], now)
    record_step("crawl", now)  # the first cycle of a new worker has no finished cycle yet
    with session_scope() as session:
        session.add(WorkerStatus(name="a second worker", failed_steps=[], tick_seconds=60, seen_at=now))
    downgrade_before(db, "_worker_heartbeat.py")
    assert columns("worker_status").isdisjoint({"seen_at", "busy_step", "busy_since"})
    with session_scope() as session:  # the row that could not stand without last_cycle_at is gone, the other kept
        from sqlalchemy import text

        assert session.execute(text("SELECT name FROM worker_status")).scalars().all() == ["worker"]
    upgrade_database()
    assert worker_health(now).level == "success"
