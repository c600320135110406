"""The SQL of the worker's status row: when it last finished a cycle, which steps failed, its tick, the step in
progress and its heartbeat. What that means for the pages is decided in ``core.health``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.storage import session_scope
from core.storage.tables import WorkerStatus


@dataclass(frozen=True)
class WorkerRecord:
    last_cycle_at: datetime | None  # None while the first cycle runs
    failed_steps: list[str]
    tick_seconds: int
    seen_at: datetime | None  # the running worker's last heartbeat
    busy_step: str | None  # the cycle step started last (cleared when the cycle is recorded)
    busy_since: datetime | None


def _update(name: str, tick_seconds: int, **values: object) -> None:
    with session_scope() as session:
        row = session.get(WorkerStatus, name) or WorkerStatus(name=name, failed_steps=[])
        for column, value in values.items():
            setattr(row, column, value)
        row.tick_seconds = tick_seconds
        session.add(row)


def save_cycle(name: str, finished_at: datetime, failed_steps: list[str], tick_seconds: int) -> None:
    """Store the worker's last finished cycle (also a heartbeat). Raises the database's error when it cannot."""
    _update(name, tick_seconds, last_cycle_at=finished_at, failed_steps=list(failed_steps), seen_at=finished_at,
            busy_step=None, busy_since=None)  # fmt: skip


def save_step(name: str, step: str, started_at: datetime, tick_seconds: int) -> None:
    """Store the cycle step the worker has just started."""
    _update(name, tick_seconds, busy_step=step, busy_since=started_at, seen_at=started_at)


def save_heartbeat(name: str, at: datetime, tick_seconds: int) -> None:
    """Store that the worker is running at ``at`` (whatever its cycle is doing)."""
    _update(name, tick_seconds, seen_at=at)


def worker_record(name: str) -> WorkerRecord | None:
    """The worker's status row, or None before it has written one."""
    with session_scope() as session:
        row = session.get(WorkerStatus, name)
        if row is None:
            return None
        return WorkerRecord(row.last_cycle_at, list(row.failed_steps or []), row.tick_seconds, row.seen_at,
                            row.busy_step, row.busy_since)  # fmt: skip
