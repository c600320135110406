"""Secrets come from the environment or Streamlit's secrets.toml and never show in the settings' repr."""

from __future__ import annotations

import re

import pytest

from core import settings as settings_module
from core.settings import get_settings


@pytest.fixture
def secrets_file(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    monkeypatch.setattr(settings_module, "SECRETS_FILES", (path,))
    for name in ("SMTP_PASSWORD", "DATABASE_URL", "BEACON_ADMIN_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_secrets_toml_is_read_when_the_environment_has_none(secrets_file, monkeypatch):
    secrets_file.write_text('SMTP_PASSWORD = "s3cret-from-toml"\nDATABASE_URL = "postgresql+psycopg://app:pw-in-url@db/beacon"\n')
    settings = get_settings()
    assert settings.smtp_password == "s3cret-from-toml"
    assert settings.database_url.endswith("@db/beacon")
    assert "s3cret-from-toml" not in repr(settings) and "pw-in-url" not in repr(settings)
    monkeypatch.setenv("SMTP_PASSWORD", "from-env")
    get_settings.cache_clear()
    assert get_settings().smtp_password == "from-env"  # the environment wins


def test_a_broken_secrets_file_is_named(secrets_file):
    secrets_file.write_text("SMTP_PASSWORD = \n")
    with pytest.raises(ValueError, match="secrets.toml is not valid TOML"):
        get_settings()


@pytest.mark.parametrize("url", ["mysql://app:pw-in-url@db/beacon", "postgres://app:pw-in-url@db/beacon", "beacon.db"])
def test_a_database_url_that_is_neither_sqlite_nor_postgresql_is_refused_without_its_password(secrets_file, monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(settings_module.SettingsError, match="DATABASE_URL must be a SQLite .* or PostgreSQL") as caught:
        get_settings()
    assert "pw-in-url" not in str(caught.value)


def test_sqlite_and_postgresql_addresses_with_a_driver_are_accepted(secrets_file, monkeypatch):
    for url in ("sqlite:////tmp/beacon.db", "postgresql+psycopg://app:pw@db/beacon", "postgresql://app:pw@db/beacon"):
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        assert get_settings().database_url == url


@pytest.mark.parametrize(("name", "value"), [("BEACON_DEVICE", "gpu"), ("BEACON_AUTH_MODE", "odic"),
                                             ("BEACON_SCORING_PRECISION", "int8"), ("BEACON_RECOMMEND_BASE", "huge")])
def test_a_setting_with_a_fixed_set_of_values_names_them_instead_of_falling_back_silently(secrets_file, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings_module.SettingsError, match=f"{name} must be one of .*; got '{value}'"):
        get_settings()
    monkeypatch.setenv(name, "")  # blank: the default again
    get_settings.cache_clear()
    assert get_settings()


@pytest.mark.parametrize(("value", "expected"), [("yes", True), ("On", True), ("0", False), ("false", False)])
def test_a_yes_no_setting_reads_the_usual_words(secrets_file, monkeypatch, value, expected):
    monkeypatch.setenv("SMTP_STARTTLS", value)
    assert get_settings().smtp_starttls is expected


def test_a_misspelt_yes_no_setting_stops_the_start_instead_of_meaning_off(secrets_file, monkeypatch):
    monkeypatch.setenv("SMTP_STARTTLS", "ture")
    with pytest.raises(settings_module.SettingsError, match="SMTP_STARTTLS must be 1 or 0 .*got 'ture'"):
        get_settings()


@pytest.mark.parametrize(("name", "value", "says"), [
    ("BEACON_SUPPORT_CONFIDENCE_THRESHOLD", "60", "from 0 to 1, got 60"),  # a percent where a share is meant
    ("SMTP_PORT", "0", "from 1 to 65535, got 0"),
    ("BEACON_UPLOAD_MAX_MB", "-5", "above 0, got '-5'"),
    ("BEACON_SESSION_HOURS", "nan", "a finite number, got 'nan'"),
    ("BEACON_MAX_RUN_PROCESSES", "0", "at least 1, got 0"),
])
def test_a_number_outside_its_range_stops_the_start_with_the_range(secrets_file, monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    with pytest.raises(settings_module.SettingsError, match=f"{name} must be {re.escape(says)}"):
        get_settings()


def test_an_unknown_operating_point_stops_the_start_instead_of_the_ask_page(secrets_file, monkeypatch):
    monkeypatch.setenv("BEACON_SUPPORT_OPERATING_POINT", "carefull")
    with pytest.raises(settings_module.SettingsError, match="unknown operating point 'carefull'.*'be more careful'"):
        get_settings()
    monkeypatch.setenv("BEACON_SUPPORT_OPERATING_POINT", "Be-More-Careful")
    get_settings.cache_clear()
    assert get_settings().support_operating_point == "be more careful"


def test_the_negative_tone_escalation_can_be_turned_off(secrets_file, monkeypatch):
    monkeypatch.setenv("BEACON_SUPPORT_NEGATIVE_THRESHOLD", "off")
    assert get_settings().support_negative_threshold > 1  # no probability reaches it
    monkeypatch.setenv("BEACON_SUPPORT_NEGATIVE_THRESHOLD", "1.01")  # how it was turned off before "off"
    get_settings.cache_clear()
    with pytest.raises(settings_module.SettingsError, match=r"from 0 to 1, got 1.01 \(or off, so that"):
        get_settings()
