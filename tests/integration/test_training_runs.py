"""Training runs end to end on a real database: queue -> train -> register -> compare -> promote,
used by the CLI scorer; rollback; cancellation; failures and dead processes leave the active model alone."""

from __future__ import annotations

import csv
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from core.nlp import registry
from core.nlp.datacheck import check_labelled_data
from core.nlp.runs import (
    execute_run,
    get_run,
    launch_run,
    list_runs,
    mark_interrupted_runs,
    queue_run,
    request_cancel,
)
from core.nlp.training import TrainingParams
from core.storage import session_scope
from core.storage.tables import TrainingRun, utcnow

REPO_ROOT = Path(__file__).resolve().parents[2]
GOOD = ["Operating profit rose sharply", "Sales jumped to a record", "Shares soared after results", "Orders grew strongly",
        "The outlook was raised", "Net income doubled", "Margins improved markedly", "Revenue beat forecasts"]  # fmt: skip
BAD = ["The company swung to a loss", "Sales fell sharply", "Shares plunged on a warning", "Hundreds of jobs were cut",
       "The dividend was cancelled", "Net loss widened", "Margins collapsed", "Revenue missed forecasts"]  # fmt: skip
FLAT = ["The meeting is held on Tuesday", "The company is based in Espoo", "The report is published in April",
        "The board has five members", "The office moved to Helsinki", "The CEO will speak at noon",
        "The share count is unchanged", "The notice was filed today"]  # fmt: skip


def labelled() -> pd.DataFrame:
    rows = [(t, "positive") for t in GOOD] + [(t, "negative") for t in BAD] + [(t, "neutral") for t in FLAT]
    return pd.DataFrame(rows, columns=["text", "label"])


def queue(method: str = "head", epochs: int = 30, seed: int = 3, **kwargs) -> int:
    check = check_labelled_data(labelled(), "text", "label")
    return queue_run(check, "sentiment", TrainingParams(method=method, epochs=epochs, seed=seed, **kwargs), created_by="ana")


