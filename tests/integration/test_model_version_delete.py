"""Deleting a model version: never the active one nor one a queued or running run needs; its files go, its number
is never given again, and what names it says it was deleted."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.auth import list_events
from core.nlp import registry
from core.settings import REPO_ROOT, get_settings
from core.storage import session_scope
from core.storage.tables import ScoringRun, TrainingRun, utcnow


def _second_version(tiny_trained) -> int:
    return registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="ana").version


def _unfinished_run(table, **fields) -> int:
    with session_scope() as session:
        row = table(status="queued", **fields)
        session.add(row)
        session.flush()
        return row.id


def _finish(table, run_id: int) -> None:
    with session_scope() as session:
        session.get(table, run_id).status = "cancelled"


def test_a_version_is_deleted_with_its_files_and_its_number_is_not_given_again(tiny_models, tiny_trained):
    version = _second_version(tiny_trained)
    folder = get_settings().model_dir / registry.get_version("sentiment", version).path
    assert folder.is_dir()
    gone = registry.delete_version("sentiment", version)
    assert gone.deleted_by == "tests" and not folder.exists()
    assert version not in [v.version for v in registry.list_versions("sentiment")]
    with pytest.raises(LookupError, match=f"sentiment v{version} was deleted by tests on "):
        registry.get_version("sentiment", version)
    with pytest.raises(LookupError, match="was deleted"):
        registry.promote("sentiment", version)
    assert registry.deleted_text("sentiment", version).startswith(f"v{version} was deleted by tests")
    assert registry.deleted_text("sentiment", 1) is None
    assert _second_version(tiny_trained) == version + 1  # the number stays taken
    event = next(e for e in list_events(limit=20) if e["action"] == "model version deleted")
    assert event["target"] == f"sentiment v{version}" and event["user"] == "tests"


def test_the_active_version_and_one_a_run_needs_cannot_be_deleted(tiny_models, tiny_trained):
    with pytest.raises(ValueError, match="sentiment v1 is the active version: promote another version first"):
        registry.delete_version("sentiment", 1)
    version = _second_version(tiny_trained)
    scoring = _unfinished_run(ScoringRun, file_name="f.csv", input_path="f.csv", text_column="text", tasks=["sentiment"],
                              model_versions={"sentiment": version})  # fmt: skip
    compression = _unfinished_run(TrainingRun, task="sentiment", method="full", data_path="", params={"from_version": version})
    with pytest.raises(ValueError, match=f"in use by scoring run {scoring} and compression run {compression}: wait"):
        registry.delete_version("sentiment", version)
    _finish(ScoringRun, scoring)
    with pytest.raises(ValueError, match=f"in use by compression run {compression}: wait"):
        registry.delete_version("sentiment", version)
    _finish(TrainingRun, compression)
    registry.delete_version("sentiment", version)
    assert registry.active_version("sentiment").version == 1


def test_rolling_back_skips_a_deleted_version(tiny_models, tiny_trained):
    second, third = _second_version(tiny_trained), _second_version(tiny_trained)
    registry.promote("sentiment", second)
    registry.promote("sentiment", third)
    registry.promote("sentiment", 1)
    registry.delete_version("sentiment", third)
    assert registry.rollback("sentiment").version == second  # the last active before v1 that still exists


def test_the_cli_deletes_a_version_and_refuses_the_active_one_in_one_line(tiny_models, tiny_trained):
    version = _second_version(tiny_trained)
    command = [sys.executable, "-m", "core", "models", "delete", "--task", "sentiment", "--version"]
    done = subprocess.run([*command, "1"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.strip() == (
        "error: sentiment v1 is the active version: promote another version first, then delete this one")
    done = subprocess.run([*command, str(version)], cwd=REPO_ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"sentiment v{version} deleted" in done.stdout
    assert version not in [v.version for v in registry.list_versions("sentiment")]
    listing = [sys.executable, "-m", "core", "models", "list", "--task", "sentiment"]
    shown = subprocess.run(listing, cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert f" v{version} " not in shown and " v1 " in shown
    shown = subprocess.run([*listing, "--deleted"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    [line] = [line for line in shown.splitlines() if f" v{version} " in line]
    assert line.endswith(f"[deleted by cli on {utcnow():%Y-%m-%d}]")  # a number scoring runs name is found again


def test_the_deleted_columns_match_their_migration_and_downgrade(db):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import columns, downgrade_before, schema_differences

    assert schema_differences("model_versions") == []
    downgrade_before(db, "_model_version_deleted.py")
    assert "deleted_at" not in columns("model_versions")
    upgrade_database()
    assert {"deleted_at", "deleted_by"} <= columns("model_versions")


def test_a_version_promoted_after_the_check_is_still_not_marked_deleted(tiny_models):
    from core.repositories import models as model_rows

    with pytest.raises(ValueError, match="sentiment v1 is the active version"):
        model_rows.mark_deleted("sentiment", 1, "ana")  # what delete_version reaches if v1 was promoted meanwhile
    assert registry.get_version("sentiment", 1).deleted_at is None
