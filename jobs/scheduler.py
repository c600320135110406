"""The worker's scheduler: one coalesced cycle job, never two at once, first run immediately."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.blocking import BlockingScheduler

from core.health import record_heartbeat
from core.leases import renew_sole_worker
from core.runs import RunKind, tend
from core.settings import get_settings
from core.storage.integrity import DatabaseDamaged
from jobs.cycle import run_cycle

log = logging.getLogger("beacon.worker")
DATABASE_DAMAGED = 3  # the worker's exit status when it stops on a damaged database


def build_scheduler(tick_seconds: int | None = None, job: Callable[[], object] = run_cycle) -> BlockingScheduler:
    """A scheduler running ``job`` every tick. A run that is late (the previous one overran) is
    merged into one (coalesce) and skipped if later than a tick; a run never overlaps another."""
    tick = max(1, tick_seconds or get_settings().worker_tick_seconds)
    scheduler = BlockingScheduler(timezone=UTC)
    scheduler.add_job(
        job,
        "interval",
        seconds=tick,
        id="cycle",
        name="crawl, score, detect, notify",
        next_run_time=datetime.now(UTC),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(tick, 30),
        replace_existing=True,
    )
    return scheduler


def heartbeat() -> None:
    """Tell the pages the worker runs, also while a long cycle holds the cycle job (logged, never raised)."""
    try:
        record_heartbeat()
    except Exception as exc:  # the pages then see the heartbeat go stale, which is the point
        log.warning("could not record the worker's heartbeat: %s", exc)


def add_heartbeat_job(scheduler: BlockingScheduler, tick_seconds: int | None = None) -> None:
    _add_tick_job(scheduler, heartbeat, "heartbeat", "worker heartbeat", tick_seconds)


class Stopper:
    """The SIGTERM/SIGINT handler: the scheduler stops, and a cycle in progress is allowed to finish first (every step
    is idempotent, so a hard kill loses nothing either; it only repeats work). The waiting happens in a thread of its
    own: a handler that waited would block the main thread wherever the signal caught it, possibly holding a lock the
    running cycle needs next (an import's, for one), and the worker then never stopped."""

    def __init__(self, scheduler: BlockingScheduler) -> None:
        self.scheduler = scheduler
        self.thread: threading.Thread | None = None

    def __call__(self, signum: int, _frame: object) -> None:
        log.info("received %s: stopping the worker after the current cycle", signal.Signals(signum).name)
        if self.thread is None and self.scheduler.running:
            self.thread = threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}, name="worker stop")
            self.thread.start()

    def join(self) -> None:
        """Wait until the cycle that was running when the signal came has finished."""
        if self.thread is not None:
            self.thread.join()


def stop_on_signals(scheduler: BlockingScheduler) -> Stopper:
    stopper = Stopper(scheduler)
    signal.signal(signal.SIGTERM, stopper)
    signal.signal(signal.SIGINT, stopper)
    return stopper


def _tend_runs(area: str, kinds: list[tuple[RunKind, Callable[[int], object]]]) -> None:
    """The worker's step for background runs, the same for every kind (``core.runs.tend``): runs whose process died
    become interrupted, then queued runs nobody started are run here, oldest first."""
    try:
        done = [(kind.name, *tend(kind, execute)) for kind, execute in kinds]
    except Exception as exc:  # logged, retried next tick; never stops the worker
        log.error("%s job failed: %s: %s", area, type(exc).__name__, exc)
        return
    for name, interrupted, started in done:
        if interrupted or started:
            log.info("%ss: %s marked interrupted, queued ones executed: %s", name, interrupted, started)


def training_job() -> None:
    """Training runs and recommendation jobs: mark those whose process died as interrupted; run queued ones nobody started."""
    from core.nlp import runs as training_runs
    from core.recommend import jobs as recommend_jobs

    _tend_runs(
        "training",
        [(training_runs.TRAINING, training_runs.execute_run), (recommend_jobs.RECOMMENDATION_JOB, recommend_jobs.execute_job)],
    )


