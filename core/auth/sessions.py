"""Signing in and out: lockout after repeated failures, sessions that expire when idle.

Only a token's sha256 is stored, so a copy of the database cannot be used to sign in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from core.auth.audit import record
from core.auth.passwords import hash_password, token_digest, verify_password
from core.auth.roles import Actor
from core.repositories import users as accounts
from core.settings import get_settings
from core.storage.tables import utcnow

WRONG = "wrong username or password"


class SignInError(Exception):
    """Sign-in refused; the message is safe to show (it never says whether the user exists or is locked)."""


def refusal() -> str:
    """The one answer a visitor gets for a wrong password, an unknown or disabled user and a locked account alike."""
    settings = get_settings()
    return (f"{WRONG} (after {settings.login_max_failures} failed sign-ins in a row an account is locked "
            f"for {settings.lockout_minutes:g} minutes)")  # fmt: skip


def _lock(user_id: int, now: datetime) -> None:
    accounts.lock(user_id, now, now + timedelta(minutes=get_settings().lockout_minutes))


def _open_session(user_id: int, now: datetime) -> tuple[str, Actor] | None:
    """Reset the counter and open a session, unless a concurrent failure locked the account meanwhile (then None)."""
    token = secrets.token_urlsafe(32)
    opened = accounts.open_session(user_id, now, token_digest(token), now + timedelta(hours=get_settings().session_hours))
    return (token, Actor(*opened)) if opened else None


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
    # Counted before the password is checked, in one atomic UPDATE, so no concurrent failure is lost.
    attempt = accounts.start_attempt(username, now) if username else None
    if attempt is None:
        verify_password("", password or "")  # same cost as a real check
        raise _refuse(username, accounts.why_not_started(username) if username else "unknown user")
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
    found = accounts.resume_session(token_digest(token), now, now + timedelta(hours=get_settings().session_hours))
    return Actor(*found) if found else None


def sign_out(token: str | None) -> None:
    if not token:
        return
    username = accounts.end_session(token_digest(token))
    if username is not None:
        record("signed out", username=username)


def identity_provider_actor(email: str) -> Actor:
    """A user signed in through the company's identity provider (st.login): known users keep their
    role; a first-time user is created as a viewer for an admin to promote."""
    email = (email or "").strip().lower()
    if not email:
        raise SignInError("the identity provider did not send an e-mail address")
    username, role, active = accounts.identity_provider_user(email, utcnow())
    if not active:
        raise SignInError("this account is disabled; ask an admin")
    actor = Actor(username, role)
    record("signed in", username=actor.username, detail={"via": "identity provider"})
    return actor


__all__ = ["SignInError", "hash_password", "identity_provider_actor", "resume", "sign_in", "sign_out"]
