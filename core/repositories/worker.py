"""The SQL of the worker's status row: when it last finished a cycle, which steps failed, its tick. What that
means for the pages is decided in ``core.health``."""

from __future__ import annotations

from datetime import datetime

from core.storage import session_scope
from core.storage.tables import WorkerStatus


def save_cycle(name: str, finished_at: datetime, failed_steps: list[str], tick_seconds: int) -> None:
    """Store the worker's last finished cycle. Raises the database's error when it cannot."""
    with session_scope() as session:
        row = session.get(WorkerStatus, name) or WorkerStatus(name=name)
        row.last_cycle_at = finished_at
        row.failed_steps = list(failed_steps)
        row.tick_seconds = tick_seconds
        session.add(row)


def last_cycle(name: str) -> tuple[datetime, list[str], int] | None:
    """(finished at, failed steps, tick seconds) of the worker's last recorded cycle, or None."""
    with session_scope() as session:
        row = session.get(WorkerStatus, name)
        return None if row is None else (row.last_cycle_at, list(row.failed_steps or []), row.tick_seconds)
