"""Rows an analyst owns and names (watchlists, alert rules): found by name, created or changed, deleted, each
after an ownership check that runs inside the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.storage import session_scope

Row = TypeVar("Row")


def save_owned(table: type[Row], name: str, check_owner: Callable[[str | None], str], values: dict) -> int:
    """Create or update the row named ``name`` with ``values``. ``check_owner(current owner or None)`` raises
    when the user may not change it, and returns the owner of a new row."""
    with session_scope() as session:
        row = session.scalar(select(table).where(table.name == name))
        owner = check_owner(row.owner if row else None)
        row = row or table(name=name, owner=owner)
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)
        session.flush()
        return row.id


def delete_owned(table: type[Row], name: str, check: Callable[[Session, str | None], object]) -> bool:
    """Delete the row named ``name``; False when there is none. ``check(session, owner)`` raises to refuse."""
    with session_scope() as session:
        row = session.scalar(select(table).where(table.name == name))
        if row is None:
            return False
        check(session, row.owner)
        session.delete(row)
    return True
