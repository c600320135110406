"""Users, login sessions and the audit log: every query on ``users``, ``login_sessions`` and ``audit_events``.
The rules (roles, password checks, lockout, who may do what) live in ``core.auth``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from core.repositories.expired import delete_oldest_before
from core.storage import session_scope
from core.storage.tables import AuditEvent, LoginSession, User


@dataclass(frozen=True)
class UserView:
    username: str
    role: str
    active: bool
    locked_until: object
    last_login_at: object
    created_at: object


# -- the audit log ----------------------------------------------------------------------------------------------
def add_event(username: str, action: str, target: str, outcome: str, detail: dict) -> None:
    with session_scope() as session:
        session.add(AuditEvent(username=username, action=action, target=target[:500], outcome=outcome, detail=detail))


def _matching(query, username: str, action: str, excluded: Sequence[str] = ()):  # noqa: ANN001, ANN202 - a Select, narrowed
    if username:
        query = query.where(AuditEvent.username == username)
    if action:
        query = query.where(AuditEvent.action == action)
    if excluded:
        query = query.where(AuditEvent.action.not_in(list(excluded)))
    return query


def events(limit: int | None, username: str = "", action: str = "", excluded: Sequence[str] = ()) -> list[dict]:
    """Newest first (all of them when ``limit`` is None); optional exact filters on user and action, and actions
    left out (``excluded``)."""
    query = _matching(select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit), username, action,
                      excluded)  # fmt: skip
    with session_scope() as session:
        return [
            {"at": e.at, "user": e.username, "action": e.action, "target": e.target, "outcome": e.outcome, "detail": e.detail}
            for e in session.scalars(query)
        ]


def delete_events_before(cutoff: datetime, limit: int) -> int:
    """Delete up to ``limit`` audit events recorded before ``cutoff`` (UTC), oldest first; how many went."""
    return delete_oldest_before(AuditEvent, AuditEvent.at, cutoff, limit)


def event_count(username: str = "", action: str = "", excluded: Sequence[str] = ()) -> int:
    with session_scope() as session:
        return session.scalar(_matching(select(func.count(AuditEvent.id)), username, action, excluded)) or 0


def event_filter_values() -> tuple[list[str], list[str]]:
    """The users and the actions the audit log holds (sorted), for its filters."""
    with session_scope() as session:
        users = session.scalars(select(AuditEvent.username).distinct().order_by(AuditEvent.username)).all()
        actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return list(users), list(actions)


# -- accounts ---------------------------------------------------------------------------------------------------
def _named(username: str) -> ColumnElement[bool]:
    return func.lower(User.username) == username.lower()


def count_users(role: str | None = None) -> int:
    query = select(func.count()).select_from(User)
    with session_scope() as session:
        return session.scalar(query.where(User.role == role) if role else query) or 0


def add_user(username: str, password_hash: str, role: str) -> None:
    """Insert an account; a name already taken (case ignored) raises ValueError."""
    with session_scope() as session:
        if session.scalar(select(User.id).where(_named(username))):
            raise ValueError(f"a user named {username!r} already exists")
        session.add(User(username=username, password_hash=password_hash, role=role))


def update_user(username: str, values: dict, end_sessions: bool = False, keep_an_admin: bool = False) -> None:
    """Change an account's fields (LookupError when there is none); ``end_sessions`` revokes its open sessions.
    ``keep_an_admin``: ValueError, and nothing changed, when no active admin would be left."""
    with session_scope() as session:
        if keep_an_admin:  # the admins' rows locked first: two admins cannot demote each other at the same moment
            session.scalars(select(User.id).where(_ACTIVE_ADMIN).with_for_update()).all()
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise LookupError(f"there is no user {username!r}")
        was_admin = user.role == "admin" and user.active
        for key, value in values.items():
            setattr(user, key, value)
        if keep_an_admin and was_admin:
            session.flush()
            if not session.scalar(select(func.count()).select_from(User).where(_ACTIVE_ADMIN)):
                raise ValueError(f"{username} is the only active admin: make another user an admin first, so that "
                                 "someone can still manage users, feeds and models")  # fmt: skip
        if end_sessions:
            revoke = update(LoginSession).where(LoginSession.user_id == user.id).values(revoked=True)
            session.execute(revoke.execution_options(synchronize_session=False))


def all_users() -> list[UserView]:
    with session_scope() as session:
        return [UserView(u.username, u.role, u.active, u.locked_until, u.last_login_at, u.created_at)
                for u in session.scalars(select(User).order_by(User.username))]  # fmt: skip


_ACTIVE_ADMIN = and_(User.role == "admin", User.active.is_(True))


def active_admin_names() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(User.username).where(_ACTIVE_ADMIN).order_by(User.username)))


def active_usernames() -> list[str]:
    """Every active account's name (whom an alert can be assigned to)."""
    with session_scope() as session:
        return list(session.scalars(select(User.username).where(User.active.is_(True)).order_by(User.username)))


