"""The one lifecycle of every background run: training runs (``core.nlp.runs``), scoring runs
(``core.scoring.runs``) and recommendation jobs (``core.recommend.jobs``) plug their work into it.

Life of a run::

    queued --claim--> running --> succeeded | failed | cancelled
                         \\--(no heartbeat for BEACON_RUN_STALE_S)--> interrupted

* **Start.** The page or CLI queues a row and calls ``launch``: ``python -m core COMMAND RUN_ID`` in its own
  session, so it outlives a page reload or a closed tab. While ``BEACON_MAX_RUN_PROCESSES`` runs are running,
  ``launch`` starts nothing and the run waits, queued.
* **Claim exactly once.** The process (or the worker) claims the run: queued -> running in one statement that
  also checks the cap, so a second start, a rerun or the worker can never run it twice.
* **Heartbeat.** While the work runs, ``Heartbeat`` writes ``heartbeat_at`` every ``BEACON_RUN_HEARTBEAT_S``
  and notices a cancel request.
* **Stale: one rule for every kind.** A *running* run not seen for ``BEACON_RUN_STALE_S`` (its process died)
  becomes interrupted, never "running" forever. A *queued* run is never interrupted: it waits for its process or
  for the worker (its process may be starting, or it waits for a free place under the cap).
* **Pick-up.** The worker (``tend``) first marks stale runs interrupted, then runs queued runs nobody claimed for
  ``PICK_UP_AFTER`` (not seen since being queued or queued again), oldest ``created_at`` first, in that order for
  every kind.
* **Cancel.** A queued run is cancelled at once; a running one is asked to stop at its next step.
* **Resume** (kinds that can continue where they stopped): an interrupted, failed or cancelled run is queued again.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from core.auth.audit import record
from core.repositories import runs as run_rows
from core.settings import REPO_ROOT, get_settings
from core.storage.tables import utcnow

log = logging.getLogger("beacon.runs")
T = TypeVar("T")

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, INTERRUPTED = "queued", "running", "succeeded", "failed", "cancelled", "interrupted"
ACTIVE = (QUEUED, RUNNING)
FINISHED = (SUCCEEDED, FAILED, CANCELLED, INTERRUPTED)
RESUMABLE = (INTERRUPTED, FAILED, CANCELLED)
# what every page shows for a run's status: words, not emoji (a browser without an emoji font draws those as boxes)
STATUS_WORDS = {
    QUEUED: "queued",
    RUNNING: "running",
    SUCCEEDED: "complete",
    FAILED: "failed",
    CANCELLED: "cancelled",
    INTERRUPTED: "interrupted",
}
PICK_UP_AFTER = timedelta(seconds=30)  # a queued run nobody claimed for this long is run by the worker


def status_label(status: str) -> str:
    """'complete' for succeeded: the status as every page shows it."""
    return STATUS_WORDS.get(status, status)


@dataclass(frozen=True, eq=False)  # one object per kind, compared by identity
class RunKind:
    """One kind of background run: its table, the ``python -m core`` command that executes a run, where that
    process writes its output, and what an interrupted run is told."""

    name: str  # in words, for logs: "training run"
    table: type
    command: str  # python -m core COMMAND RUN_ID
    log_path: Callable[[int], Path]
    interrupted_error: str
    on_interrupted: dict = field(default_factory=dict)  # more columns written when a run is interrupted

    def missing(self, run_id: int) -> str:
        return f"there is no {self.name} {run_id}"


def stale_after() -> timedelta:
    return timedelta(seconds=get_settings().run_stale_s)


# ---------------------------------------------------------------- starting (page, CLI) and the cap


def running_count(now: datetime | None = None) -> int:
    """Runs of every kind running now (those silent for longer than the stale timeout do not count)."""
    return run_rows.count_running((now or utcnow()) - stale_after())


def launch(kind: RunKind, run_id: int) -> subprocess.Popen | None:
    """Start ``python -m core COMMAND RUN_ID`` in its own session, output appended to the kind's log. While
    ``BEACON_MAX_RUN_PROCESSES`` runs are running nothing is started (None): the run stays queued and the worker
    picks it up when a place is free."""
    cap, running = get_settings().max_run_processes, running_count()
    if running >= cap:
        log.info("%s %s waits for the worker: %s runs are running (BEACON_MAX_RUN_PROCESSES=%s)", kind.name, run_id, running, cap)
        return None
    return start_detached([kind.command, str(run_id)], kind.log_path(run_id))


def start_detached(command: list[str], log_path: Path) -> subprocess.Popen:
    """Run ``python -m core *command`` in a new session, output appended to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "core", *command],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # the hub stays offline there too: core/nlp/__init__.py sets it
        )


# ---------------------------------------------------------------- the run's own process


def claim(kind: RunKind, run_id: int, **values: object) -> bool:
    """queued -> running (with ``values``, e.g. the first stage); False when the run is not queued (another process
    got it first, it was cancelled) or ``BEACON_MAX_RUN_PROCESSES`` runs are already running."""
    now = utcnow()
    return run_rows.claim(kind.table, run_id, now, now - stale_after(), get_settings().max_run_processes, **values)


def update(kind: RunKind, run_id: int, **values: object) -> None:
    run_rows.set_fields(kind.table, run_id, **values)


def finish(kind: RunKind, run_id: int, status: str, **values: object) -> None:
    """The run's end: succeeded, failed or cancelled, with the columns the kind records then."""
    run_rows.set_fields(kind.table, run_id, status=status, finished_at=utcnow(), **values)


