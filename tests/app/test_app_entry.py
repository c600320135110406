"""The app entry point: navigation, one-time migration, and a clear message when the database is unusable."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.settings import get_settings
from core.storage import reset_engines
from tests.app.helpers import ROOT, assert_no_exception, open_page, sign_in_as, texts
from ui import TAB_PARAM


def test_the_app_opens_on_financial_sentiment_and_navigates_to_alerts(db):
    at = sign_in_as(AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)).run()
    assert_no_exception(at)
    assert texts(at.title) == ["Financial sentiment"]
    at.switch_page("pages/alerts.py").run()
    assert_no_exception(at)
    assert texts(at.title) == ["Alerts"]


def test_the_app_migrates_a_fresh_database_on_start(beacon_env):
    from core.feeds import list_feeds

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert_no_exception(at)
    assert list_feeds() == []  # the tables exist: the app ran the migrations itself


def test_an_unusable_database_shows_what_to_fix_instead_of_a_traceback(beacon_env, monkeypatch):
    blocker = beacon_env / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{blocker / 'beacon.db'}")
    get_settings.cache_clear()
    reset_engines()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert_no_exception(at)
    [error] = texts(at.error)
    assert error.startswith("Beacon cannot open its database sqlite:///") and "Check DATABASE_URL" in error
    assert not at.title  # no page ran


def test_a_database_upgraded_by_a_newer_beacon_is_named_as_such_and_left_unchanged(db):
    import streamlit as st
    from sqlalchemy import text

    from core.storage import get_engine

    with get_engine().begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))  # a later release's schema
    st.cache_resource.clear()  # another test's app may have prepared this same PostgreSQL database already
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert_no_exception(at)
    [error] = texts(at.error)
    assert "was upgraded by a newer version of Beacon (schema 0999; this version knows up to" in error
    assert "restore a backup" in error and "DATABASE_URL" not in error and not at.title
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"


def test_a_page_that_fails_unforeseen_says_so_plainly_and_logs_the_traceback(db, caplog):
    from sqlalchemy import text

    from core.storage import get_engine
    from core.views.app import PAGE_FAILED

    at = open_page("alerts.py")
    assert_no_exception(at)
    with get_engine().begin() as conn:
        cascade = " CASCADE" if conn.dialect.name == "postgresql" else ""
        conn.execute(text(f"DROP TABLE alerts{cascade}"))  # a damaged database the start-up check did not see
    with caplog.at_level("ERROR", logger="beacon.app"):
        at.run()
    assert not at.exception  # no traceback on the page ...
    [error] = [e for e in texts(at.error) if e.startswith(PAGE_FAILED)]
    assert "alerts" in error and "SELECT" not in error and error.endswith("if it keeps happening, tell an admin.")
    assert "Traceback" in caplog.text and "a page failed" in caplog.text  # ... but in the app's log


def test_a_setting_that_cannot_be_used_is_named_not_blamed_on_the_database(beacon_env, monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "abc")
    get_settings.cache_clear()
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    assert_no_exception(at)
    [error] = texts(at.error)
    assert error.startswith("Beacon cannot start: environment variable SMTP_PORT must be a whole number, got 'abc'.")
    assert error.endswith("Correct the setting, then restart Beacon.")
    assert "DATABASE_URL" not in error and not at.title  # no page ran
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("page", "tab", "shows"),
    [("model_studio.py", "Runs", "No training runs yet"), ("alerts.py", "Digests", "No digests yet"),
     ("customer_service.py", "Log", "No questions asked"), ("admin.py", "Audit log", "Download the log (CSV)")],
)
def test_every_page_keeps_its_open_tab_in_the_address_under_one_name(db, page, tab, shows):
    at = open_page(page, tab)
    assert_no_exception(at)
    assert at.session_state[TAB_PARAM] == tab
    assert shows in " ".join(texts(at.markdown) + texts(at.info) + texts(at.caption) + [b.label for b in at.get("download_button")])


@pytest.mark.parametrize(
    ("page", "old_param", "tab"),
    [("model_studio.py", "studio", "Runs"), ("alerts.py", "view", "Digests"), ("recommendations.py", "rec", "Evaluate"),
     ("customer_service.py", "cs_view", "Log"), ("admin.py", "admin", "Audit log")],
)
def test_a_link_saved_with_the_pages_old_tab_parameter_still_opens_its_tab(db, page, old_param, tab):
    at = open_page(page, **{old_param: tab})
    assert_no_exception(at)
    assert at.session_state[TAB_PARAM] == tab
    assert old_param not in at.query_params  # the address now says ?tab=…
