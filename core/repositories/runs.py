"""The SQL of background runs (training runs, scoring runs, recommendation jobs): one set of queries for every
run table, which all have the columns ``id``, ``status``, ``created_at``, ``started_at``, ``heartbeat_at``,
``finished_at`` and ``error``. The rules (when a run is stale, when it is picked up, the cap) are in ``core.runs``;
this module only reads and writes rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import func, literal, select, update
from sqlalchemy.sql.elements import ColumnElement

from core.storage import session_scope
from core.storage.tables import RecJob, ScoringRun, TrainingRun

# Every run table: the cap on runs running at once counts all of them. A new run kind adds its table here.
RUN_TABLES: tuple[type, ...] = (TrainingRun, ScoringRun, RecJob)

T = TypeVar("T")


def last_seen(table: type) -> ColumnElement:
    """When a run last showed life: its last heartbeat (set when it is claimed or queued again), else its creation."""
    return func.coalesce(table.heartbeat_at, table.created_at)


def _running_now(since: datetime) -> ColumnElement:
    """How many runs of every kind are running and not silent since ``since`` (a SQL expression)."""
    counts = [
        select(func.count()).select_from(t).where(t.status == "running", last_seen(t) >= since).scalar_subquery() for t in RUN_TABLES
    ]
    total: ColumnElement = literal(0)
    for count in counts:
        total = total + count
    return total


def count_running(since: datetime) -> int:
    with session_scope() as session:
        return int(session.scalar(select(_running_now(since))) or 0)


def claim(table: type, run_id: int, now: datetime, alive_since: datetime, cap: int, **values: object) -> bool:
    """queued -> running in one statement, only while fewer than ``cap`` runs (of every kind) are running."""
    with session_scope() as session:
        claimed = session.execute(
            update(table)
            .where(table.id == run_id, table.status == "queued", _running_now(alive_since) < cap)
            .values(status="running", started_at=now, heartbeat_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount
    return bool(claimed)


def set_fields(table: type, run_id: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(table).where(table.id == run_id).values(**values))


def beat(table: type, run_id: int, now: datetime) -> bool:
    """Record a heartbeat of a running run; returns whether a cancel was requested (False for kinds without cancel)."""
    with session_scope() as session:
        session.execute(update(table).where(table.id == run_id, table.status == "running").values(heartbeat_at=now))
        return _cancel_requested(session, table, run_id)


def cancel_requested(table: type, run_id: int) -> bool:
    with session_scope() as session:
        return _cancel_requested(session, table, run_id)


def _cancel_requested(session, table: type, run_id: int) -> bool:  # noqa: ANN001 - Session
    if not hasattr(table, "cancel_requested"):
        return False
    return bool(session.scalar(select(table.cancel_requested).where(table.id == run_id)))


def mark_stale(table: type, silent_since: datetime, now: datetime, **values: object) -> int:
    """Running rows not seen since ``silent_since`` become interrupted with ``values`` (the error); returns how many."""
    with session_scope() as session:
        return (
            session.execute(
                update(table)
                .where(table.status == "running", last_seen(table) < silent_since)
                .values(status="interrupted", finished_at=now, **values)
            ).rowcount
            or 0
        )


def waiting_ids(table: type, queued_before: datetime) -> list[int]:
    """Queued runs not seen since ``queued_before``, oldest first (by ``created_at``)."""
    with session_scope() as session:
        query = select(table.id).where(table.status == "queued", last_seen(table) < queued_before).order_by(table.created_at, table.id)
        return list(session.scalars(query))


ACTIVE = ("queued", "running")  # a run that has not finished


def any_active(table: type) -> bool:
    with session_scope() as session:
        return session.scalar(select(table.id).where(table.status.in_(ACTIVE)).limit(1)) is not None


def get(table: type, run_id: int, view: Callable[[object], T], missing: str) -> T:
    """The run as ``view(row)``; LookupError(``missing``) when there is none."""
    return change(table, run_id, view, missing)  # the same transaction; ``view`` only reads


def newest(table: type, view: Callable[[object], T], limit: int = 50, **equal: object) -> list[T]:
    """The newest runs first (by ``created_at``), optionally only those whose columns equal ``equal``."""
    query = select(table).order_by(table.created_at.desc(), table.id.desc()).limit(limit)
    for column, value in equal.items():
        query = query.where(getattr(table, column) == value)
    with session_scope() as session:
        return [view(row) for row in session.scalars(query)]


def change(table: type, run_id: int, edit: Callable[[object], T], missing: str) -> T:
    """Apply ``edit(row)`` to a run in one transaction and return what it returns; LookupError(``missing``) when there is none."""
    with session_scope() as session:
        row = session.get(table, run_id)
        if row is None:
            raise LookupError(missing)
        return edit(row)


def delete(table: type, run_id: int, check: Callable[[object], T], missing: str) -> T:
    """Delete a run's row in one transaction after ``check(row)`` (which raises to refuse, or returns what the caller
    keeps of the row); LookupError(``missing``) when there is none."""
    with session_scope() as session:
        row = session.get(table, run_id)
        if row is None:
            raise LookupError(missing)
        kept = check(row)
        session.delete(row)
        return kept


def insert(row: object, then: Callable[[object], None] | None = None) -> int:
    """Add a new run row and return its id; ``then(row)`` runs in the same transaction, once the id is known
    (it may fill in columns; when it raises, no row is stored)."""
    with session_scope() as session:
        session.add(row)
        session.flush()
        if then is not None:
            then(row)
        return row.id


def unfinished(table: type, view: Callable[[object], T]) -> list[T]:
    """The runs of ``table`` that are queued or running, oldest first."""
    query = select(table).where(table.status.in_(ACTIVE)).order_by(table.created_at, table.id)
    with session_scope() as session:
        return [view(row) for row in session.scalars(query)]
