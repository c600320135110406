"""Accounts on a real database: hashing, lockout, expiry, bootstrap from CLI and environment, audit rows."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import auth
from core.auth.roles import Actor, PermissionDenied, acting_as
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import LoginSession, User, utcnow
from tests.support.threads import thread_as_current_user

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
    with pytest.raises(auth.SignInError, match="wrong username or password"):
        auth.sign_in("ana", PASSWORD, now=now + timedelta(minutes=1))
    assert auth.list_events(action="sign-in failed")[0]["detail"] == {"reason": "locked"}
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
        with pytest.raises(PermissionDenied, match="ana is an analyst and cannot create users; this needs the admin role"):
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
    untyped = subprocess.run([sys.executable, "-m", "core", "users", "create", "bob"], cwd=REPO_ROOT, input="",
                             capture_output=True, text=True)  # fmt: skip
    assert untyped.returncode == 1
    assert untyped.stderr.strip().endswith("error: no password was typed; in a script, pass it on standard input with "
                                           "--password-stdin")  # fmt: skip


def test_cli_disables_an_account_ending_its_sessions_and_enables_it_again(db):
    auth.create_user("ana", PASSWORD, "analyst")
    token, _ = auth.sign_in("ana", PASSWORD)
    done = subprocess.run([sys.executable, "-m", "core", "users", "disable", "ana"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ana is disabled; their open sessions ended", done.stderr
    assert auth.resume(token) is None
    with pytest.raises(auth.SignInError):
        auth.sign_in("ana", PASSWORD)
    done = subprocess.run([sys.executable, "-m", "core", "users", "enable", "ana"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "ana is enabled"
    assert auth.sign_in("ana", PASSWORD)[1] == Actor("ana", "analyst")


def test_the_first_admin_can_come_from_the_environment_once(db, monkeypatch):
    monkeypatch.setenv("BEACON_ADMIN_USER", "boss")
    monkeypatch.setenv("BEACON_ADMIN_PASSWORD", PASSWORD)
    get_settings.cache_clear()
    assert auth.create_admin_from_environment() is True
    assert auth.create_admin_from_environment() is False  # never again once users exist
    assert auth.sign_in("boss", PASSWORD)[1].role == "admin"
    assert PASSWORD not in repr(get_settings())  # secrets never appear in logs of the settings


def _sign_in_at_once(username: str, passwords: list[str], release: threading.Barrier | None = None) -> list[str]:
    """Call sign_in from one thread per password, all released together; each thread's outcome ("ok" or the error)."""
    release = release or threading.Barrier(len(passwords))
    outcomes = [""] * len(passwords)

    def attempt(i: int) -> None:
        release.wait()
        try:
            auth.sign_in(username, passwords[i])
            outcomes[i] = "ok"
        except auth.SignInError as exc:
            outcomes[i] = str(exc)

    threads = [thread_as_current_user(attempt, i) for i in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def _is_the_one_refusal(answer: str) -> bool:
    """Wrong password, unknown user or locked account: the visitor gets one and the same answer."""
    return answer.startswith("wrong username or password")


def _locked(username: str) -> bool:
    with session_scope() as session:
        locked_until = session.scalar(select(User.locked_until).where(User.username == username))
    return locked_until is not None and locked_until > utcnow()


def _checked_wrong_passwords(username: str) -> int:
    return sum(e["detail"].get("reason") == "wrong password" for e in auth.list_events(username=username, action="sign-in failed"))


def test_concurrent_wrong_passwords_lock_the_account_and_never_check_more_than_the_limit(db):
    auth.create_user("ana", PASSWORD, "viewer")
    limit = get_settings().login_max_failures
    outcomes = _sign_in_at_once("ana", ["wrong password!"] * 29 + [PASSWORD])
    assert outcomes.count("ok") <= 1
    assert all(o == "ok" or _is_the_one_refusal(o) for o in outcomes), set(outcomes)
    assert _locked("ana")  # 29 wrong passwords lock the account whatever the order
    # each failure is counted: at most `limit` guesses are checked per lock (one success may restart the count once)
    assert _checked_wrong_passwords("ana") <= 2 * limit - 1
    with pytest.raises(auth.SignInError):
        auth.sign_in("ana", PASSWORD)


def _wait_until_counted(username: str, attempts: int, seconds: float = 30) -> None:
    """Wait until ``attempts`` sign-ins of ``username`` are counted (each is counted before its password is checked) or
    the account is locked, so a thread can arrive "after" a burst on a loaded machine too."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with session_scope() as session:
            counted = session.scalar(select(User.failed_logins).where(User.username == username))
        if counted >= attempts or _locked(username):
            return
        time.sleep(0.005)


def test_the_right_password_after_a_burst_of_wrong_ones_is_refused(db):
    """Eleven wrong passwords submitted at once, then the right one: the account locks, the right one cannot get in."""
    auth.create_user("ana", PASSWORD, "viewer")
    release = threading.Barrier(12)
    right: list[str] = []

    def right_password_last() -> None:
        release.wait()
        _wait_until_counted("ana", get_settings().login_max_failures)  # "then the right one": after the burst is counted
        try:
            auth.sign_in("ana", PASSWORD)
            right.append("ok")
        except auth.SignInError as exc:
            right.append(str(exc))

    late = thread_as_current_user(right_password_last)
    late.start()
    outcomes = _sign_in_at_once("ana", ["wrong password!"] * 11, release)
    late.join(120)
    assert all(map(_is_the_one_refusal, outcomes)), set(outcomes)
    assert len(right) == 1 and _is_the_one_refusal(right[0]), right
    assert _locked("ana")
    assert _checked_wrong_passwords("ana") <= get_settings().login_max_failures


def test_a_locked_account_and_an_unknown_user_get_the_same_answer_but_the_audit_log_tells_them_apart(db):
    auth.create_user("ana", PASSWORD, "viewer")
    for _ in range(get_settings().login_max_failures):
        with pytest.raises(auth.SignInError):
            auth.sign_in("ana", "wrong password!")
    answers = []
    for username, password in (("ana", PASSWORD), ("nobody", PASSWORD), ("ana", "wrong password!")):
        with pytest.raises(auth.SignInError) as refused:
            auth.sign_in(username, password)
        answers.append(str(refused.value))
    assert _is_the_one_refusal(answers[0]) and answers == [answers[0]] * 3, answers
    reasons = [e["detail"]["reason"] for e in auth.list_events(action="sign-in failed")[:3]]
    assert reasons == ["locked", "unknown user", "locked"]


def test_the_setup_link_creates_the_first_admin_once_and_only_with_its_token(db):
    token = auth.issue_setup_token()
    stored = get_settings().data_dir / "setup_token"
    assert stored.stat().st_mode & 0o777 == 0o600 and token not in stored.read_text()  # only a digest, owner-only
    assert auth.setup_link(token) == f"{get_settings().base_url}/?setup={token}"
    assert auth.setup_token_valid(token) and not auth.setup_token_valid(token[:-1] + "x") and not auth.setup_token_valid("")
    with pytest.raises(auth.SetupLinkError):
        auth.create_first_admin_with_token("made-up-token", "mallory", PASSWORD)
    with pytest.raises(ValueError, match="at least 10 characters"):
        auth.create_first_admin_with_token(token, "root", "short")
    assert auth.user_count() == 0 and auth.setup_token_valid(token)  # bad input loses nothing: the link still works
    auth.create_first_admin_with_token(token, "root", PASSWORD)
    assert auth.sign_in("root", PASSWORD)[1] == Actor("root", "admin")
    assert not auth.setup_token_valid(token) and not stored.exists()
    with pytest.raises(auth.SetupLinkError):
        auth.create_first_admin_with_token(token, "eve", PASSWORD)
    assert auth.issue_setup_token() is None  # an account exists: no new link
    events = [(e["user"], e["action"], e["target"], e["outcome"]) for e in auth.list_events(action="first admin created")]
    assert events == [("setup", "first admin created", "eve", "refused"), ("setup", "first admin created", "mallory", "refused")]
    [created] = auth.list_events(action="user created")
    assert (created["user"], created["target"], created["detail"]) == ("setup", "root", {"role": "admin", "via": "setup link"})


def test_a_newer_setup_link_replaces_the_older_one_and_an_admin_from_the_command_line_ends_it(db):
    first, second = auth.issue_setup_token(), auth.issue_setup_token()
    assert not auth.setup_token_valid(first) and auth.setup_token_valid(second)
    assert auth.create_first_admin("boss", PASSWORD)
    assert not auth.setup_token_valid(second)


def test_setup_prints_a_one_time_link_while_no_account_exists(db):
    done = subprocess.run([sys.executable, "-m", "core", "setup"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    [line] = [line for line in done.stdout.splitlines() if "/?setup=" in line]
    token = line.split("/?setup=", 1)[1].split()[0]
    assert auth.setup_token_valid(token)
    auth.create_first_admin_with_token(token, "root", PASSWORD)
    again = subprocess.run([sys.executable, "-m", "core", "setup"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert again.returncode == 0 and "setup=" not in again.stdout


def test_a_long_audit_log_says_what_the_table_leaves_out_and_the_download_has_every_event(db, monkeypatch):
    from core.auth import roles
    from core.views import admin as view

    for i in range(505):
        auth.record("feed added", f"feed {i}", username="ana")
    auth.record("user created", "li", username="root")
    shown = auth.list_events()
    assert len(shown) == 500 and auth.count_events() == 506 and auth.count_events(username="ana") == 505
    assert view.audit_caption(len(shown), auth.count_events()) == "The newest 500 of 506 matching events; the download has all 506."
    assert view.audit_caption(1, 1) is None

    monkeypatch.setattr(roles, "_process_actor", None)  # as in the app: nobody acts for the whole process
    with acting_as(Actor("root", "admin")):
        download = view.audit_download(username="ana")
    made: list[bytes] = []
    worker = threading.Thread(target=lambda: made.append(download()))  # Streamlit calls it from a server thread
    worker.start()
    worker.join()
    lines = made[0].decode("utf-8").strip().splitlines()
    assert len(lines) == 1 + 505 and all(",ana," in line for line in lines[1:])
    assert lines[0] == "When (UTC),User,Action,Target,Outcome,Detail"  # headed as the table is
    with acting_as(Actor("vic", "viewer")), pytest.raises(PermissionDenied):
        view.audit_download()()  # made for someone who is not an admin: refused, as the page would be


def test_the_only_active_admin_can_neither_lose_the_role_nor_be_disabled(db):
    auth.create_user("boss", PASSWORD, "admin")
    with pytest.raises(ValueError, match="boss is the only active admin: make another user an admin first"):
        auth.set_role("boss", "analyst")
    with pytest.raises(ValueError, match="boss is the only active admin"):
        auth.set_active("boss", False)  # e.g. from another session acting as an admin
    assert auth.admin_names() == ["boss"]
    auth.create_user("deputy", PASSWORD, "analyst")
    auth.set_role("deputy", "admin")
    auth.set_role("boss", "analyst")  # another admin is left: allowed
    assert auth.admin_names() == ["deputy"]


def test_two_admins_demoting_each_other_at_once_leave_one(db):
    if get_settings().database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one write at a time; the race needs PostgreSQL's row locks")
    for round_ in range(5):  # without the lock, some rounds leave no admin
        pair = (f"ann{round_}", f"bo{round_}")
        for name in pair:
            auth.create_user(name, PASSWORD, "admin")
        outcomes: list[str] = []
        start = threading.Barrier(2)

        def demote(name: str, start: threading.Barrier, outcomes: list[str]) -> None:
            start.wait()
            try:
                auth.set_role(name, "viewer")
                outcomes.append("demoted")
            except ValueError:
                outcomes.append("refused")

        threads = [thread_as_current_user(demote, name, start, outcomes) for name in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["demoted", "refused"] and len(auth.admin_names()) == 1
        with session_scope() as session:  # the next round starts from its own two admins only
            session.scalar(select(User).where(User.username.in_(pair), User.role == "admin")).role = "viewer"
