"""Six ``kill -9`` of the worker, three mid-crawl and three mid-scoring: every item is stored once and
scored, one alert is raised and one email sent (the probe used 3,000 items; 300 keep this test short)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.alerts import list_alerts, save_alert_rule
from core.feeds import add_feed
from core.settings import REPO_ROOT
from core.storage import session_scope
from core.storage.tables import Article, utcnow
from tests.integration.test_worker import worker_env
from tests.support.feed_server import FeedRoute, FeedServer, rss_feed
from tests.support.smtp_server import smtp_server

ITEMS = 300


def _counts() -> tuple[int, int, int]:
    """(stored items, distinct guids, scored items)"""
    with session_scope() as session:
        stored = session.scalar(select(func.count()).select_from(Article))
        guids = session.scalar(select(func.count(func.distinct(Article.guid))))
        scored = session.scalar(select(func.count()).select_from(Article).where(Article.scored_at.is_not(None)))
    return stored, guids, scored


def _until(condition: Callable[[], bool], process: subprocess.Popen, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert process.poll() is None, f"the worker exited while waiting for {what}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_six_hard_kills_mid_crawl_and_mid_scoring_lose_and_repeat_nothing(tiny_models, db, beacon_env, tmp_path: Path):
    now = utcnow().strftime("%a, %d %b %Y %H:%M:%S +0000")
    items = [{"title": f"Acme shares plunged after a profit warning, part {n}", "link": f"https://news.example.com/{n}", "pubDate": now}
             for n in range(ITEMS)]  # fmt: skip
    body = rss_feed(items)
    # dripped: one fetch takes about 2 s, so a kill lands in the middle of the crawl
    route = FeedRoute(body, chunk_size=len(body) // 40 + 1, chunk_delay_s=0.05)
    with FeedServer({"/acme.rss": route}) as feeds, smtp_server() as mail:
        add_feed("Acme", feeds.url("/acme.rss"))
        # the items are parts of one story: the rule counts items, so they make the spike
        save_alert_rule(name="All", scope_type="all", min_items=3, threshold=0.5, recipients=["risk@example.com"], count_items=True)
        env = worker_env(
            db, beacon_env, BEACON_WORKER_TICK_SECONDS="1", BEACON_SCORING_BATCH_SIZE="8", BEACON_FEED_ALLOWED_HOSTS="127.0.0.1",
            SMTP_HOST=mail.host, SMTP_PORT=str(mail.port),
        )  # fmt: skip
        log = (tmp_path / "worker.log").open("w")

        def start() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)

        def kill(process: subprocess.Popen) -> None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)

        for _ in range(3):  # mid-crawl: while the feed is being downloaded
            hits = feeds.hits("/acme.rss")
            process = start()
            _until(lambda hits=hits: feeds.hits("/acme.rss") > hits, process, 120, "the crawl to start")
            time.sleep(0.5)
            kill(process)
            assert _counts()[0] == 0
        scored_before = 0
        for _ in range(3):  # mid-scoring: some batches committed, more to come
            process = start()
            floor = scored_before
            _until(lambda floor=floor: floor < _counts()[2] < ITEMS, process, 180, "scoring to make progress")
            kill(process)
            scored_before = _counts()[2]
            assert scored_before < ITEMS, "scoring finished before the kill; use more items"
        process = start()
        try:
            _until(lambda: _counts()[2] == ITEMS and len(mail.messages) >= 1, process, 300, "all items scored and the email sent")
            time.sleep(3)  # a few more cycles: nothing may be repeated
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
            log.close()
    assert _counts() == (ITEMS, ITEMS, ITEMS)
    assert feeds.hits("/acme.rss") >= 4
    alerts = list_alerts()
    assert len(alerts) == 1 and alerts[0]["email_status"] == "sent"
    assert len(mail.messages) == 1