# -- signing in -------------------------------------------------------------------------------------------------
def _open(now: datetime) -> ColumnElement[bool]:
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def start_attempt(username: str, now: datetime) -> tuple[int, int, str] | None:
    """Count a sign-in attempt in one atomic UPDATE: (user id, attempt number, password hash), or None when the user
    is unknown, disabled or locked. Concurrent attempts get distinct numbers."""
    with session_scope() as session:
        row = session.execute(
            update(User)
            .where(_named(username), User.active.is_(True), _open(now))
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.id, User.failed_logins, User.password_hash)
            .execution_options(synchronize_session=False)
        ).first()
    return tuple(row) if row else None


def lock(user_id: int, now: datetime, until: datetime) -> None:
    """Lock an account that is not locked already, and reset its failure count."""
    with session_scope() as session:
        session.execute(
            update(User).where(User.id == user_id, _open(now))
            .values(locked_until=until, failed_logins=0)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


def open_session(user_id: int, now: datetime, token_hash: str, expires_at: datetime) -> tuple[str, str] | None:
    """Reset the failure count and store a session, unless the account was locked meanwhile (then None).
    Returns the user's (name, role)."""
    with session_scope() as session:
        row = session.execute(
            update(User).where(User.id == user_id, _open(now))
            .values(failed_logins=0, locked_until=None, last_login_at=now)
            .returning(User.username, User.role)
            .execution_options(synchronize_session=False)
        ).first()  # fmt: skip
        if row is None:
            return None
        session.add(LoginSession(token_hash=token_hash, user_id=user_id, created_at=now, last_seen_at=now, expires_at=expires_at))
    return row.username, row.role


def why_not_started(username: str) -> str:
    """Why an attempt was not counted: "unknown user", "disabled" or "locked"."""
    with session_scope() as session:
        user = session.scalar(select(User).where(_named(username)))
    if user is None:
        return "unknown user"
    return "disabled" if not user.active else "locked"


def resume_session(token_hash: str, now: datetime, expires_at: datetime) -> tuple[str, str] | None:
    """The (name, role) of a live session's active user, its expiry moved to ``expires_at``; None otherwise."""
    with session_scope() as session:
        login = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
        if login is None or login.revoked or login.expires_at <= now:
            return None
        user = session.get(User, login.user_id)
        if user is None or not user.active:
            return None
        login.last_seen_at = now
        login.expires_at = expires_at
        return user.username, user.role


def end_session(token_hash: str) -> str | None:
    """Revoke an open session; its user's name, or None when there was none to end."""
    with session_scope() as session:
        login = session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))
        if login is None or login.revoked:
            return None
        login.revoked = True
        return session.get(User, login.user_id).username


def identity_provider_user(email: str, now: datetime) -> tuple[str, str, bool]:
    """The account of an identity-provider user, created as a viewer on the first visit; its (name, role, active).
    An active account's last sign-in is set to ``now``."""
    with session_scope() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == email))
        if user is None:
            user = User(username=email, password_hash="", role="viewer")
            session.add(user)
            session.flush()
        if user.active:
            user.last_login_at = now
        return user.username, user.role, bool(user.active)
