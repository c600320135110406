"""Signing in to the app: no default account, wrong passwords refused, lockout, expiry, roles in the menu."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from core.auth import create_user, issue_setup_token, list_events, list_users, setup_token_valid, user_count
from core.auth.sessions import refusal
from core.storage import session_scope
from core.storage.tables import LoginSession, utcnow
from core.wording import capitalised
from tests.app.helpers import PASSWORD, ROOT, assert_no_exception, button, open_page, switch_tab, texts, widget


def column_labels(frame) -> dict[str, str]:
    """The headers a table shows: each column's configured label (the raw name when none is set)."""
    config = json.loads(frame.proto.columns or "{}")
    return {col: config.get(col, {}).get("label", col) for col in frame.value.columns}


def fresh_app() -> AppTest:
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)


def submit(at: AppTest, username: str, password: str) -> AppTest:
    widget(at.text_input, "Username").input(username)
    widget(at.text_input, "Password").input(password)
    return button(at, "Sign in").click().run()


def test_without_accounts_the_app_points_to_the_setup_link_and_nobody_can_create_an_admin_without_it(db):
    issue_setup_token()
    for query in ({}, {"setup": "made-up-token"}):
        at = fresh_app()
        at.query_params.update(query)
        at = at.run()
        assert_no_exception(at)
        assert any("open the one-time setup link that `make run` printed" in i for i in texts(at.info))
        assert not at.text_input  # no form, no default password to guess
    assert user_count() == 0


def test_the_setup_link_creates_the_first_admin_in_the_browser_and_signs_them_in(db):
    token = issue_setup_token()
    at = fresh_app()
    at.query_params["setup"] = token
    at = at.run()
    assert texts(at.subheader) == ["Create the first admin"]
    widget(at.text_input, "Admin username").input("root")
    widget(at.text_input, "Password (10+ characters)").input(PASSWORD)
    widget(at.text_input, "Password again").input(PASSWORD + "!")
    at = button(at, "Create the admin and sign in").click().run()
    assert texts(at.error) == ["The two passwords differ"] and user_count() == 0  # nothing created, the link still works
    widget(at.text_input, "Password again").input(PASSWORD)
    at = button(at, "Create the admin and sign in").click().run()
    assert_no_exception(at)
    assert texts(at.title) == ["Financial sentiment"]
    assert any("Signed in as root (admin)" in c for c in texts(at.sidebar.caption))
    assert "setup" not in at.query_params
    assert not setup_token_valid(token)
    again = fresh_app()
    again.query_params["setup"] = token
    again = again.run()
    assert not again.subheader and [t.label for t in again.text_input] == ["Username", "Password"]  # the sign-in form


def test_sign_in_with_the_right_password_opens_the_dashboard(db):
    create_user("maria", PASSWORD, "viewer")
    at = submit(fresh_app().run(), "maria", PASSWORD)
    assert_no_exception(at)
    assert texts(at.title) == ["Financial sentiment"]
    assert any("Signed in as maria (viewer)" in c for c in texts(at.sidebar.caption))
    assert [e["action"] for e in list_events(username="maria")] == ["signed in"]


def test_a_wrong_password_is_refused_without_saying_whether_the_user_exists(db):
    create_user("maria", PASSWORD, "viewer")
    at = submit(fresh_app().run(), "maria", "not the password")
    assert texts(at.error) == [capitalised(refusal())] and refusal().startswith("wrong username or password")
    at = submit(fresh_app().run(), "nobody", "not the password")
    assert texts(at.error) == [capitalised(refusal())]
    assert texts(at.title) == ["Beacon"]


def test_repeated_failures_lock_the_account_even_for_the_right_password(db):
    create_user("maria", PASSWORD, "viewer")
    at = fresh_app().run()
    for _ in range(5):
        at = submit(at, "maria", "guess guess guess")
    at = submit(at, "maria", PASSWORD)
    assert texts(at.error) == [capitalised(refusal())]  # the same answer as for an unknown user: nobody learns the account exists
    assert "after 5 failed sign-ins in a row an account is locked for 15 minutes" in refusal()
    assert texts(at.title) == ["Beacon"]
    assert list_events(username="maria", action="sign-in failed")[0]["detail"] == {"reason": "locked"}


def test_an_expired_session_asks_to_sign_in_again(db):
    at = open_page("financial_sentiment.py", role="analyst")
    assert texts(at.title) == ["Financial sentiment"]
    with session_scope() as session:
        session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(minutes=1)))
    at = at.run()
    assert texts(at.title) == ["Beacon"]
    assert "Your session has expired; please sign in again." in texts(at.info)


def test_sign_out_ends_the_session(db):
    at = open_page("financial_sentiment.py", role="viewer")
    at = at.sidebar.button(key="sign_out").click().run()
    assert texts(at.title) == ["Beacon"]
    assert [e["action"] for e in list_events(username="test-viewer")][:1] == ["signed out"]


