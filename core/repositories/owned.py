"""Rows an analyst owns and names (watchlists, alert rules): found by name, created or changed, deleted, each
after an ownership check that runs inside the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.storage import session_scope
from core.wording import loose_key

Row = TypeVar("Row")


def save_owned(table: type[Row], name: str, check_owner: Callable[[str | None], str], values: dict) -> int:
    """Create or update the row named ``name`` with ``values``; a row named so but for capitals and spaces is the
    same row (a configuration file saying "big tech" updates "Big tech", keeping its stored name, rather than adding
    a second). ``check_owner(current owner or None)`` raises when the user may not change it, and returns the owner
    of a new row."""
    with session_scope() as session:
        row = _named(session, table, name)
        owner = check_owner(row.owner if row else None)
        row = row or table(name=name, owner=owner)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        return row.id


def _named(session: Session, table: type[Row], name: str) -> Row | None:
    """The row named exactly ``name``, else the one row named so but for capitals and spaces (none when several are)."""
    row = session.scalar(select(table).where(table.name == name))
    if row is not None:
        return row
    loose = [r for r in session.scalars(select(table)) if loose_key(r.name) == loose_key(name)]
    return loose[0] if len(loose) == 1 else None


def delete_owned(table: type[Row], name: str, check: Callable[[Session, str | None], object]) -> bool:
    """Delete the row named ``name``; False when there is none. ``check(session, owner)`` raises to refuse."""
    with session_scope() as session:
        row = session.scalar(select(table).where(table.name == name))
        if row is None:
            return False
        check(session, row.owner)
        session.delete(row)
    return True
