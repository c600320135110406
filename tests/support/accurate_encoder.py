"""Fixtures for tests that need the accurate base encoder: assembled once per session from the installed packages
(about 2 s), then linked into each test's model folder. Import ``assembled_fixture`` and ``accurate_model_dir_fixture``
into a test module; tests ask for ``assembled`` and ``accurate_model_dir``. ``shared_accurate_encoder`` (module scope)
lets every test of a module load models on the accurate encoder, such as the shipped sentiment model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", name="assembled")
def assembled_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The encoder assembled once from the real packages (skips when they are not installed)."""
    from core.nlp import accurate_encoder as acc
    from core.nlp.base_model import BaseEncoderUnavailable

    try:
        parts = acc.package_parts()
    except BaseEncoderUnavailable as exc:
        pytest.skip(str(exc))
    return acc.assemble(parts, tmp_path_factory.mktemp("base") / "all-mpnet-base-v2")


@pytest.fixture(name="accurate_model_dir")
def accurate_model_dir_fixture(assembled: Path, beacon_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings whose model folder holds the assembled encoder (a link to the session's copy; child processes see
    it through BEACON_MODEL_DIR)."""
    from core.settings import get_settings

    model_dir = beacon_env / "models"
    (model_dir / "base").mkdir(parents=True, exist_ok=True)
    (model_dir / "base" / "all-mpnet-base-v2").symlink_to(assembled, target_is_directory=True)
    monkeypatch.setenv("BEACON_MODEL_DIR", str(model_dir))
    get_settings.cache_clear()
    return model_dir


@pytest.fixture(scope="module", name="shared_accurate_encoder")
def shared_accurate_encoder_fixture(assembled: Path) -> Iterator[Path]:
    """``BEACON_ACCURATE_MODEL_DIR`` pointing at the session's assembled copy for a module's tests: models on the
    accurate encoder (the shipped sentiment model) load and score whatever data folder a test uses."""
    from core.settings import get_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BEACON_ACCURATE_MODEL_DIR", str(assembled))
        get_settings.cache_clear()
        yield assembled
    get_settings.cache_clear()
