"""Several workers, one PostgreSQL database (issue 17.2): two and three ``python -m jobs`` processes share a
database, a real feed server and a real SMTP sink; one is killed with SIGKILL while the items are being scored.
Every feed item is stored once, every item is written by scoring once (counted by a trigger on the scoring
write, which rolls back with an aborted batch), the spike rule raises one alert and one e-mail reaches the sink.
Three processes firing the nightly export for the same night run it once."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from core.alerts import list_alerts, save_alert_rule
from core.feeds import add_feed
from core.settings import REPO_ROOT
from core.storage import get_engine, session_scope
from core.storage.tables import Alert, Article, utcnow
from tests.integration.test_worker import worker_env
from tests.support.feed_server import FeedServer, rss_feed
from tests.support.smtp_server import smtp_server

FEEDS = 3
ITEMS_PER_FEED = 40
ITEMS = FEEDS * ITEMS_PER_FEED

COUNT_SCORING_WRITES = """
CREATE TABLE scoring_writes (article_id integer NOT NULL, written_at timestamp NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION count_scoring_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO scoring_writes (article_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER count_scoring_write AFTER UPDATE OF scored_at ON articles
FOR EACH ROW WHEN (NEW.scored_at IS NOT NULL) EXECUTE FUNCTION count_scoring_write();
"""


@pytest.fixture
def postgres(db: str) -> str:
    if not db.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL (set BEACON_TEST_POSTGRES_URL; SQLite runs one worker)")
    return db


def _counts() -> tuple[int, int, int]:
    """(stored items, distinct (feed, guid), scored items)"""
    with session_scope() as session:
        stored = session.scalar(select(func.count()).select_from(Article))
        distinct = session.scalar(select(func.count()).select_from(select(Article.feed_id, Article.guid).distinct().subquery()))
        scored = session.scalar(select(func.count()).select_from(Article).where(Article.scored_at.is_not(None)))
    return stored, distinct, scored


def _until(condition: Callable[[], bool], workers: list[subprocess.Popen], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert all(w.poll() is None for w in workers), f"a worker exited while waiting for {what}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _feeds(now: str) -> dict[str, bytes]:
    return {
        f"/wire{f}.rss": rss_feed(
            [
                {
                    "title": f"Acme shares plunged after a profit warning, wire {f} part {n}",
                    "link": f"https://news.example.com/{f}/{n}",
                    "pubDate": now,
                }
                for n in range(ITEMS_PER_FEED)
            ]  # fmt: skip
        )
        for f in range(FEEDS)
    }


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.timeout(600)  # three worker processes on a small, shared CPU
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_sharing_one_database_with_one_killed_mid_cycle_do_everything_once(
    workers: int, tiny_models, postgres: str, beacon_env: Path, tmp_path: Path
):
    with get_engine().begin() as conn:
        conn.execute(text(COUNT_SCORING_WRITES))
    now = utcnow().strftime("%a, %d %b %Y %H:%M:%S +0000")
    with FeedServer(_feeds(now)) as feeds, smtp_server() as mail:
        for f in range(FEEDS):
            add_feed(f"Wire {f}", feeds.url(f"/wire{f}.rss"))
        # the wires carry copies of one story: the rule counts items, so the copies make the spike
        save_alert_rule(name="All", scope_type="all", min_items=3, threshold=0.5, recipients=["risk@example.com"], count_items=True)
        env = worker_env(
            postgres, beacon_env, BEACON_WORKER_TICK_SECONDS="1", BEACON_SCORING_BATCH_SIZE="4", BEACON_FEED_ALLOWED_HOSTS="127.0.0.1",
            SMTP_HOST=mail.host, SMTP_PORT=str(mail.port),
        )  # fmt: skip
        logs = [(tmp_path / f"worker{n}.log").open("w") for n in range(workers)]
        running = [subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log) for log in logs]
        try:
            _until(lambda: 0 < _counts()[2] < ITEMS, running, 180, "scoring to make progress")
            running[0].send_signal(signal.SIGKILL)  # mid-cycle: items stored, some scored, alerts and e-mail still to come
            running[0].wait(timeout=30)
            assert _counts()[2] < ITEMS, "scoring finished before the kill; use more items"
            survivors = running[1:]
            _until(lambda: _counts()[2] == ITEMS and len(mail.messages) >= 1, survivors, 300, "all items scored and the email sent")
            time.sleep(4)  # a few more cycles of every survivor: nothing may be repeated
            assert all(w.poll() is None for w in survivors)
        finally:
            for worker in running:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in running:
                worker.wait(timeout=60)
            for log in logs:
                log.close()
    assert _counts() == (ITEMS, ITEMS, ITEMS)
    with get_engine().connect() as conn:
        writes, written_items = conn.execute(text("SELECT count(*), count(DISTINCT article_id) FROM scoring_writes")).one()
    assert (writes, written_items) == (ITEMS, ITEMS)
    with session_scope() as session:
        per_window = session.execute(select(Alert.rule_id, Alert.window_end, func.count()).group_by(Alert.rule_id, Alert.window_end)).all()
    assert [count for *_, count in per_window] == [1]
    alerts = list_alerts()
    assert len(alerts) == 1 and alerts[0]["email_status"] == "sent"
    assert len(mail.messages) == 1
    cycles = [(tmp_path / f"worker{n}.log").read_text(errors="replace").count("cycle done") for n in range(1, workers)]
    assert all(count >= 2 for count in cycles), cycles  # every survivor kept cycling: the work was shared, not left to one


NIGHTLY = """
import sys
from datetime import datetime
from core.auth import WORKER, set_process_actor
from jobs.scheduler import recommendations_job
set_process_actor(WORKER)
print("RAN" if recommendations_job(datetime(2026, 12, 1, 2, 0, 1)) else "SKIPPED")
"""


def test_three_workers_firing_the_nightly_export_run_it_once(postgres: str, beacon_env: Path):
    env = worker_env(postgres, beacon_env)
    started = [subprocess.Popen([sys.executable, "-c", NIGHTLY], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
               for _ in range(3)]  # fmt: skip
    said = sorted(process.communicate(timeout=120)[0].strip() for process in started)
    assert said == ["RAN", "SKIPPED", "SKIPPED"]
