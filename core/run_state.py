"""The life of a background run row, shared by run kinds (training runs, recommendation jobs): queued ->
running (claimed atomically, so a second start or the worker cannot run it twice) -> succeeded | failed |
cancelled; a running row whose process stops sending heartbeats becomes interrupted, never "running" forever.

A run kind keeps its own table (its inputs and results differ) with the columns ``status``, ``started_at``,
``heartbeat_at``, ``finished_at`` and ``error``; the process is started with ``core.background.start_detached``.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy import update

from core.storage import session_scope
from core.storage.tables import utcnow

log = logging.getLogger("beacon.runs")

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")


def claim(table: type, run_id: int) -> bool:
    """Move a queued run to running; False when another process got it first or it is not queued."""
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(table).where(table.id == run_id, table.status == "queued").values(status="running", started_at=now, heartbeat_at=now)
        ).rowcount
    return bool(claimed)


def set_fields(table: type, run_id: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(table).where(table.id == run_id).values(**values))


def mark_interrupted(table: type, stale_after: timedelta, error: str, now: datetime | None = None) -> int:
    """Running rows silent for ``stale_after`` become interrupted with ``error``; returns how many."""
    now = now or utcnow()
    with session_scope() as session:
        return session.execute(
            update(table)
            .where(table.status == "running", table.heartbeat_at < now - stale_after)
            .values(status="interrupted", finished_at=now, error=error)
        ).rowcount or 0


class Heartbeat:
    """``with Heartbeat(table, run_id, seconds):`` writes ``heartbeat_at`` every ``seconds`` while the work runs."""

    def __init__(self, table: type, run_id: int, seconds: float) -> None:
        self.table, self.run_id, self.seconds = table, run_id, seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{table.__tablename__}-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.seconds):
            try:
                set_fields(self.table, self.run_id, heartbeat_at=utcnow())
            except Exception:  # a missed heartbeat only risks a false "interrupted"; the work goes on
                log.warning("%s %s: heartbeat failed", self.table.__tablename__, self.run_id, exc_info=True)
