"""Signing in and out: lockout after repeated failures, sessions that expire when idle.

Only a token's sha256 is stored, so a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import func, select

from core.auth.audit import record
from core.auth.passwords import hash_password, verify_password
from core.auth.roles import Actor
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import LoginSession, User, utcnow

WRONG = "wrong username or password"


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says whether the user exists)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(username: str, password: str, now=None) -> tuple[str, Actor]:  # noqa: ANN001 - datetime
    """A new session token and the actor, or SignInError. Failures are counted and audited."""
    settings = get_settings()
    now = now or utcnow()
    username = (username or "").strip()
    with session_scope() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
        if user is None or not user.active:
            verify_password("", password or "")  # same cost as a real check
            outcome = None
        elif user.locked_until and user.locked_until > now:
            outcome = (
                f"the account is locked after {settings.login_max_failures} failed sign-ins; "
                f"try again after {user.locked_until:%H:%M} UTC"
            )
        elif not verify_password(user.password_hash, password or ""):
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_failures:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
            outcome = None
        else:
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
            token = secrets.token_urlsafe(32)
            session.add(LoginSession(token_hash=_digest(token), user_id=user.id, created_at=now, last_seen_at=now,
                                     expires_at=now + timedelta(hours=settings.session_hours)))  # fmt: skip
            actor = Actor(user.username, user.role)
            outcome = "ok"
    if outcome == "ok":
        record("signed in", username=actor.username)
        return token, actor
    record("sign-in failed", outcome="refused", username=username or "(empty)", detail={"locked": bool(outcome)})
    raise SignInError(outcome or WRONG)


def resume(token: str | None, now=None) -> Actor | None:  # noqa: ANN001 - datetime
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