def _add_tick_job(scheduler: BlockingScheduler, job: Callable[[], object], job_id: str, name: str, tick_seconds: int | None) -> None:
    """A job on the worker's tick that never overlaps itself and merges late runs into one."""
    tick = max(1, tick_seconds or get_settings().worker_tick_seconds)
    scheduler.add_job(
        job, "interval", seconds=tick, id=job_id, name=name, coalesce=True,
        max_instances=1, misfire_grace_time=max(tick, 30), replace_existing=True,
    )  # fmt: skip


def add_training_job(scheduler: BlockingScheduler, tick_seconds: int | None = None) -> None:
    """Training runs on its own job, so a long run never delays crawling and alerting."""
    _add_tick_job(scheduler, training_job, "training", "training runs", tick_seconds)


def scoring_job() -> None:
    """Batch scoring runs: mark those whose process died as interrupted; run queued ones nobody started."""
    from core.scoring import runs as scoring_runs

    _tend_runs("scoring", [(scoring_runs.SCORING_RUN, scoring_runs.execute_run)])


def add_scoring_job(scheduler: BlockingScheduler, tick_seconds: int | None = None) -> None:
    _add_tick_job(scheduler, scoring_job, "scoring", "batch scoring runs", tick_seconds)


NIGHTLY_EXPORT_HOUR = 2
NIGHTLY_EXPORT_LEASE = timedelta(hours=6)  # longer than any export; a worker killed mid-export frees it after this


def nightly_period(now: datetime, hour: int = NIGHTLY_EXPORT_HOUR) -> str:
    """The night an export at ``now`` belongs to: the UTC date of the latest ``hour``:00 at or before ``now``."""
    return (now - timedelta(hours=hour)).date().isoformat()


def recommendations_job(now: datetime | None = None) -> bool:
    """Nightly: refit and export top-N for every dataset version marked for it (an export is replaced atomically).
    Every worker fires this job; a lease lets exactly one of them run it per night (``core.leases``).
    Returns whether this worker ran it."""
    from core.leases import run_once_per_period
    from core.recommend.service import nightly_refit_export

    period = nightly_period(now or datetime.now(UTC))
    try:
        ran, written = run_once_per_period("nightly-recommendations-export", period, nightly_refit_export, NIGHTLY_EXPORT_LEASE)
    except Exception as exc:  # logged, retried next night; never stops the worker
        log.error("recommendations export failed: %s: %s", type(exc).__name__, exc)
        return False
    if written:
        log.info("recommendations exported: %s", ", ".join(map(str, written)))
    return ran


def add_recommendations_job(scheduler: BlockingScheduler, hour: int = NIGHTLY_EXPORT_HOUR) -> None:
    scheduler.add_job(
        recommendations_job, "cron", hour=hour, minute=0, id="recommendations", name="nightly recommendations export",
        coalesce=True, max_instances=1, misfire_grace_time=3600, replace_existing=True,
    )  # fmt: skip


class _StopOnDamage:
    """The cycle job; a damaged database stops the worker (every further write could spread the damage)."""

    def __init__(self) -> None:
        self.scheduler: BlockingScheduler | None = None
        self.damage: DatabaseDamaged | None = None

    def __call__(self) -> None:
        try:
            run_cycle()
            renew_sole_worker()
        except DatabaseDamaged as exc:
            self.damage = exc
            log.critical("stopping the worker: %s", exc)
            if self.scheduler is not None and self.scheduler.running:
                self.scheduler.shutdown(wait=False)


def run_forever() -> int:
    """Run until SIGTERM/SIGINT (0) or until the database is found damaged (``DATABASE_DAMAGED``)."""
    cycle = _StopOnDamage()
    scheduler = cycle.scheduler = build_scheduler(job=cycle)
    add_heartbeat_job(scheduler)
    add_training_job(scheduler)
    add_scoring_job(scheduler)
    add_recommendations_job(scheduler)
    stopper = stop_on_signals(scheduler)
    log.info("worker started: a cycle every %s s", get_settings().worker_tick_seconds)
    scheduler.start()
    stopper.join()  # the sole-worker slot is given back only after the last cycle
    log.info("worker stopped")
    return DATABASE_DAMAGED if cycle.damage else 0
