"""The audit log: who signed in, uploaded, scored, trained, promoted, or changed a feed, rule or user."""

from __future__ import annotations

from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import AuditEvent


def record(action: str, target: str = "", outcome: str = "ok", detail: dict | None = None, username: str | None = None) -> None:
    """Append one event, as the acting user unless ``username`` is given. Never store secrets in ``detail``."""
    from core.auth.roles import current_actor

    actor = current_actor()
    who = username or (actor.username if actor else "anonymous")
    with session_scope() as session:
        session.add(AuditEvent(username=who, action=action, target=str(target)[:500], outcome=outcome, detail=detail or {}))


def list_events(limit: int = 500, username: str = "", action: str = "") -> list[dict]:
    """Newest first; optional exact filters on user and action."""
    from core.auth.roles import require

    require("admin", "read the audit log")
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if username:
        query = query.where(AuditEvent.username == username)
    if action:
        query = query.where(AuditEvent.action == action)
    with session_scope() as session:
        return [
            {"at": e.at, "user": e.username, "action": e.action, "target": e.target, "outcome": e.outcome, "detail": e.detail}
            for e in session.scalars(query)
        ]
