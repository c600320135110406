"""Uploads kept before a run takes them (a file to score, a compression run's texts, past questions being answered) live
under the data folder, one folder each; a run takes its file and the folder goes; the worker deletes folders left a day
untouched and keeps newer ones. SQLite and PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path

from core.auth import WORKER, acting_as
from core.nlp.runs import stage_texts_file
from core.scoring import runs
from core.settings import get_settings
from core.staged_uploads import KEEP_HOURS, delete_abandoned_uploads
from core.views import customer_service as view

CSV = b"id,text\n1,Profit rose\n2,Shares fell\n"


def age(path: Path, hours: float) -> None:
    """Make an upload's folder and files look ``hours`` old."""
    then = time.time() - hours * 3600
    for item in [*path.parent.iterdir(), path.parent]:
        os.utime(item, (then, then))


def test_each_upload_is_kept_under_the_data_folder_not_the_machines_temporary_folder(db):
    data = get_settings().data_dir
    scored = runs.save_upload("news.csv", CSV)
    texts = stage_texts_file("my texts.csv", CSV)
    questions, check = view.past_questions_upload("questions.csv", b"question\nWhere is my card?\n")
    assert scored.parent.parent == data / "scoring_uploads"
    assert texts.parent.parent == data / "training_runs" / "uploads" and texts.name == "my_texts.csv"
    assert questions.parent.parent == data / "answer_uploads" and check.spec.columns == ["question"]
    assert view.past_questions_upload("questions.csv", b"", staged=questions)[0] == questions  # reruns reuse it


def test_the_worker_deletes_uploads_left_a_day_and_keeps_newer_ones(db, caplog):
    from jobs.cycle import run_cycle

    abandoned = runs.save_upload("old.csv", CSV)
    questions, _ = view.past_questions_upload("asked.csv", b"question\nWhere is my card?\n")
    (questions.parent / "answers.csv").write_text("question,answer\n")
    fresh = runs.save_upload("new.csv", CSV)
    age(abandoned, KEEP_HOURS + 1)
    age(questions, KEEP_HOURS + 1)
    age(fresh, KEEP_HOURS - 1)
    with caplog.at_level("INFO", logger="beacon.worker"), acting_as(WORKER):
        summary = run_cycle()
    assert "uploads" not in summary["failed_steps"] and summary["uploads"] == {"deleted": 2}
    assert "2 abandoned uploads deleted" in caplog.text
    assert not abandoned.parent.exists() and not questions.parent.exists()
    assert fresh.read_bytes() == CSV
    assert delete_abandoned_uploads() == {"deleted": 0}


def test_an_upload_answered_again_today_is_not_abandoned(db):
    questions, _ = view.past_questions_upload("asked.csv", b"question\nWhere is my card?\n")
    age(questions, KEEP_HOURS + 5)
    (questions.parent / "answers.csv").write_text("question,answer\n")  # answered just now
    assert delete_abandoned_uploads() == {"deleted": 0} and questions.exists()


def test_a_run_takes_its_upload_and_its_folder_goes(tiny_models):
    upload = runs.save_upload("news.csv", CSV)
    run_id = runs.create_run(upload, "news.csv", "text", ["sentiment"])
    assert not upload.parent.exists()
    assert (runs.run_dir(run_id) / "input-news.csv").read_bytes() == CSV
    assert delete_abandoned_uploads(now=time.time() + 10 * KEEP_HOURS * 3600) == {"deleted": 0}
    assert runs.run_dir(run_id).exists()  # a run's own folder is never an abandoned upload


def test_an_upload_the_data_folder_cannot_take_is_refused_in_words_and_leaves_nothing(db, monkeypatch):
    import io

    import pytest

    from core.scoring.reading import InputFileError

    data = get_settings().data_dir
    (data / "scoring_uploads").write_text("a file where the folder should be")  # the disk refuses the folder
    with pytest.raises(InputFileError) as refused:
        runs.save_upload("news.csv", io.BytesIO(CSV))
    assert str(refused.value).startswith("news.csv: could not be stored on the server (")
    assert str(refused.value).endswith("nothing was kept. Ask an admin to check Beacon's data folder (free space, permissions).")

    (data / "scoring_uploads").unlink()
    monkeypatch.setenv("BEACON_UPLOAD_MAX_MB", "1")
    get_settings.cache_clear()
    with pytest.raises(InputFileError, match="over the upload limit"):
        runs.save_upload("big.csv", io.BytesIO(b"text\n" + b"x" * runs.size_limit_bytes()))  # refused while copying
    assert not list((data / "scoring_uploads").iterdir())  # the part copied before the limit went too


def test_an_upload_used_again_is_kept_another_day(db):
    questions, _ = view.past_questions_upload("asked.csv", b"question\nWhere is my card?\n")
    age(questions, KEEP_HOURS + 1)
    assert view.past_questions_upload("asked.csv", b"", staged=questions)[0] == questions  # the page's next click
    assert delete_abandoned_uploads() == {"deleted": 0} and questions.exists()
