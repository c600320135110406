"""Leases for work that must happen once across all workers sharing one database.

- ``run_once_per_period``: a scheduled job (the nightly export) runs once per period. Every worker's
  scheduler fires it; the first to claim the (job, period) row runs it and marks it done, the others skip.
  A holder killed mid-job leaves the row unfinished; once its lease expires another worker may take it over.
  A job that fails gives its lease back, so the next attempt runs it.
- ``claim_sole_worker`` / ``renew_sole_worker``: a SQLite database supports one worker. The worker holds
  the ``sqlite-worker`` lease and renews it every cycle; a second worker that finds it held by a live
  holder says so and does not start.

Items, scores, alerts, e-mails and runs are claimed row by row elsewhere (see README "Running several workers").
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.exc import SQLAlchemyError

from core.repositories import leases
from core.settings import get_settings
from core.storage.integrity import short_reason
from core.storage.tables import naive_utc, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
SOLE_WORKER = "sqlite-worker"
SOLE_WORKER_PERIOD = "-"
SCORER = "sqlite-scorer"  # the turn at scoring stored items on SQLite
SCORER_LEASE = timedelta(minutes=2)  # renewed after every batch, which takes seconds
SOLE_WORKER_MISSED_TICKS = 3  # a holder that has not renewed for this many ticks (and at least a minute) is gone


def worker_id() -> str:
    """This process, as it appears in leases and logs: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def run_once_per_period(name: str, period: str, action: Callable[[], T], lease_for: timedelta) -> tuple[bool, T | None]:
    """Run ``action`` unless another worker has run it (or is running it) for ``period``.
    Returns (ran here, its result). ``lease_for`` must exceed the job's longest run."""
    now = utcnow()
    holder = worker_id()
    if not leases.claim(name, period, holder, now, now + lease_for):
        log.info("%s for %s: done or in progress on another worker; skipped", name, period)
        return False, None
    try:
        result = action()
    except BaseException:
        leases.release(name, period, holder)
        raise
    if not leases.finish(name, period, holder, utcnow()):
        log.warning("%s for %s ran longer than its lease (%s); another worker may have run it too", name, period, lease_for)
    return True, result


def uses_sqlite() -> bool:
    return get_settings().database_url.startswith("sqlite")


def _sole_worker_lease_for() -> timedelta:
    return max(timedelta(minutes=1), timedelta(seconds=SOLE_WORKER_MISSED_TICKS * get_settings().worker_tick_seconds))


def claim_sole_worker(now: datetime | None = None) -> str | None:
    """On SQLite: take the sole-worker slot. Returns None when this process holds it (or the database is
    not SQLite, or cannot be written now: the cycles report that, and the slot is taken once it can), else
    the other worker's id (it renewed its lease recently, so it is running)."""
    if not uses_sqlite():
        return None
    try:
        return _claim_sole_worker(naive_utc(now))
    except SQLAlchemyError as exc:
        log.warning("cannot check for another worker on this SQLite database now: %s", short_reason(exc))
        return None


def _claim_sole_worker(now: datetime) -> str | None:
    if leases.claim(SOLE_WORKER, SOLE_WORKER_PERIOD, worker_id(), now, now + _sole_worker_lease_for()):
        return None
    held = leases.lease(SOLE_WORKER, SOLE_WORKER_PERIOD)
    if held is None:
        return _claim_sole_worker(now)  # released meanwhile: try again
    if holder_is_gone(held[0]) and leases.take_over(SOLE_WORKER, SOLE_WORKER_PERIOD, held[0], worker_id(), now + _sole_worker_lease_for()):
        log.info("the previous worker (%s) is no longer running; this worker takes over", held[0])
        return None
    return held[0]


def holder_is_gone(holder: str) -> bool:
    """Whether ``holder`` (host:pid) was a process on this host that no longer runs (it was killed)."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def renew_sole_worker(now: datetime | None = None) -> None:
    """On SQLite: extend this worker's slot (called every cycle); logs an error when another worker took it."""
    if not uses_sqlite():
        return
    now = naive_utc(now)
    try:
        renewed = leases.renew(SOLE_WORKER, SOLE_WORKER_PERIOD, worker_id(), now + _sole_worker_lease_for())
    except SQLAlchemyError as exc:  # the cycle's own record reports an unwritable database
        log.debug("cannot renew the sole-worker lease: %s", short_reason(exc))
        return
    if not renewed:
        other = claim_sole_worker(now)
        if other:
            log.error("another worker (%s) runs on this SQLite database: SQLite supports one worker; stop one of them", other)


def release_sole_worker() -> None:
    if not uses_sqlite():
        return
    try:
        leases.release(SOLE_WORKER, SOLE_WORKER_PERIOD, worker_id())
    except SQLAlchemyError as exc:  # it lapses by itself
        log.warning("cannot give the sole-worker lease back: %s", short_reason(exc))


def take_scoring_turn() -> bool:
    """Whether this process may score stored items now. SQLite has no row locks, so the worker's cycle and a page's
    Fetch now picked the same batches and both ran the models on them (the second write was skipped, the work was
    done twice); there, one process at a time holds the turn and the other follows its progress. Always True on
    PostgreSQL, where ``FOR UPDATE SKIP LOCKED`` hands concurrent scorers disjoint batches."""
    if not uses_sqlite():
        return True
    now = utcnow()
    if leases.claim(SCORER, SOLE_WORKER_PERIOD, worker_id(), now, now + SCORER_LEASE):
        return True
    held = leases.lease(SCORER, SOLE_WORKER_PERIOD)
    if held is None:  # given back meanwhile: the next call takes it
        return False
    return holder_is_gone(held[0]) and leases.take_over(SCORER, SOLE_WORKER_PERIOD, held[0], worker_id(), now + SCORER_LEASE)


def renew_scoring_turn() -> None:
    if uses_sqlite():
        leases.renew(SCORER, SOLE_WORKER_PERIOD, worker_id(), utcnow() + SCORER_LEASE)


def end_scoring_turn() -> None:
    if not uses_sqlite():
        return
    try:
        leases.release(SCORER, SOLE_WORKER_PERIOD, worker_id())
    except SQLAlchemyError as exc:  # it lapses by itself; the scoring's own error, if any, is the one to report
        log.warning("cannot give the scoring turn back: %s", short_reason(exc))


def sole_worker_holder() -> tuple[str, datetime] | None:
    """The worker holding the SQLite slot and until when, or None."""
    held = leases.lease(SOLE_WORKER, SOLE_WORKER_PERIOD)
    return None if held is None else (held[0], held[1])
