"""Scoring runs on a real database: results, empty texts, masking, cancel, failure, a killed process, resume."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from core.auth import Actor, acting_as
from core.scoring import agreement, runs
from core.settings import get_settings
from core.views import batch_scoring

TEXTS = ["Operating profit rose sharply to a record", "The company swung to a large loss and cut jobs"]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setenv("BEACON_SCORING_CHUNK_ROWS", "10")
    get_settings.cache_clear()


def upload(tmp_path: Path, rows: int, name: str = "in.csv", extra: list[tuple[str, str]] | None = None) -> Path:
    lines = ["id,text"] + [f"{i},{TEXTS[i % 2]} {i}" for i in range(rows)] + [f"{a},{b}" for a, b in extra or []]
    path = tmp_path / "upload" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return runs.save_upload(name, path.read_bytes())


def scored(run_id: int, fmt: str = "csv") -> pd.DataFrame:
    path = runs.export_path(run_id, fmt)
    if fmt == "parquet":
        return pq.read_table(path).to_pandas()
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_a_run_scores_every_row_with_empty_status_masking_and_counts(tiny_models, tmp_path, small_chunks):
    path = upload(tmp_path, 25, extra=[("25", ""), ("26", "   "), ("27", "=HYPERLINK(x) mail me: jo@example.com"), ("28", "a,b,c")])
    with acting_as(Actor("ana", "analyst")):
        run_id = runs.create_run(path, "in.csv", "text", ["sentiment", "topic"], mask_pii=True)
    run = runs.execute_run(run_id)
    assert run.status == "succeeded" and run.created_by == "ana"
    assert (run.total_rows, run.rows_done, run.rows_ok, run.rows_empty, run.rows_bad) == (29, 29, 26, 2, 1)
    assert run.model_versions == {"sentiment": 1, "topic": 1} and run.models_text == "sentiment v1, topic v1"
    out = scored(run_id)
    assert list(out["id"]) == [str(i) for i in range(28)]  # file order kept across chunks
    assert {"sentiment_label", "sentiment_confidence", "sentiment_prob_negative", "topic_label", "status"} <= set(out.columns)
    empty = out[out["id"].isin(["25", "26"])]
    assert list(empty["status"]) == ["empty", "empty"] and list(empty["sentiment_label"]) == ["", ""]
    assert out.loc[out["id"] == "0", "sentiment_label"].item() == "positive"
    assert out.loc[out["id"] == "1", "sentiment_label"].item() == "negative"
    # masked text is what is stored and exported; the formula-like cell is neutralised in CSV only
    assert out.loc[out["id"] == "27", "text"].item() == "'=HYPERLINK(x) mail me: [EMAIL]"
    assert scored(run_id, "parquet").loc[27, "text"] == "=HYPERLINK(x) mail me: [EMAIL]"
    shares = batch_scoring.class_shares(run)
    assert shares[shares.task == "sentiment"]["rows"].sum() == 26
    assert sum(run.label_counts["topic"].values()) == 26
    report = runs.error_report(run_id).decode()
    assert report.splitlines() == [
        "line,problem,content",
        '30,"4 fields, the header has 2 (check quotes and the delimiter)","28,a,b,c"',
    ]
    lowest = runs.result_table(run_id, task="sentiment", lowest_first=True, limit=5)
    assert len(lowest) == 5 and lowest["sentiment_confidence"].is_monotonic_increasing
    fifth_lowest = out[out.status == "ok"]["sentiment_confidence"].astype(float).nsmallest(5).max()
    assert lowest["sentiment_confidence"].max() <= fifth_lowest + 1e-6  # float32 in Parquet, its shortest decimal in the CSV
    first = runs.result_table(run_id, limit=3)
    assert list(first["row"]) == [1, 2, 3]
    assert [r.id for r in runs.list_runs()] == [run_id]


def test_cancelling_keeps_the_rows_already_scored(tiny_models, tmp_path, small_chunks):
    run_id = runs.create_run(upload(tmp_path, 35), "in.csv", "text", ["sentiment"])
    run = runs.execute_run(run_id, on_chunk=lambda view: runs.request_cancel(view.id))
    assert run.status == "cancelled" and run.rows_done == 10 and run.total_rows == 35
    out = scored(run_id)
    assert list(out["id"]) == [str(i) for i in range(10)] and set(out["label"]) <= {"positive", "negative", "neutral"}
    assert run.resumable
    runs.resume_run(run_id, launch=False)
    assert runs.execute_run(run_id).status == "succeeded"
    assert list(scored(run_id)["id"]) == [str(i) for i in range(35)]


def test_a_failed_run_keeps_its_rows_and_says_why(tiny_models, tmp_path, small_chunks):
    run_id = runs.create_run(upload(tmp_path, 30), "in.csv", "text", ["sentiment"])

    def fail_after_two(view):
        if view.parts_done == 2:
            raise OSError("disk full")

    run = runs.execute_run(run_id, on_chunk=fail_after_two)
    assert run.status == "failed" and run.error == "OSError: disk full"
    assert len(scored(run_id)) == 20


def test_a_killed_run_is_interrupted_never_complete_and_resumes_without_duplicates(tiny_models, tmp_path, monkeypatch):
    monkeypatch.setenv("BEACON_SCORING_CHUNK_ROWS", "50")
    get_settings.cache_clear()
    run_id = runs.create_run(upload(tmp_path, 1000), "in.csv", "text", ["sentiment"])
    process = runs.start_run(run_id)  # the real detached process, as the page starts it
    deadline = time.monotonic() + 180
    while runs.get_run(run_id).parts_done < 2:
        assert process.poll() is None, (runs.run_dir(run_id) / "process.log").read_text()
        assert time.monotonic() < deadline, "the scoring process made no progress"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert runs.get_run(run_id).status == "running"  # heartbeat still fresh: not yet known to be dead
    assert runs.mark_interrupted_runs(stale_after_s=0) == 1
    run = runs.get_run(run_id)
    assert run.status == "interrupted" and run.status != "succeeded" and run.resumable
    assert "resume" in run.error and run.rows_done < 1000
    kept = run.rows_done
    assert len(scored(run_id)) == kept  # only recorded chunks are exported
    # a chunk file written after the last checkpoint (killed before recording it) must be redone, not kept
    stray = runs.run_dir(run_id) / "parts" / f"part-{run.parts_done:06d}.parquet"
    pq.write_table(pq.read_table(runs.run_dir(run_id) / "parts" / "part-000000.parquet"), stray)
    runs.resume_run(run_id, launch=False)
    run = runs.execute_run(run_id)
    assert run.status == "succeeded" and run.rows_done == 1000 and run.rows_ok == 1000
    assert list(scored(run_id)["id"]) == [str(i) for i in range(1000)]


def test_only_interrupted_failed_or_cancelled_runs_resume(tiny_models, tmp_path):
    run_id = runs.create_run(upload(tmp_path, 3), "in.csv", "text", ["sentiment"])
    assert runs.execute_run(run_id).status == "succeeded"
    with pytest.raises(ValueError, match="only interrupted, failed or cancelled runs can be resumed"):
        runs.resume_run(run_id, launch=False)
    assert runs.execute_run(run_id).status == "succeeded"  # a second start does nothing


def test_schema_matches_the_migrations(db):
    from core.storage.tables import Base
    from tests.support.migrations import schema_differences

    assert "scoring_runs" in Base.metadata.tables
    assert schema_differences("scoring_runs") == []


def test_the_worker_runs_queued_runs_nobody_started(tiny_models, tmp_path):
    from core.storage import session_scope
    from core.storage.tables import ScoringRun, utcnow
    from jobs.scheduler import scoring_job

    run_id = runs.create_run(upload(tmp_path, 4), "in.csv", "text", ["sentiment"])
    scoring_job()
    assert runs.get_run(run_id).status == "queued"  # just queued: its own process may still be starting
    with session_scope() as session:
        session.get(ScoringRun, run_id).heartbeat_at = utcnow().replace(year=2020)
    scoring_job()  # the launched process never claimed it: the worker runs it instead of writing it off
    assert runs.get_run(run_id).status == "succeeded" and len(scored(run_id)) == 4


def test_a_run_says_what_it_is_doing_from_the_first_second(tiny_models, tmp_path, small_chunks, monkeypatch):
    from core.scoring import engine

    run_id = runs.create_run(upload(tmp_path, 25), "in.csv", "text", ["sentiment"])
    queued = runs.get_run(run_id)
    assert (queued.status, queued.stage) == ("queued", runs.STARTING)  # before the process has started
    assert batch_scoring.progress_text(queued).startswith("Starting the scoring process… · ")
    assert batch_scoring.runs_table().loc[0, "status"] == "queued · starting the scoring process"
    seen: list[tuple[str, str | None, str]] = []

    def spy(real):  # records the run as the page would show it when each step starts, then does the real work
        def step(*args, **kwargs):
            run = runs.get_run(run_id)
            seen.append((run.status, run.stage, batch_scoring.progress_text(run)))
            return real(*args, **kwargs)

        return step

    monkeypatch.setattr(runs, "count_records", spy(runs.count_records))
    monkeypatch.setattr(engine, "load_task_models", spy(engine.load_task_models))
    chunks: list[runs.RunView] = []
    final = runs.execute_run(run_id, on_chunk=chunks.append)
    assert [s[:2] for s in seen] == [("running", runs.READING), ("running", runs.LOADING)]
    assert seen[0][2].startswith("Reading the file… · ")
    assert seen[1][2].startswith("Loading the model… · 25 rows to score · ")  # not "0 of 25 rows"
    assert chunks[0].stage == runs.SCORING and batch_scoring.progress_text(chunks[0]).startswith("10 of 25 rows")
    assert (final.status, final.stage) == ("succeeded", None) and batch_scoring.status_text(final) == "complete"


def test_the_scoring_process_claims_its_run_before_loading_the_model_code():
    import subprocess
    import sys

    from core.settings import REPO_ROOT

    code = "import sys, core.__main__, core.scoring.runs; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"  # torch (seconds to import) comes after the claim, inside execute_run


def test_a_label_column_in_the_file_is_compared_with_the_models_labels(tiny_models, tmp_path, small_chunks):
    rows = [("Operating profit rose sharply to a record", "Positive"), ("The company swung to a large loss and cut jobs", "negative")] * 12
    rows[2] = (rows[2][0], "negative")  # a row the file labels differently from the model
    rows += [("Shares fell", ""), ("Profit rose", "unsure"), ("", "positive")]  # not compared: no label, another label, empty text
    path = runs.save_upload("labelled.csv", ("id,text,label\n" + "".join(f'{i},"{t}",{lab}\n' for i, (t, lab) in enumerate(rows))).encode())
    run = runs.execute_run(runs.create_run(path, "labelled.csv", "text", ["sentiment", "topic"]))
    assert run.status == "succeeded" and run.parts_done == 3  # compared across chunks
    (found,) = agreement.label_agreements(run.id)  # topic's classes are not a column of the file
    assert (found.task, found.column, found.compared, found.not_compared) == ("sentiment", "label", 24, 3)
    assert found.accuracy == pytest.approx(23 / 24)
    matrix = dict(zip(found.labels, found.confusion))
    assert matrix["positive"][found.labels.index("positive")] == 11 and matrix["negative"][found.labels.index("positive")] == 1
    assert "same label to 23 of 24 rows (95.8%)" in batch_scoring.agreement_text(found)
    differ = agreement.disagreements(run.id, found)
    assert list(differ["row"]) == [3] and list(differ["id"]) == ["2"]
    assert list(differ["sentiment_label"]) == ["positive"] and list(differ["label"]) == ["negative"]  # model's, file's

    from core.nlp.datacheck import read_labelled_file, suggest_columns

    assert found.differing == 1
    review = read_labelled_file(agreement.review_file(run.id, found), "review.csv")  # as Model Studio reads an upload
    assert review.columns.tolist() == ["row", "text", "label", "model_label", "model_confidence"]
    assert review[["row", "text", "label", "model_label"]].values.tolist() == [["3", rows[2][0], "negative", "positive"]]
    assert suggest_columns(review) == ("text", "label")  # Model Studio picks the text and your label by itself


def test_no_comparison_without_a_column_of_the_tasks_classes(tiny_models, tmp_path):
    path = runs.save_upload("plain.csv", b"id,text,team\n1,Profit rose,positive\n2,Shares fell,sales\n3,Costs cut,ops\n")
    run = runs.execute_run(runs.create_run(path, "plain.csv", "text", ["sentiment"]))
    assert run.status == "succeeded" and agreement.label_agreements(run.id) == []  # 'team' is mostly not a class


def test_a_run_can_use_a_version_that_is_not_active(tiny_models, tiny_trained, tmp_path):
    from core.nlp import registry

    registry.register_trained(tiny_trained["sentiment"], "sentiment", created_by="tests")  # v2, not active
    run_id = runs.create_run(upload(tmp_path, 3), "in.csv", "text", ["sentiment", "topic"], versions={"sentiment": 2})
    run = runs.execute_run(run_id)
    assert run.status == "succeeded" and run.model_versions == {"sentiment": 2, "topic": 1}  # topic: the active one
    assert registry.active_version("sentiment").version == 1  # trying a version changes nothing
    with pytest.raises(LookupError, match="has no version 9"):
        runs.create_run(upload(tmp_path, 3, name="b.csv"), "b.csv", "text", ["sentiment"], versions={"sentiment": 9})
    with pytest.raises(ValueError, match="intent, which is not among the tasks"):
        runs.create_run(upload(tmp_path, 3, name="c.csv"), "c.csv", "text", ["sentiment"], versions={"intent": 1})


def test_labels_that_start_after_the_first_chunk_are_still_compared(tiny_models, tmp_path, small_chunks):
    rows = [("Operating profit rose sharply to a record", "")] * 12 + [("The company swung to a large loss and cut jobs", "negative")] * 5
    content = "id,text,notes,label\n" + "".join(f'{i},"{t}",see ticket {i},{lab}\n' for i, (t, lab) in enumerate(rows))
    run = runs.execute_run(runs.create_run(runs.save_upload("late.csv", content.encode()), "late.csv", "text", ["sentiment"]))
    assert run.parts_done == 2  # the first chunk of 10 rows has no label at all
    (found,) = agreement.label_agreements(run.id)
    assert (found.column, found.compared, found.not_compared, found.accuracy) == ("label", 5, 12, 1.0)


def test_sentiment_written_as_minus_one_zero_one_is_compared_as_model_studio_reads_it(tiny_models, tmp_path):
    rows = [("Operating profit rose sharply to a record", "1"), ("The company swung to a large loss and cut jobs", "-1")] * 4
    rows[1] = (rows[1][0], "1")  # the file says positive, the model negative
    content = "text,score\n" + "".join(f'"{t}",{lab}\n' for t, lab in rows)
    run = runs.execute_run(runs.create_run(runs.save_upload("signs.csv", content.encode()), "signs.csv", "text", ["sentiment"]))
    (found,) = agreement.label_agreements(run.id)
    assert (found.column, found.compared, found.read_as) == ("score", 8, (("-1", "negative"), ("1", "positive")))
    assert found.accuracy == pytest.approx(7 / 8)
    assert "holds the sentiment classes (read -1 as negative, 1 as positive), so" in batch_scoring.agreement_text(found)
    assert list(agreement.disagreements(run.id, found)["row"]) == [2]
    review = agreement.review_file(run.id, found).decode()
    assert review.splitlines()[1].split(",")[2:4] == ["positive", "negative"]  # the class the file meant, the model's


def test_zeros_and_ones_alone_are_not_taken_for_sentiment(tiny_models, tmp_path):
    content = "text,flag\n" + "".join(f'"Operating profit rose sharply",{i % 2}\n' for i in range(6))
    run = runs.execute_run(runs.create_run(runs.save_upload("flags.csv", content.encode()), "flags.csv", "text", ["sentiment"]))
    assert run.status == "succeeded" and agreement.label_agreements(run.id) == []  # 0/1 may mean negative/positive
