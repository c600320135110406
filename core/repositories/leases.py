"""The SQL of job leases (``job_leases``): claim a (job, period) atomically, renew, finish, release.
What a lease means for the worker is decided in ``core.leases``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core.storage import session_scope
from core.storage.tables import JobLease


def claim(name: str, period: str, holder: str, now: datetime, expires_at: datetime) -> bool:
    """Take the lease on (name, period) for ``holder``: insert it (the primary key lets one insert win), or
    take over a row that is unfinished and expired in one conditional update.
    True when ``holder`` holds it now."""
    try:
        with session_scope() as session:
            session.add(JobLease(name=name, period=period, holder=holder, expires_at=expires_at))
        return True
    except IntegrityError:
        pass
    with session_scope() as session:
        result = session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.period == period, JobLease.done_at.is_(None), JobLease.expires_at < now)
            .values(holder=holder, expires_at=expires_at)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def take_over(name: str, period: str, old_holder: str, holder: str, expires_at: datetime) -> bool:
    """Take a lease from ``old_holder`` (known to be gone) in one conditional update; False when it changed hands meanwhile."""
    return _update_held(name, period, old_holder, holder=holder, expires_at=expires_at)


def renew(name: str, period: str, holder: str, expires_at: datetime) -> bool:
    """Extend a lease ``holder`` still holds; False when it lost it (someone took it over)."""
    return _update_held(name, period, holder, expires_at=expires_at)


def finish(name: str, period: str, holder: str, now: datetime) -> bool:
    """Mark the period done (no one claims it again); False when ``holder`` no longer holds it."""
    return _update_held(name, period, holder, done_at=now)


def _update_held(name: str, period: str, held_by: str, /, **values: object) -> bool:
    """Change the lease only while ``held_by`` holds it (one conditional update); True when it did."""
    with session_scope() as session:
        result = session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.period == period, JobLease.holder == held_by)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


def release(name: str, period: str, holder: str) -> None:
    """Give an unfinished lease back at once (the job failed: the next attempt may run it)."""
    with session_scope() as session:
        session.execute(
            delete(JobLease).where(JobLease.name == name, JobLease.period == period, JobLease.holder == holder, JobLease.done_at.is_(None))
        )


def lease(name: str, period: str) -> tuple[str, datetime, datetime | None] | None:
    """(holder, expires at, done at) of a lease, or None."""
    with session_scope() as session:
        row = session.execute(select(JobLease.holder, JobLease.expires_at, JobLease.done_at).where(
            JobLease.name == name, JobLease.period == period)).first()  # fmt: skip
    return None if row is None else (row[0], row[1], row[2])


def done_periods(name: str) -> list[str]:
    """The periods of a job marked done, oldest first."""
    with session_scope() as session:
        query = select(JobLease.period).where(JobLease.name == name, JobLease.done_at.is_not(None)).order_by(JobLease.period)
        return list(session.scalars(query))