def test_only_admins_see_the_admin_page_and_it_manages_users(db):
    at = open_page("admin.py", "Users")
    assert_no_exception(at)
    assert texts(at.title) == ["Users, audit log and settings"]
    widget(at.text_input, "Username").input("li")
    widget(at.text_input, "Initial password (10+ characters)").input("short")
    widget(at.selectbox, "Role").set_value("analyst")
    at = button(at, "Add user").click().run()
    assert_no_exception(at)
    assert at.error and not at.success
    assert (widget(at.text_input, "Username").value, widget(at.selectbox, "Role").value) == ("li", "analyst")  # kept to fix
    widget(at.text_input, "Initial password (10+ characters)").input("a-long-password")
    at = button(at, "Add user").click().run()
    assert_no_exception(at)
    assert "Added li as analyst." in texts(at.success)
    assert widget(at.text_input, "Username").value == ""  # ready for the next one
    [users] = [f for f in at.dataframe if "role" in f.value.columns]
    assert dict(zip(users.value["username"], users.value["role"]))["li"] == "analyst"
    li = users.value.set_index("username").loc["li"]
    assert (li["last_login_at"], li["locked_until"]) == ("never", "")  # not "None" in the table
    assert column_labels(users) == {"username": "User", "role": "Role", "active": "Active", "locked_until": "Locked until (UTC)",
                                    "last_login_at": "Last sign-in (UTC)", "created_at": "Created (UTC)"}  # fmt: skip
    audit = switch_tab(at, "Audit log")
    [events] = [f for f in audit.dataframe if "outcome" in f.value.columns]
    assert set(column_labels(events).values()) == {"When (UTC)", "User", "Action", "Target", "Outcome", "Detail"}
    assert "role: analyst" in events.value.loc[events.value["target"] == "li", "detail"].tolist()  # words, not {'role': ...}
    assert "user created" in widget(audit.selectbox, "Action").options  # the actions the log holds, to pick from
    widget(audit.selectbox, "Action").set_value("user created")
    audit = audit.run()
    [events] = [f for f in audit.dataframe if "outcome" in f.value.columns]
    assert set(events.value["action"]) == {"user created"} and "li" in events.value["target"].tolist()
    audit = switch_tab(switch_tab(audit, "Users"), "Audit log")
    assert widget(audit.selectbox, "Action").value == "user created"  # the filter stays after a look at the users


def test_the_audit_log_shows_changes_without_the_routine_sign_ins(db):
    from core.auth import Actor, acting_as, record

    with acting_as(Actor("ann", "admin")):
        for _ in range(3):
            record("signed in")
        record("sign-in failed", outcome="refused", username="mallory")
        record("feed changed", "Wire", detail={"interval minutes": 30})
        record("signed out")
    audit = open_page("admin.py", "Audit log")
    widget(audit.selectbox, "Action").set_value("(changes: no sign-ins or sign-outs)")
    audit = audit.run()
    assert_no_exception(audit)
    [events] = [f for f in audit.dataframe if "outcome" in f.value.columns]
    shown = events.value["action"].tolist()
    assert {"feed changed", "sign-in failed"} <= set(shown)  # a refused sign-in is no routine
    assert not {"signed in", "signed out"} & set(shown)
    assert {e["action"] for e in list_events()} >= {"signed in", "signed out"}  # left out of the view, not the log


def test_the_only_admin_cannot_demote_themselves_from_the_admin_page(db):
    at = open_page("admin.py", "Users")  # test-admin is the only admin account
    at.selectbox(key="admin_pick").set_value("test-admin")
    at.selectbox(key="admin_role").set_value("viewer")
    at = at.button(key="admin_save_role").click().run()
    assert_no_exception(at)
    assert any(e.startswith("test-admin is the only active admin: make another user an admin first") for e in texts(at.error))
    assert [u.role for u in list_users() if u.username == "test-admin"] == ["admin"]


def test_a_non_admin_on_the_admin_page_gets_a_read_only_view_without_forms(db):
    create_user("root", PASSWORD, "admin")
    for tab in ("Users", "Audit log"):
        viewer = open_page("admin.py", tab, role="viewer")
        assert_no_exception(viewer)
        assert not viewer.error  # told up front, not after submitting a form
        [info] = texts(viewer.info)
        assert "needs the admin role" in info and "signed in as test-viewer, a viewer" in info and "ask root" in info
        assert not viewer.text_input and not viewer.main.button and not viewer.selectbox and not viewer.dataframe
        assert not viewer.get("form")
    analyst = open_page("admin.py", "Users", role="analyst")
    assert "signed in as test-analyst, an analyst: you can" in texts(analyst.info)[0]  # "an", not "a analyst"
    assert list_events(action="list users") == []  # nothing was even attempted on their behalf


def test_a_viewer_gets_no_add_feed_form_and_core_refuses_them_anyway(db):
    from core.auth import Actor, PermissionDenied, acting_as
    from core.feeds import add_feed, list_feeds

    at = open_page("financial_sentiment.py", "Feeds", role="viewer")
    assert_no_exception(at)
    assert not [b for b in at.button if b.label == "Add feed"]  # told up front, not after submitting
    assert any("signed in as a viewer" in i for i in texts(at.info))
    with acting_as(Actor("test-viewer", "viewer")), pytest.raises(PermissionDenied, match="this needs the admin role"):
        add_feed("Wire", "http://127.0.0.1:9/wire.rss")
    assert list_feeds() == []

def test_a_link_opened_before_signing_in_opens_its_page_and_query_after_sign_in(db):
    """An alert e-mail's link in a browser that is not signed in: after sign-in the visitor is where the link pointed.
    (AppTest keeps the page between runs by itself; the browser test pins what a real browser does.)"""
    create_user("maria", PASSWORD, "viewer")
    at = fresh_app()
    at.switch_page("pages/alerts.py")
    at.query_params["alert"] = "1"
    at = at.run()
    assert texts(at.title) == ["Beacon"]  # the sign-in form first
    at = submit(at, "maria", PASSWORD)
    assert_no_exception(at)
    assert texts(at.title) == ["Alerts"]
    assert at.query_params["alert"] == "1"
