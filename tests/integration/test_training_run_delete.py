"""Deleting a training or compression run: the rows, texts and log Beacon kept for it go, the version it registered
stays, and comparisons then say they do not know what that version learned from. Never a queued or running run."""

from __future__ import annotations

import pytest

from core.auth import list_events
from core.auth.roles import Actor, acting_as
from core.nlp import registry
from core.nlp.distil import teacher_training_texts
from core.nlp.runs import DISTIL, delete_run, execute_run, get_run, list_runs, rows_seen_by, run_files, runs_dir
from core.storage import session_scope
from core.storage.tables import TrainingRun
from tests.integration.test_training_runs import labelled, queue


def test_a_finished_run_is_deleted_with_its_rows_and_log_and_its_version_stays(tiny_models):
    run = execute_run(queue(epochs=3))
    assert run.status == "succeeded", run.error
    (runs_dir() / f"run-{run.id}.log").write_text("epoch 1\n")  # what the run's own process writes (launch_run)
    files = run_files(run.id)
    assert {p.name for p in files} == {f"run-{run.id}.csv", f"run-{run.id}.log"}
    version = registry.get_version("sentiment", run.model_version)
    learned = len(labelled()) - run.result["metrics"]["n"]  # its validation rows scored it and taught it nothing
    assert rows_seen_by(version, labelled()["text"].tolist()) == learned  # known while the rows are kept

    gone = delete_run(run.id)
    assert gone.id == run.id and not any(p.exists() for p in files)
    assert [r.id for r in list_runs()] == []
    with pytest.raises(LookupError, match=f"there is no training run {run.id}"):
        get_run(run.id)
    assert registry.get_version("sentiment", run.model_version).version == run.model_version  # the version stays
    assert rows_seen_by(version, labelled()["text"].tolist()) is None  # no longer known, not "none of them"
    [event] = [e for e in list_events(limit=20) if e["action"] == "training run deleted"]
    assert event["target"] == f"run {run.id}" and event["user"] == "tests"


def test_a_queued_run_is_not_deleted_and_keeps_its_rows(tiny_models):
    run_id = queue()
    with pytest.raises(ValueError, match=f"run {run_id} is queued: cancel it and wait until it has stopped"):
        delete_run(run_id)
    assert get_run(run_id).status == "queued" and (runs_dir() / f"run-{run_id}.csv").is_file()


def test_an_analyst_deletes_their_own_runs_only(tiny_models):
    theirs, others = queue(), queue()  # queued for "ana"
    with session_scope() as session:
        for run_id in (theirs, others):
            session.get(TrainingRun, run_id).status = "failed"
        session.get(TrainingRun, others).created_by = "bo"
    with acting_as(Actor("ana", "analyst")):
        delete_run(theirs)
        with pytest.raises(PermissionError):
            delete_run(others)
    assert [r.id for r in list_runs()] == [others]
    assert (runs_dir() / f"run-{others}.csv").is_file()


def test_a_students_teacher_texts_are_none_not_its_unlabelled_file(tiny_models, tiny_trained):
    """A student learned from its teacher's labels on an uploaded file of texts (any column name): compressing the
    student again must not read that file as labelled rows."""
    student = registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="ana")
    texts = runs_dir() / "run-9-texts-news.csv"
    texts.write_text("headline\nShares rose\n")
    with session_scope() as session:
        session.add(TrainingRun(id=9, task="sentiment", method=DISTIL, params={"texts": {"file": "news.csv", "column": "headline"}},
                                data_path=str(texts), status="succeeded", model_version=student.version))  # fmt: skip
    assert teacher_training_texts(student) == []
    assert rows_seen_by(student, ["Shares rose"]) is None
