"""Accounts on a real database: hashing, lockout, expiry, bootstrap from CLI and environment, audit rows."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import auth
from core.auth.roles import Actor, PermissionDenied, acting_as
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import LoginSession, User, utcnow

REPO_ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


def test_passwords_are_stored_as_argon2id_hashes_only(db):
    auth.create_user("ana", PASSWORD, "analyst")
    with session_scope() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "ana"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    token, actor = auth.sign_in("ana", PASSWORD)
    assert actor == Actor("ana", "analyst")
    with session_scope() as session:
        assert session.scalar(select(LoginSession.token_hash)) != token  # only the token's digest is kept


def test_weak_passwords_duplicate_names_and_bad_roles_are_refused(db):
    with pytest.raises(ValueError, match="at least 10 characters"):
        auth.create_user("ana", "short", "viewer")
    auth.create_user("ana", PASSWORD, "viewer")
    with pytest.raises(ValueError, match="already exists"):
        auth.create_user("ANA", PASSWORD, "viewer")
    with pytest.raises(ValueError, match="unknown role"):
        auth.create_user("bo", PASSWORD, "owner")


def test_lockout_after_five_failures_then_unlock_after_the_lockout_time(db):
    auth.create_user("ana", PASSWORD, "viewer")
    now = utcnow()
    for _ in range(5):
        with pytest.raises(auth.SignInError, match="wrong username or password"):
            auth.sign_in("ana", "wrong password!", now=now)
    with pytest.raises(auth.SignInError, match="locked"):
        auth.sign_in("ana", PASSWORD, now=now + timedelta(minutes=1))
    minutes = get_settings().lockout_minutes
    token, _ = auth.sign_in("ana", PASSWORD, now=now + timedelta(minutes=minutes + 1))
    assert auth.resume(token) is not None


def test_sessions_expire_when_idle_and_end_on_sign_out_or_disable(db):
    auth.create_user("ana", PASSWORD, "viewer")
    now = utcnow()
    token, _ = auth.sign_in("ana", PASSWORD, now=now)
    hours = get_settings().session_hours
    assert auth.resume(token, now=now + timedelta(hours=hours - 1)) == Actor("ana", "viewer")  # slides the expiry
    assert auth.resume(token, now=now + timedelta(hours=2 * hours)) is None
    token, _ = auth.sign_in("ana", PASSWORD)
    auth.set_active("ana", False)
    assert auth.resume(token) is None
    with pytest.raises(auth.SignInError):
        auth.sign_in("ana", PASSWORD)
    auth.set_active("ana", True)
    token, _ = auth.sign_in("ana", PASSWORD)
    auth.sign_out(token)
    assert auth.resume(token) is None
    assert auth.resume("made-up-token") is None


def test_user_management_is_admin_only_and_audited(db):
    auth.create_user("ana", PASSWORD, "analyst")
    with acting_as(Actor("ana", "analyst")):
        with pytest.raises(PermissionDenied, match="ana is a analyst and cannot create users; this needs the admin role"):
            auth.create_user("eve", PASSWORD, "admin")
    auth.set_role("ana", "viewer")
    events = auth.list_events()
    assert [(e["user"], e["action"], e["outcome"]) for e in events[:3]] == [
        ("tests", "role changed", "ok"),
        ("ana", "create users", "refused"),
        ("tests", "user created", "ok"),
    ]
    assert all(PASSWORD not in str(e) for e in events)


def test_cli_creates_the_first_admin_without_a_default_password(db):
    done = subprocess.run(
        [sys.executable, "-m", "core", "users", "create", "--admin", "root", "--password-stdin"],
        cwd=REPO_ROOT, input=PASSWORD + "\n", capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert auth.sign_in("root", PASSWORD)[1] == Actor("root", "admin")
    short = subprocess.run(
        [sys.executable, "-m", "core", "users", "create", "bob", "--password-stdin"],
        cwd=REPO_ROOT, input="short\n", capture_output=True, text=True,
    )  # fmt: skip
    assert short.returncode == 1 and "at least 10 characters" in short.stderr


def test_the_first_admin_can_come_from_the_environment_once(db, monkeypatch):
    monkeypatch.setenv("BEACON_ADMIN_USER", "boss")
    monkeypatch.setenv("BEACON_ADMIN_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    assert auth.create_admin_from_environment() is True
    assert auth.create_admin_from_environment() is False  # never again once users exist
    assert auth.sign_in("boss", PASSWORD)[1].role == "admin"
    assert PASSWORD not in repr(get_settings())  # secrets never appear in logs of the settings