def test_a_run_registers_a_version_compares_it_and_the_cli_scorer_uses_it_after_promotion(tiny_models, tmp_path):
    run = execute_run(queue())
    assert run.status == "succeeded", run.error
    assert run.model_version == 2 and not run.result["activated"]  # v1 stays active until promoted
    assert run.result["compared_with"]["version"] == 1
    assert run.result["compared_with"]["n"] == run.result["metrics"]["n"] == 3
    assert run.progress and "val_macro_f1" in run.progress[-1]
    steps = [p["step"] for p in run.progress]
    assert len(steps) == len(set(steps))  # one loss per step on the chart, not a step's and its epoch's
    version = registry.list_versions("sentiment")[0]
    assert (version.version, version.created_by, version.method, version.is_active) == (2, "ana", "head", False)
    assert version.data_fingerprint == check_labelled_data(labelled(), "text", "label").fingerprint()
    assert version.params["epochs"] == 30 and version.device == "cpu" and version.duration_s > 0

    registry.promote("sentiment", 2)
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_text("text\nThe outlook was raised\n")
    done = subprocess.run(
        [sys.executable, "-m", "core", "score", "--task", "sentiment", "--input", str(src), "--text-column", "text", "--output", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "positive" in out.read_text()
    assert registry.active_classifier("sentiment").version == 2
    registry.rollback("sentiment")
    assert registry.active_version("sentiment").version == 1


def test_a_run_records_the_epochs_a_small_file_gets_when_left_to_the_default(db):
    from core.nlp.training import MIN_TRAINING_STEPS, PATIENCE_STEPS

    check = check_labelled_data(labelled(), "text", "label")  # 24 rows: one batch of 32 per epoch
    automatic = get_run(queue_run(check, "sentiment", TrainingParams(method="lora"))).params
    assert automatic["epochs"] == MIN_TRAINING_STEPS  # what it will train for is what the run and its version record
    assert automatic["patience"] == PATIENCE_STEPS  # one step an epoch: early stopping waits as many steps
    assert get_run(queue_run(check, "sentiment", TrainingParams(method="lora", epochs=4))).params["epochs"] == 4


def test_the_first_version_of_a_new_task_becomes_active(db):
    check = check_labelled_data(labelled(), "text", "label")
    run = execute_run(queue_run(check, "Complaint_Type", TrainingParams(method="head", epochs=10)))
    assert run.status == "succeeded" and run.task == "complaint_type"
    assert run.result["compared_with"] is None and run.result["activated"]
    assert registry.active_version("complaint_type").labels == ["negative", "neutral", "positive"]


def test_a_version_with_other_labels_is_not_compared_with_the_active_one(db):
    from core.cli.train import _summary
    from core.views import model_studio as studio

    first = check_labelled_data(labelled(), "text", "label")
    assert execute_run(queue_run(first, "requests", TrainingParams(method="head", epochs=10))).result["activated"]
    shop = labelled().assign(label=lambda f: f["label"].map({"positive": "Praise", "negative": "Complaint", "neutral": "Question"}))
    run = execute_run(queue_run(check_labelled_data(shop, "text", "label"), "requests", TrainingParams(method="head", epochs=10)))
    assert run.status == "succeeded", run.error
    assert run.result["compared_with"] == {"version": 1, "method": "head", "comparable": False, "labels": 3}
    assert studio.headline(run)["macro_f1"][1] is None  # no "+0.867 vs v1" over a version that cannot be right
    assert studio.comparison_text(run) == ("v1 (active when this run finished) predicts other labels (3, none of this file's), "
                                           "so it is not compared: its score on these rows would be 0 and say nothing.")
    assert "active_version_on_same_rows" not in _summary(run)


def test_a_queued_run_cancelled_never_trains(tiny_models):
    run_id = queue()
    assert request_cancel(run_id).status == "cancelled"
    assert execute_run(run_id).status == "cancelled"
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_cancelling_a_running_run_stops_it_and_registers_nothing(tiny_models, monkeypatch):
    monkeypatch.setattr("core.nlp.runs.CANCEL_CHECK_SECONDS", 0.0)
    run_id = queue(epochs=400)
    seen = []

    def cancel_on_first_progress(progress) -> None:
        seen.append(progress)
        if len(seen) == 1:
            request_cancel(run_id)

    run = execute_run(run_id, echo=cancel_on_first_progress)
    assert run.status == "cancelled"
    assert len(seen) < 400
    assert [v.version for v in registry.list_versions("sentiment")] == [1]
    assert registry.active_version("sentiment").version == 1


def test_a_failed_run_shows_its_error_and_leaves_the_active_model(tiny_models):
    run_id = queue()
    Path(get_settings_path(run_id)).write_text("text,label\nonly one,row\n")
    run = execute_run(run_id)
    assert run.status == "failed"
    assert run.error and run.error.startswith("ValueError")
    assert registry.active_version("sentiment").version == 1
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def get_settings_path(run_id: int) -> str:
    with session_scope() as session:
        return session.get(TrainingRun, run_id).data_path


def test_a_run_whose_process_died_is_reported_as_interrupted(db):
    run_id = queue()
    with session_scope() as session:
        row = session.get(TrainingRun, run_id)
        row.status, row.heartbeat_at = "running", utcnow() - timedelta(minutes=5)
    fresh = queue()
    with session_scope() as session:
        row = session.get(TrainingRun, fresh)
        row.status, row.heartbeat_at = "running", utcnow()
    assert mark_interrupted_runs() == 1
    assert get_run(run_id).status == "interrupted" and "start the run again" in get_run(run_id).error
    assert get_run(fresh).status == "running"
    assert execute_run(run_id).status == "interrupted"  # never resumed as if nothing happened


def test_a_run_can_only_be_claimed_once(tiny_models):
    run_id = queue(epochs=5)
    assert execute_run(run_id).status == "succeeded"
    again = execute_run(run_id)
    assert again.status == "succeeded" and len(registry.list_versions("sentiment")) == 2


def test_launch_runs_the_training_in_its_own_process(tiny_models):
    run_id = queue(epochs=10)
    process = launch_run(run_id)
    assert process.wait(timeout=120) == 0
    run = get_run(run_id)
    assert run.status == "succeeded" and run.model_version == 2
    assert [r.id for r in list_runs()] == [run_id]
    from core.auth import list_events

    [registered] = [e for e in list_events(action="version registered") if e["target"] == "sentiment v2"]
    assert registered["user"] == "ana"  # who started the run, not "cli", the process it ran in


def test_cli_train_prints_progress_and_final_metrics(tiny_models, tmp_path):
    src = tmp_path / "labelled.csv"
    labelled().to_csv(src, index=False, quoting=csv.QUOTE_MINIMAL)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--task", "sentiment", "--input", str(src), "--text-column", "text",
         "--label-column", "label", "--method", "head", "--epochs", "20"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "data check: 24 of 24 rows usable" in done.stdout
    assert "epoch 1/20" in done.stdout
    assert '"version": 2' in done.stdout and '"macro_f1"' in done.stdout
    assert time.monotonic() - started < 120
    assert registry.list_versions("sentiment")[0].created_by == "cli"


SIX_EACH = "".join(f"good {i},positive\nbad {i},negative\n" for i in range(6))


@pytest.mark.parametrize(
    ("content", "message", "hint"),
    [
        ("text,label\n" + SIX_EACH + "a,neutral\n", "class 'neutral' has 1 usable example; at least 5 are needed (add 4 more", True),
        ("text,label\na,x\nb,y\n", "class 'x' has 1 usable example; at least 5 are needed (add 4 more or remove the class); ", False),
        ("body,label\na,x\n", "error: labelled.csv: no column named 'text'", False),
    ],
)
def test_cli_train_refuses_bad_data_in_one_line(tiny_models, tmp_path, content, message, hint):
    src = tmp_path / "labelled.csv"
    src.write_text(content)
    done = subprocess.run(
        [sys.executable, "-m", "core", "train", "--task", "sentiment", "--input", str(src), "--text-column", "text",
         "--label-column", "label"],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 1
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert ("or pass --leave-out-small-classes" in done.stderr) == hint  # only when two classes would stay
    assert [v.version for v in registry.list_versions("sentiment")] == [1]


def test_the_worker_job_runs_forgotten_queued_runs_and_marks_dead_ones(tiny_models):
    from jobs.scheduler import add_training_job, build_scheduler, training_job

    forgotten, dead = queue(epochs=5), queue(epochs=5)
    with session_scope() as session:
        session.get(TrainingRun, forgotten).created_at = utcnow() - timedelta(minutes=2)
        row = session.get(TrainingRun, dead)
        row.status, row.heartbeat_at = "running", utcnow() - timedelta(minutes=5)
    training_job()
    assert get_run(forgotten).status == "succeeded"
    assert get_run(dead).status == "interrupted"
    scheduler = build_scheduler(tick_seconds=5, job=lambda: None)
    add_training_job(scheduler, tick_seconds=5)
    job = scheduler.get_job("training")
    assert job.max_instances == 1 and job.coalesce is True


def test_a_comparison_says_how_many_rows_the_active_version_was_trained_on(tiny_models):
    from core.nlp.training import stratified_split
    from core.views import model_studio as studio

    first = execute_run(queue(epochs=5))
    assert first.result["compared_with"]["seen"] is None  # v1 was registered without a training file: not known
    registry.promote("sentiment", first.model_version)
    again = execute_run(queue(epochs=5))  # the same file and split: v2's validation rows are v3's too
    assert again.result["compared_with"]["seen"] == 0 and "Careful" not in studio.comparison_text(again)
    other = execute_run(queue(epochs=5, seed=11))  # another split: some of its validation rows taught v2
    labels = labelled()["label"].tolist()
    learned = set(stratified_split(labels, 0.15, 3)[0]) & set(stratified_split(labels, 0.15, 11)[1])
    old = other.result["compared_with"]
    assert (old["version"], old["seen"]) == (first.model_version, len(learned)) and 0 < len(learned) < old["n"]
    assert f"Careful: {len(learned)} of them" in studio.comparison_text(other)
    promotion = studio.compare_for_promotion("sentiment", other.model_version)
    assert promotion.seen == len(learned) and f"in v{first.model_version}'s own training data" in promotion.summary()
