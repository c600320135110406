"""Job leases (``core.leases``): a job runs once per period however many workers fire it, a failed or
abandoned (expired) run is taken over, and a second worker on one SQLite database does not start."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.leases import SOLE_WORKER, SOLE_WORKER_PERIOD, run_once_per_period, sole_worker_holder
from core.repositories import leases
from core.settings import REPO_ROOT
from core.storage.tables import utcnow
from jobs.scheduler import nightly_period
from tests.integration.test_worker import worker_env


def test_four_workers_firing_at_once_run_the_job_once(db):
    ran: list[int] = []
    barrier = threading.Barrier(4, timeout=20)

    def worker(n: int) -> None:
        barrier.wait()
        run_once_per_period("nightly", "2026-12-01", lambda: ran.append(n) or time.sleep(0.3), timedelta(hours=1))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ran) == 1
    assert run_once_per_period("nightly", "2026-12-01", lambda: ran.append(9), timedelta(hours=1)) == (False, None)
    assert run_once_per_period("nightly", "2026-12-02", lambda: "next night", timedelta(hours=1)) == (True, "next night")
    assert len(ran) == 1 and leases.done_periods("nightly") == ["2026-12-01", "2026-12-02"]


def test_a_failed_run_gives_its_lease_back_and_the_next_attempt_runs(db):
    def broken() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        run_once_per_period("nightly", "p1", broken, timedelta(hours=1))
    assert leases.lease("nightly", "p1") is None
    assert run_once_per_period("nightly", "p1", lambda: 1, timedelta(hours=1)) == (True, 1)


def test_a_lease_left_by_a_killed_worker_is_taken_over_only_after_it_expires(db):
    now = utcnow()
    assert leases.claim("nightly", "p1", "host-a:1", now, now + timedelta(hours=1))  # host-a was killed mid-job
    assert run_once_per_period("nightly", "p1", lambda: "early", timedelta(hours=1)) == (False, None)
    later = now + timedelta(hours=2)
    assert leases.claim("nightly", "p1", "host-b:2", later, later + timedelta(hours=1))
    assert not leases.claim("nightly", "p1", "host-c:3", later, later + timedelta(hours=1))  # host-b's is still valid
    assert leases.finish("nightly", "p1", "host-b:2", later)
    assert not leases.claim("nightly", "p1", "host-c:3", later + timedelta(days=1), later + timedelta(days=2))  # done stays done


def test_the_nightly_period_is_the_night_of_the_latest_export_hour():
    assert nightly_period(datetime(2026, 12, 1, 2, 0)) == "2026-12-01"
    assert nightly_period(datetime(2026, 12, 1, 1, 59)) == "2026-11-30"
    assert nightly_period(datetime(2026, 12, 1, 23, 0)) == "2026-12-01"


def test_the_scheduled_nightly_export_runs_once_per_night_across_workers(db):
    from jobs.scheduler import recommendations_job

    night = datetime(2026, 12, 1, 2, 0, 5)
    assert recommendations_job(night) is True
    assert recommendations_job(night + timedelta(seconds=1)) is False  # a second worker's scheduler fires too
    holder, _expires, done = leases.lease("nightly-recommendations-export", "2026-12-01")
    assert done is not None
    assert leases.done_periods("nightly-recommendations-export") == ["2026-12-01"]


def _log(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_second_worker_on_one_sqlite_database_does_not_start_and_says_why(db, beacon_env, tmp_path: Path):
    if not db.startswith("sqlite"):
        pytest.skip("SQLite only: PostgreSQL runs any number of workers")
    env = worker_env(db, beacon_env, BEACON_WORKER_TICK_SECONDS="600")
    first_log = tmp_path / "first.log"
    with first_log.open("w") as out:
        first = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while "cycle done" not in _log(first_log):
            assert first.poll() is None and time.monotonic() < deadline, _log(first_log)
            time.sleep(0.2)
        assert sole_worker_holder()[0].endswith(f":{first.pid}")
        second = subprocess.run(
            [sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert second.returncode == 4
        assert f"another worker ({sole_worker_holder()[0]}) already runs on this SQLite database" in second.stderr
        assert "cycle done" not in second.stderr
        assert first.poll() is None  # the first one keeps working
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    # killed without giving the slot back: the next worker sees that process is gone and takes over
    third = subprocess.run([sys.executable, "-m", "jobs", "--once"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert third.returncode == 0, third.stderr
    assert "is no longer running; this worker takes over" in third.stderr
    assert leases.lease(SOLE_WORKER, SOLE_WORKER_PERIOD) is None  # --once gives it back when it ends


def test_the_lease_table_matches_its_migration_and_downgrades(db):
    from sqlalchemy import inspect

    from core.storage import get_engine
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import downgrade_before, schema_differences

    assert schema_differences("job_leases") == []
    downgrade_before(db, "0012_job_leases.py")
    assert "job_leases" not in inspect(get_engine()).get_table_names()
    upgrade_database()
    assert "job_leases" in inspect(get_engine()).get_table_names()
