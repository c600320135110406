"""The worker's scheduler: one coalesced cycle job, never two at once."""

from __future__ import annotations

import logging
import signal
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from core.settings import get_settings
from jobs.cycle import run_cycle

log = logging.getLogger("beacon.worker")


def run_forever() -> None:
    tick = get_settings().worker_tick_seconds
    scheduler = BlockingScheduler(timezone="UTC")
    scheduler.add_job(
        run_cycle,
        "interval",
        seconds=tick,
        id="cycle",
        next_run_time=datetime.now(),
        coalesce=True,
        max_instances=1,
        misfire_grace_time=max(30, tick * 2),
        replace_existing=True,
    )

    def stop(signum, _frame) -> None:
        log.info("signal %s: stopping the worker", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("worker started; cycle every %s s", tick)
    scheduler.start()
