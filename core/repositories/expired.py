"""The shared deletion of a retention setting's oldest rows (the questions log, the audit log): rows stamped before a
day, oldest first, a batch at a time. Feed items have their own (their stories and corrections go with them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute

from core.storage import session_scope


def delete_oldest_before(table: type, stamp: InstrumentedAttribute, cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` rows of ``table`` whose ``stamp`` is before ``cutoff`` (UTC), oldest first; how many went."""
    with session_scope() as session:
        ids = list(session.scalars(select(table.id).where(stamp < cutoff).order_by(stamp, table.id).limit(limit)))
        if not ids:
            return 0
        # rowcount, not len(ids): another worker may have deleted some of them meanwhile
        return session.execute(delete(table).where(table.id.in_(ids))).rowcount
