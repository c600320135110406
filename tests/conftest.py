"""Shared fixtures: a fresh database per test (SQLite always, PostgreSQL when available)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
POSTGRES_URL = os.environ.get("BEACON_TEST_POSTGRES_URL", "")


def _backends() -> list[str]:
    return ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture
def beacon_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point settings at a temporary data folder; the model folder is shared across tests
    so the shipped default models are installed once per session, not per test."""
    from core.settings import get_settings
    from core.storage import reset_engines

    monkeypatch.setenv("BEACON_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'beacon.db'}")
    monkeypatch.setenv("BEACON_FEED_ALLOWED_HOSTS", "127.0.0.1,localhost")
    get_settings.cache_clear()
    reset_engines()
    yield tmp_path
    reset_engines()
    get_settings.cache_clear()


@pytest.fixture(params=_backends())
def db(request: pytest.FixtureRequest, beacon_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database; yields its URL. Runs once per available backend."""
    from core.settings import get_settings
    from core.storage import reset_engines, upgrade_database

    if request.param == "postgresql":
        _reset_postgres(POSTGRES_URL)
        monkeypatch.setenv("DATABASE_URL", POSTGRES_URL)
        get_settings.cache_clear()
        reset_engines()
    upgrade_database()
    yield get_settings().database_url
    reset_engines()


def shared_data(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test when the folder is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available (../shared is absent)")
    return path
