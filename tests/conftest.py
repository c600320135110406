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


@pytest.fixture(autouse=True)
def acting_admin() -> Iterator[None]:
    """Core actions check the acting user's role; tests act as an admin unless they say otherwise
    (the role-matrix test switches actors with ``core.auth.acting_as``)."""
    from core.auth.roles import Actor, acting_as

    with acting_as(Actor("tests", "admin")):
        yield


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


TINY_SENTIMENT = [
    ("Operating profit rose sharply to a record", "positive"),
    ("Quarterly sales jumped and the outlook was raised", "positive"),
    ("Shares soared after strong results", "positive"),
    ("The company swung to a large loss and cut jobs", "negative"),
    ("Sales fell and the dividend was cancelled", "negative"),
    ("Shares plunged after a profit warning", "negative"),
    ("The annual meeting is held in Helsinki on Tuesday", "neutral"),
    ("The company is headquartered in Espoo", "neutral"),
    ("The report will be published in April", "neutral"),
] * 4
TINY_TOPIC = [
    ("Quarterly earnings beat estimates", "Earnings"),
    ("Profit and revenue results for the quarter", "Earnings"),
    ("The central bank raised interest rates", "Fed | Central Banks"),
    ("Fed officials signal more rate hikes", "Fed | Central Banks"),
] * 5


@pytest.fixture(scope="session")
def tiny_trained():
    """Small head-only models trained in seconds; tests register them per database."""
    from core.nlp.training import TrainingParams, train_classifier

    out = {}
    for task, rows in (("sentiment", TINY_SENTIMENT), ("topic", TINY_TOPIC)):
        out[task] = train_classifier(
            [t for t, _ in rows], [lab for _, lab in rows], TrainingParams(method="head", epochs=40, seed=1)
        )
    return out


@pytest.fixture
def tiny_models(db, tiny_trained):
    """Register the tiny models as the active sentiment and topic versions of the test database."""
    from core.nlp.registry import register_trained

    return {task: register_trained(result, task, created_by="tests") for task, result in tiny_trained.items()}


@pytest.fixture(scope="session")
def local_ray() -> Iterator[str]:
    """One local Ray (2 CPUs) for the whole test run, started at most once; yields its address. The engine in this
    process joins it instead of starting its own, and a run's own process joins it through BEACON_RAY_ADDRESS.
    Only this Ray is shut down at the end (never `ray stop`: other Ray instances on the machine are not ours)."""
    ray = pytest.importorskip("ray")
    if not ray.is_initialized():
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()