def cancel_requested(kind: RunKind, run_id: int) -> bool:
    return run_rows.cancel_requested(kind.table, run_id)


class Heartbeat:
    """``with Heartbeat(kind, run_id) as beat:`` writes ``heartbeat_at`` every ``BEACON_RUN_HEARTBEAT_S`` while the
    work runs; ``beat.cancel`` is set once a cancel is requested (``should_stop`` also asks the database)."""

    def __init__(self, kind: RunKind, run_id: int, seconds: float | None = None) -> None:
        self.kind, self.run_id = kind, run_id
        self.seconds = seconds if seconds is not None else get_settings().run_heartbeat_s
        self.cancel = threading.Event()
        self._last_check = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{kind.command}-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def beat(self) -> None:
        if run_rows.beat(self.kind.table, self.run_id, utcnow()):
            self.cancel.set()

    def should_stop(self, every_s: float = 0.0) -> bool:
        """Whether a cancel was requested; asks the database at most every ``every_s`` seconds."""
        if not self.cancel.is_set() and time.monotonic() - self._last_check >= every_s:
            self._last_check = time.monotonic()
            if cancel_requested(self.kind, self.run_id):
                self.cancel.set()
        return self.cancel.is_set()

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                self.beat()
            except Exception:  # a missed heartbeat only risks a false "interrupted"; the work goes on
                log.warning("%s %s: heartbeat failed", self.kind.name, self.run_id, exc_info=True)


# ---------------------------------------------------------------- page actions


def request_cancel(kind: RunKind, run_id: int, **on_cancel: object) -> None:
    """Cancel a queued run at once (with ``on_cancel`` columns), or ask a running one to stop at its next step."""

    was: list[str] = []

    def cancel(row) -> None:  # noqa: ANN001 - the kind's row
        was.append(row.status)
        if row.status == QUEUED:
            row.status, row.finished_at = CANCELLED, utcnow()
            for column, value in on_cancel.items():
                setattr(row, column, value)
        elif row.status == RUNNING:
            row.cancel_requested = True

    run_rows.change(kind.table, run_id, cancel, kind.missing(run_id))
    if was and was[0] in (QUEUED, RUNNING):
        record(f"{kind.name} cancelled", f"{kind.name} {run_id}", detail={"was": was[0]})


def requeue(kind: RunKind, run_id: int, **values: object) -> None:
    """Queue an interrupted, failed or cancelled run again (resume); ValueError for any other status."""

    def again(row) -> None:  # noqa: ANN001 - the kind's row
        if row.status not in RESUMABLE:
            raise ValueError(f"{kind.name} {run_id} is {row.status}; only interrupted, failed or cancelled runs can be resumed")
        row.status, row.error, row.finished_at, row.heartbeat_at = QUEUED, None, None, utcnow()
        if hasattr(row, "cancel_requested"):
            row.cancel_requested = False
        for column, value in values.items():
            setattr(row, column, value)

    run_rows.change(kind.table, run_id, again, kind.missing(run_id))
    record(f"{kind.name} resumed", f"{kind.name} {run_id}")


# ---------------------------------------------------------------- stale runs and the worker


def delete_ended(kind: RunKind, run_id: int, view: Callable[[object], T], named: Callable[[T], str]) -> T:
    """Delete an ended run's row and return what ``view`` made of it: analysts their own runs, admins any
    (``named(run)`` is what a refusal calls it). ValueError while it is queued or running; LookupError when there is
    none. The caller removes the run's files once the row is gone."""
    from core.auth.ownership import require_owner

    def check(row: object) -> T:
        run = view(row)
        require_owner(kind.name, named(run), row.created_by)
        if row.status not in FINISHED:
            raise ValueError(f"run {run_id} is {row.status}: cancel it and wait until it has stopped, then delete it")
        return run

    return run_rows.delete(kind.table, run_id, check, f"{kind.missing(run_id)} (it may have been deleted)")


def mark_interrupted(kind: RunKind, now: datetime | None = None, stale_s: float | None = None) -> int:
    """Running runs not seen for the stale timeout (``BEACON_RUN_STALE_S``, or ``stale_s``) become interrupted
    with the kind's error; queued runs are left waiting. Returns how many."""
    now = now or utcnow()
    silent = timedelta(seconds=stale_s) if stale_s is not None else stale_after()
    return run_rows.mark_stale(kind.table, now - silent, now, error=kind.interrupted_error, **kind.on_interrupted)


def waiting_runs(kind: RunKind, waited: timedelta = PICK_UP_AFTER) -> list[int]:
    """Queued runs nobody claimed for ``waited`` (since queued or queued again), oldest first."""
    return run_rows.waiting_ids(kind.table, utcnow() - waited)


def any_active(kind: RunKind) -> bool:
    """Whether a run of the kind is queued or running (a page then keeps its list live)."""
    mark_interrupted(kind)
    return run_rows.any_active(kind.table)


def tend(kind: RunKind, execute: Callable[[int], object], waited: timedelta = PICK_UP_AFTER) -> tuple[int, list[int]]:
    """The worker's step, the same for every kind: mark dead runs interrupted, then run the queued runs nobody
    claimed, oldest first, in this process (each run is claimed, so one another process got is skipped; while
    the cap is reached the claim fails and the run waits for the next tick). Returns (interrupted, ids tried)."""
    interrupted = mark_interrupted(kind)
    waiting = waiting_runs(kind, waited)
    for run_id in waiting:
        execute(run_id)
    return interrupted, waiting
