"""Is the worker healthy? The worker records every cycle it finishes (when, which steps failed), each step it
starts, and a heartbeat every tick; pages show a notice when the last cycle had failures, what a long cycle is
busy with, or, when neither cycle nor heartbeat was recorded for a while, that the worker is stopped or cannot
write to the database (a read-only or damaged file), since the records themselves are writes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from core.repositories import worker
from core.settings import get_settings
from core.storage.tables import utcnow
from core.wording import time_taken

log = logging.getLogger(__name__)
WORKER = "worker"
MISSED_TICKS = 3  # no cycle recorded for this many ticks (and at least STALE_FLOOR) means trouble
STALE_FLOOR = timedelta(minutes=3)


@dataclass(frozen=True)
class WorkerHealth:
    level: str  # success | info | warning | error (the st.* function to show it with)
    text: str  # written by Beacon only: step names and times, never error text from elsewhere

    @property
    def ok(self) -> bool:
        return self.level in ("success", "info")


STEP_WORDS = {  # what each cycle step is doing, in a user's words
    "crawl": "fetching the feeds",
    "stories": "grouping new items into stories",
    "score": "scoring new items",
    "recover": "checking alert emails left unsent",
    "detect": "checking the alert rules",
    "notify": "sending alert emails",
    "digests": "sending digests",
    "retention": "deleting items older than the days kept",
    "question_log": "deleting asked questions older than the days kept",
    "audit_log": "deleting audit events older than the days kept",
    "uploads": "deleting uploads no run took",
}
LONG_STEP = timedelta(minutes=30)  # a step busy for longer than this is worth a warning


def record_cycle(failed_steps: list[str], now: datetime | None = None) -> None:
    """Store that a cycle finished now with these failed steps. Raises the database's error when it cannot."""
    worker.save_cycle(WORKER, now or utcnow(), failed_steps, get_settings().worker_tick_seconds)


def record_step(step: str, now: datetime | None = None) -> None:
    """Store that the worker has started this cycle step. Raises the database's error when it cannot."""
    worker.save_step(WORKER, step, now or utcnow(), get_settings().worker_tick_seconds)


def record_heartbeat(now: datetime | None = None) -> None:
    """Store that the worker is running, written every tick beside the cycle (so a long cycle is not taken for a
    stopped worker). Raises the database's error when it cannot."""
    worker.save_heartbeat(WORKER, now or utcnow(), get_settings().worker_tick_seconds)


def worker_health(now: datetime | None = None) -> WorkerHealth:
    """What a page should say about the worker."""
    now = now or utcnow()
    try:
        status = worker.worker_record(WORKER)
    except SQLAlchemyError as exc:
        log.warning("cannot read the worker's status: %s", exc)
        return WorkerHealth("error", "Beacon cannot read its database right now, so the worker's state is unknown.")
    if status is None:
        return WorkerHealth("info", "The worker has not finished a cycle yet (start it with `python -m jobs`).")
    quiet_for = max(STALE_FLOOR, timedelta(seconds=MISSED_TICKS * status.tick_seconds))
    last = status.last_cycle_at
    if last is not None and now - last <= quiet_for:
        if status.failed_steps:
            return WorkerHealth("warning", f"The worker's last cycle ({_when(last)}) had failing steps: "
                                f"{', '.join(status.failed_steps)}. See the worker's log.")  # fmt: skip
        return WorkerHealth("success", f"The worker's last cycle finished at {_when(last)} without failures.")
    alive = status.seen_at is not None and now - status.seen_at <= quiet_for
    busy = status.busy_step is not None and status.busy_since is not None and (last is None or status.busy_since >= last)
    if alive and busy:
        return _busy(status.busy_step, status.busy_since, now)
    if last is None:
        return WorkerHealth("info", "The worker has not finished a cycle yet (start it with `python -m jobs`).")
    minutes = int((now - last).total_seconds() // 60)
    return WorkerHealth(
        "error",
        f"The worker has recorded no cycle since {_when(last)} ({minutes} min ago; it runs every {status.tick_seconds} s): "
        "it is stopped, or it cannot write to the database (read-only or damaged). Feed statuses shown here may be out "
        "of date; see the worker's log.",
    )


def _busy(step: str, since: datetime, now: datetime) -> WorkerHealth:
    """A running worker in a long cycle step: what it is doing and for how long (a warning after LONG_STEP)."""
    doing = STEP_WORDS.get(step, step)
    text = f"The worker has been {doing} since {_when(since)} ({time_taken((now - since).total_seconds())}); "
    if now - since > LONG_STEP:
        return WorkerHealth("warning", text + "if this does not end, see the worker's log.")
    return WorkerHealth("info", text + "feed statuses and alerts are brought up to date when this cycle ends.")


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC"
