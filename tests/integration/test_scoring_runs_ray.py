"""Batch scoring runs on Ray (BEACON_RAY_ADDRESS): queued like a local run, picked up by the worker's step, scored by
the Ray engine on the test run's one local Ray (``local_ray``, 2 CPUs), with progress to the total, the local
engine's labels, cancel and resume, and a clear one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from core import runs as lifecycle
from core.scoring import runs
from core.scoring.ray_runs import ray_summary_path
from core.settings import REPO_ROOT, get_settings

TEXTS = ["Operating profit rose sharply to a record", "The company swung to a large loss and cut jobs",
         "The annual meeting is held in Helsinki on Tuesday", "Fed officials signal more rate hikes"]  # fmt: skip
ROWS = 90


@pytest.fixture
def ray_configured(local_ray: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs may go to the test run's Ray (chunks of 20 rows, so a run has several parts)."""
    monkeypatch.setenv("BEACON_RAY_ADDRESS", local_ray)
    monkeypatch.setenv("BEACON_SCORING_CHUNK_ROWS", "20")
    get_settings.cache_clear()
    return local_ray


def upload(tmp_path: Path, name: str) -> Path:
    """A semicolon-separated upload (a dialect Ray's own CSV reader would not take) with an empty text and a bad row."""
    lines = ["id;text;status"] + [f"{i};{TEXTS[i % 4]} {i};exported" for i in range(ROWS)]
    lines[8] = "7;;exported"
    lines.insert(30, "x;too;many;fields")
    path = tmp_path / "upload" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return runs.save_upload(name, path.read_bytes())


def exported(run_id: int) -> pd.DataFrame:
    return pd.read_csv(runs.export_path(run_id, "csv"), dtype=str, keep_default_na=False)


def worker_runs_it(run_id: int, seen: list) -> runs.RunView:
    """The worker's step for scoring runs (as jobs/scheduler.py's scoring job), without its 30 s pick-up wait."""
    _, tried = lifecycle.tend(runs.SCORING_RUN, lambda i: runs.execute_run(i, on_chunk=seen.append), waited=timedelta(0))
    assert tried == [run_id]
    return runs.get_run(run_id)


def test_a_ray_run_goes_through_the_worker_with_progress_and_the_local_labels(tiny_models, ray_configured, tmp_path):
    local_id = runs.create_run(upload(tmp_path, "local.csv"), "in.csv", "text", ["sentiment", "topic"])
    local = runs.execute_run(local_id)
    ray_id = runs.create_run(upload(tmp_path, "ray.csv"), "in.csv", "text", ["sentiment", "topic"], engine="ray")
    queued = runs.get_run(ray_id)
    assert (queued.status, queued.engine, local.engine) == ("queued", "ray", "local")
    seen: list[runs.RunView] = []
    run = worker_runs_it(ray_id, seen)
    assert run.status == "succeeded" and run.error is None, run.error
    assert (run.total_rows, run.rows_done, run.rows_ok, run.rows_empty, run.rows_bad) == (91, 91, 89, 1, 1)
    done = [view.rows_done for view in seen]
    assert len(done) >= 4 and done == sorted(done) and done[-1] == run.total_rows  # progress in steps, up to the total
    assert run.label_counts == local.label_counts and run.parts_done == len(seen)
    ours, theirs = exported(ray_id), exported(local_id)
    assert list(ours.columns) == list(theirs.columns)  # input columns (the clashing one renamed) + the local engine's
    assert list(ours["id"]) == [str(i) for i in range(ROWS)]  # file order, as locally
    assert list(ours["input_status"]) == ["exported"] * ROWS
    for column in ("status", "sentiment_label", "topic_label"):
        assert list(ours[column]) == list(theirs[column])
    confidence = [pd.to_numeric(frame["sentiment_confidence"]) for frame in (ours, theirs)]
    assert (confidence[0] - confidence[1]).abs().max() < 0.01  # bf16 on CPU, other batch neighbours
    assert runs.error_report(ray_id) == runs.error_report(local_id)  # the bad row, with its line number
    assert not (runs.run_dir(ray_id) / "ray-input").exists() and not (runs.run_dir(ray_id) / "ray-output").exists()
    job = json.loads(ray_summary_path(ray_id).read_text())  # scored by Ray's actor pool on the configured cluster
    assert (job["engine"], job["workers"], job["rows"], job["cluster"]) == ("ray", 2, 90, ray_configured)
    assert not ray_summary_path(local_id).exists()


