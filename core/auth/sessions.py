"""Signing in and out: lockout after repeated failures, sessions that expire when idle.

Only a token's sha256 is stored, so a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, or_, select, update

from core.auth.audit import record
from core.auth.passwords import hash_password, verify_password
from core.auth.roles import Actor
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import LoginSession, User, utcnow

WRONG = "wrong username or password"


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says whether the user exists or is locked)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def refusal() -> str:
    """The one answer a visitor gets for a wrong password, an unknown or disabled user and a locked account alike."""
    settings = get_settings()
    return (f"{WRONG} (after {settings.login_max_failures} failed sign-ins in a row an account is locked "
            f"for {settings.lockout_minutes:g} minutes)")  # fmt: skip


def _open(now: datetime) -> ColumnElement[bool]:
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def _start_attempt(username: str, now: datetime) -> tuple[int, int, str] | None:
    """Count the attempt before checking the password, in one atomic UPDATE: (user id, attempt number, hash), or None
    when the user is unknown, disabled or locked. Concurrent attempts get distinct numbers, so no failure is lost."""
    with session_scope() as session:
        row = session.execute(
            update(User)
            .where(func.lower(User.username) == username.lower(), User.active.is_(True), _open(now))
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.id, User.failed_logins, User.password_hash)
            .execution_options(synchronize_session=False)
        ).first()
    return tuple(row) if row else None


def _lock(user_id: int, now: datetime) -> None:
    minutes = get_settings().lockout_minutes
    with session_scope() as session:
        session.execute(
            update(User).where(User.id == user_id, _open(now))
            .values(locked_until=now + timedelta(minutes=minutes), failed_logins=0)
            .execution_options(synchronize_session=False)
        )  # fmt: skip


def _open_session(user_id: int, now: datetime) -> tuple[str, Actor] | None:
    """Reset the counter and open a session, unless a concurrent failure locked the account meanwhile (then None)."""
    with session_scope() as session:
        row = session.execute(
            update(User).where(User.id == user_id, _open(now))
            .values(failed_logins=0, locked_until=None, last_login_at=now)
            .returning(User.username, User.role)
            .execution_options(synchronize_session=False)
        ).first()  # fmt: skip
        if row is None:
            return None
        token = secrets.token_urlsafe(32)
        session.add(LoginSession(token_hash=_digest(token), user_id=user_id, created_at=now, last_seen_at=now,
                                 expires_at=now + timedelta(hours=get_settings().session_hours)))  # fmt: skip
    return token, Actor(row.username, row.role)


def _why_not_started(username: str, now: datetime) -> str:
    with session_scope() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        return "unknown user"
    return "disabled" if not user.active else "locked"


def _refuse(username: str, reason: str) -> SignInError:
    record("sign-in failed", outcome="refused", username=username or "(empty)", detail={"reason": reason})
    return SignInError(refusal())


def sign_in(username: str, password: str, now: datetime | None = None) -> tuple[str, Actor]:
    """A new session token and the actor, or SignInError (one message for every refusal; the audit log keeps the reason).

    Every attempt is counted before its password is checked, so attempts running at the same time cannot check more
    than ``login_max_failures`` passwords between lockouts, and a right password is refused once a concurrent failure
    has locked the account."""
    limit = get_settings().login_max_failures
    now = now or utcnow()
    username = (username or "").strip()
    attempt = _start_attempt(username, now) if username else None
    if attempt is None:
        verify_password("", password or "")  # same cost as a real check
        raise _refuse(username, _why_not_started(username, now) if username else "unknown user")
    user_id, number, password_hash = attempt
    if number > limit:  # more attempts at once than the limit allows: lock without checking this one
        verify_password("", password or "")
        _lock(user_id, now)
        raise _refuse(username, "locked")
    if not verify_password(password_hash, password or ""):
        if number >= limit:
            _lock(user_id, now)
        raise _refuse(username, "wrong password")
    opened = _open_session(user_id, now)
    if opened is None:
        raise _refuse(username, "locked")
    record("signed in", username=opened[1].username)
    return opened


def resume(token: str | None, now: datetime | None = None) -> Actor | None:
    """The actor of a live session (and slide its expiry), or None when expired, revoked or unknown."""
    if not token:
        return None
    now = now or utcnow()
    with session_scope() as session:
        login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
        if login is None or login.revoked or login.expires_at <= now:
            return None
        user = session.get(User, login.user_id)
        if user is None or not user.active:
            return None
        login.last_seen_at = now
        login.expires_at = now + timedelta(hours=get_settings().session_hours)
        return Actor(user.username, user.role)


def sign_out(token: str | None) -> None:
    if not token:
        return
    with session_scope() as session:
        login = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(token)))
        if login is not None and not login.revoked:
            login.revoked = True
            username = session.get(User, login.user_id).username
        else:
            return
    record("signed out", username=username)


def identity_provider_actor(email: str) -> Actor:
    """A user signed in through the company's identity provider (st.login): known users keep their
    role; a first-time user is created as a viewer for an admin to promote."""
    email = (email or "").strip().lower()
    if not email:
        raise SignInError("the identity provider did not send an e-mail address")
    with session_scope() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == email))
        if user is None:
            user = User(username=email, password_hash="", role="viewer")
            session.add(user)
        if not user.active:
            raise SignInError("this account is disabled; ask an admin")
        user.last_login_at = utcnow()
        actor = Actor(user.username, user.role)
    record("signed in", username=actor.username, detail={"via": "identity provider"})
    return actor


__all__ = ["SignInError", "hash_password", "identity_provider_actor", "resume", "sign_in", "sign_out"]
