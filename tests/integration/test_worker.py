"""The worker process: ``python -m jobs --once``, exit status, the scheduler, and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.alerts import list_alerts, save_alert_rule
from core.settings import REPO_ROOT
from core.storage.tables import utcnow
from jobs.scheduler import build_scheduler
from tests.support.smtp_server import free_port, smtp_server
from tests.unit.test_alert_detect import add_article, add_feed


def worker_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SMTP_", "BEACON_"))}
    env.update(DATABASE_URL=database_url, BEACON_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", **extra)
    return env


def wait_for(path: Path, text: str, process: subprocess.Popen, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = path.read_text(errors="replace") if path.exists() else ""
        if text in log:
            return log
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not logged; log so far:\n{path.read_text(errors='replace')}")


def _alert_ready() -> None:
    """Recent scored items and a rule that fires on them (the worker's detect and notify steps do the rest)."""
    feed, now = add_feed(), utcnow()
    events = [("negative", "Acme recalls two million cars"), ("negative", "Acme finance chief resigns"),
              ("neutral", "Acme opens a plant in Ohio")]  # three events: three stories, not one
    for sentiment, title in events:
        add_article(feed, sentiment, title=title, now=now)
    save_alert_rule(name="All", scope_type="all", min_items=3, threshold=0.5, recipients=["risk@example.com"])


def test_once_runs_a_cycle_sends_the_alert_and_exits_zero(db, beacon_env):
    _alert_ready()
    with smtp_server() as server:
        env = worker_env(db, beacon_env, SMTP_HOST="127.0.0.1", SMTP_PORT=str(server.port))
        done = subprocess.run(
            [sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert len(server.messages) == 1
    for step in ("crawl", "score", "recover", "detect", "notify"):
        assert f"step {step} " in done.stderr
    assert "cycle done" in done.stderr
    assert list_alerts()[0]["email_status"] == "sent"


def test_once_exits_non_zero_when_the_database_is_unreachable(beacon_env):
    url = f"postgresql+psycopg://beacon:pw@127.0.0.1:{free_port()}/beacon"
    done = subprocess.run(
        [sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=worker_env(url, beacon_env),
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 2
    assert "database is unreachable" in done.stderr and "step crawl" not in done.stderr


@pytest.mark.parametrize(
    ("setting", "said"),
    [({"SMTP_PORT": "abc"}, "environment variable SMTP_PORT must be a whole number, got 'abc'"),
     ({"DATABASE_URL": "mysql://beacon:pw-secret@db/beacon"}, "DATABASE_URL must be a SQLite (sqlite:///path/to/beacon.db) or "
      "PostgreSQL (postgresql+psycopg://user:password@host/db) address, not 'mysql://…'")],
)  # fmt: skip
def test_a_setting_that_cannot_be_used_is_named_in_one_line_and_nothing_runs(beacon_env, setting, said):
    env = worker_env(f"sqlite:///{beacon_env / 'beacon.db'}", beacon_env) | setting
    done = subprocess.run([sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 5
    assert f"not starting: {said}" in done.stderr
    assert "Traceback" not in done.stderr and "pw-secret" not in done.stderr
    assert not (beacon_env / "beacon.db").exists()  # nothing was created or migrated


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_worker_runs_at_once_and_stops_cleanly_on_sigterm(db, beacon_env, tmp_path):
    log_path = tmp_path / "worker.log"
    env = worker_env(db, beacon_env, BEACON_WORKER_TICK_SECONDS="3600", SMTP_PORT=str(free_port()))
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for(log_path, "cycle done", process)  # the first cycle runs immediately, not after a tick
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    log = log_path.read_text()
    assert "received SIGTERM" in log and "worker stopped" in log
    assert log.count("cycle done") == 1


def _run_scheduler_until(scheduler, done: Callable[[], bool], seconds: float = 60) -> None:  # noqa: ANN001 - BlockingScheduler
    thread = threading.Thread(target=scheduler.start, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        thread.join(timeout=30)


def test_scheduler_runs_the_first_cycle_at_once_not_after_a_tick():
    calls = []
    scheduler = build_scheduler(tick_seconds=3600, job=lambda: calls.append(time.monotonic()))
    _run_scheduler_until(scheduler, lambda: bool(calls))
    assert len(calls) == 1  # at start: the first tick is an hour away (the wait allows a minute, for a loaded machine)


def test_scheduler_never_runs_the_cycle_twice_at_the_same_time():
    spans, running, overlaps = [], [0], []
    lock = threading.Lock()

    def slow_cycle() -> None:
        with lock:
            running[0] += 1
            overlaps.append(running[0] > 1)
        began = time.monotonic()
        time.sleep(1.5)  # longer than the tick
        with lock:
            running[0] -= 1
        spans.append((began, time.monotonic()))

    scheduler = build_scheduler(tick_seconds=1, job=slow_cycle)
    job = scheduler.get_job("cycle")
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time >= 1
    _run_scheduler_until(scheduler, lambda: len(spans) >= 2)
    assert len(spans) >= 2 and not any(overlaps)
    assert spans[1][0] >= spans[0][1]  # the second cycle began after the first had ended


def test_the_heartbeat_goes_on_while_a_long_cycle_holds_the_cycle_job(db):
    from core.health import record_step, worker_health
    from core.repositories.worker import worker_record
    from jobs.scheduler import add_heartbeat_job

    released = threading.Event()

    def long_cycle() -> None:
        record_step("score")
        released.wait(timeout=60)

    scheduler = build_scheduler(tick_seconds=3600, job=long_cycle)
    add_heartbeat_job(scheduler, tick_seconds=1)

    def beats_after_the_step_began() -> bool:
        record = worker_record("worker")
        return bool(record and record.busy_since and record.seen_at and record.seen_at > record.busy_since)

    try:
        _run_scheduler_until(scheduler, beats_after_the_step_began, seconds=60)
    finally:
        released.set()
    record = worker_record("worker")
    assert record.busy_step == "score" and record.seen_at > record.busy_since and record.last_cycle_at is None
    assert "has been scoring new items" in worker_health().text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_worker_process_beats_while_a_slow_feed_holds_its_crawl_step(db, beacon_env, tmp_path):
    from core.feeds import add_feed as register_feed
    from core.health import worker_health
    from core.repositories.worker import worker_record
    from tests.support.feed_server import FeedRoute, FeedServer, rss_feed

    slow = FeedRoute(rss_feed([{"title": "Acme opens a plant", "link": "https://news.example.com/1"}]), delay_s=12)
    with FeedServer({"/slow.rss": slow}) as feeds:
        register_feed("Slow wire", feeds.url("/slow.rss"))
        env = worker_env(db, beacon_env, BEACON_WORKER_TICK_SECONDS="1", BEACON_FEED_TIMEOUT_S="30",
                         BEACON_FEED_ALLOWED_HOSTS="127.0.0.1", SMTP_PORT=str(free_port()))  # fmt: skip
        log_path = tmp_path / "worker.log"
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline, record = time.monotonic() + 120, None
            while time.monotonic() < deadline:
                record = worker_record("worker")
                if record and record.busy_step == "crawl" and record.seen_at > record.busy_since:
                    break  # a heartbeat written while the crawl step waits for the feed
                time.sleep(0.2)
            health = worker_health()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=90)
    assert record and record.busy_step == "crawl" and record.seen_at > record.busy_since, (record, log_path.read_text()[-2000:])
    assert record.last_cycle_at is None and "has been fetching the feeds" in health.text