def test_cancelling_a_ray_run_stops_it_and_resume_starts_over(tiny_models, ray_configured, tmp_path):
    run_id = runs.create_run(upload(tmp_path, "in.csv"), "in.csv", "text", ["sentiment"], engine="ray")
    run = runs.execute_run(run_id, on_chunk=lambda view: runs.request_cancel(view.id))
    assert run.status == "cancelled" and run.cancel_requested
    assert 0 < run.rows_done < run.total_rows and run.parts_done == 1  # stopped after the first part
    kept = exported(run_id)
    assert list(kept["id"]) == [str(i) for i in range(len(kept))] and len(kept) == run.rows_ok + run.rows_empty
    runs.resume_run(run_id, launch=False)
    again = runs.execute_run(run_id)
    assert again.status == "succeeded" and again.rows_done == again.total_rows == 91 and again.rows_bad == 1
    assert list(exported(run_id)["id"]) == [str(i) for i in range(ROWS)]  # scored once each, not twice


def test_errors_reach_the_run_as_one_line(tiny_models, monkeypatch, tmp_path):
    path = upload(tmp_path, "in.csv")
    with pytest.raises(ValueError, match="the Ray engine is not configured here"):
        runs.create_run(path, "in.csv", "text", ["sentiment"], engine="ray")
    monkeypatch.setenv("BEACON_RAY_ADDRESS", "local")
    get_settings.cache_clear()
    run_id = runs.create_run(path, "in.csv", "text", ["sentiment"], engine="ray")
    monkeypatch.setenv("BEACON_RAY_ADDRESS", "")  # the setting was removed before the worker got to the run
    get_settings.cache_clear()
    run = runs.execute_run(run_id)
    assert run.status == "failed" and "\n" not in run.error
    assert run.error == "the Ray engine is not configured any more (BEACON_RAY_ADDRESS is empty); resume after setting it"


def test_the_engine_column_matches_its_migration_and_downgrades(db):
    from core.storage.migrate import upgrade_database
    from tests.support.migrations import columns, downgrade_before, schema_differences

    assert schema_differences("scoring_runs") == []
    downgrade_before(db, "_scoring_engine.py")
    assert "engine" not in columns("scoring_runs")
    upgrade_database()
    assert "engine" in columns("scoring_runs")


def test_a_cluster_that_cannot_be_reached_fails_the_run_with_one_line(tiny_models, monkeypatch, tmp_path):
    """The run's own process (`python -m core score-run`, no Ray joined yet) cannot reach the configured cluster."""
    monkeypatch.setenv("BEACON_RAY_ADDRESS", "ray://127.0.0.1:1")  # nothing listens there: Ray's client gives up after 30 s
    get_settings.cache_clear()
    run_id = runs.create_run(upload(tmp_path, "in.csv"), "in.csv", "text", ["sentiment"], engine="ray")
    done = subprocess.run([sys.executable, "-m", "core", "score-run", str(run_id)], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=240)  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]
    run = runs.get_run(run_id)
    assert run.status == "failed" and run.rows_bad == 1 and run.rows_ok == 0
    assert run.error == "cannot reach the Ray cluster at 'ray://127.0.0.1:1': ray client connection timeout"


def test_a_failing_ray_task_is_told_in_one_line(local_ray):
    """What a run records when a Ray worker fails: the remote error's own line, not Ray's traceback."""
    import ray

    from core.scoring.ray_engine import one_line

    @ray.remote(num_cpus=0)
    def broken() -> None:
        raise LookupError("task 'sentiment' has no version 3 any more")

    with pytest.raises(Exception) as failed:  # noqa: PT011 - Ray wraps it in its own error class
        ray.get(broken.remote())
    assert "\n" in str(failed.value)  # Ray's message carries the remote traceback
    assert one_line(failed.value) == "LookupError: task 'sentiment' has no version 3 any more"
