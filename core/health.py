"""Is the worker healthy? The worker records every cycle it finishes (when, which steps failed); pages
show a notice when the last cycle had failures, or when no cycle was recorded for a while: the worker
is stopped, or it cannot write to the database (a read-only or damaged file), since the record itself
is a write."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from core.repositories import worker
from core.settings import get_settings
from core.storage.tables import utcnow

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


def record_cycle(failed_steps: list[str], now: datetime | None = None) -> None:
    """Store that a cycle finished now with these failed steps. Raises the database's error when it cannot."""
    worker.save_cycle(WORKER, now or utcnow(), failed_steps, get_settings().worker_tick_seconds)


def worker_health(now: datetime | None = None) -> WorkerHealth:
    """What a page should say about the worker."""
    now = now or utcnow()
    try:
        status = worker.last_cycle(WORKER)
    except SQLAlchemyError as exc:
        log.warning("cannot read the worker's status: %s", exc)
        return WorkerHealth("error", "Beacon cannot read its database right now, so the worker's state is unknown.")
    if status is None:
        return WorkerHealth("info", "The worker has not finished a cycle yet (start it with `python -m jobs`).")
    last, failed, tick = status
    when = f"{last:%Y-%m-%d %H:%M} UTC"
    if now - last > max(STALE_FLOOR, timedelta(seconds=MISSED_TICKS * tick)):
        minutes = int((now - last).total_seconds() // 60)
        return WorkerHealth(
            "error",
            f"The worker has recorded no cycle since {when} ({minutes} min ago; it runs every {tick} s): it is stopped, "
            "or it cannot write to the database (read-only or damaged). Feed statuses shown here may be out of date; see the worker's log.",
        )
    if failed:
        return WorkerHealth("warning", f"The worker's last cycle ({when}) had failing steps: {', '.join(failed)}. See the worker's log.")
    return WorkerHealth("success", f"The worker's last cycle finished at {when} without failures.")
