"""The Batch scoring page with a Ray cluster configured (BEACON_RAY_ADDRESS): the engine choice appears only then,
and a run sent to Ray is run by its own `python -m core score-run` process, which joins the test run's one local Ray
(``local_ray``) through the setting, and shows progress and cancel like a local run."""

from __future__ import annotations

import json
import time

import pytest

from core.scoring import runs
from core.scoring.ray_runs import ray_summary_path
from core.settings import get_settings
from tests.app import helpers
from tests.app.helpers import assert_no_exception, texts
from tests.app.test_batch_scoring_page import open_batch_page, past_runs_table, progress_texts, wait_until_finished

CSV = b"id,text\n1,Operating profit rose sharply to a record\n2,The company swung to a large loss\n"


def configure(monkeypatch: pytest.MonkeyPatch, address: str | None) -> None:
    monkeypatch.setenv("BEACON_RAY_ADDRESS", address or "")
    get_settings.cache_clear()


def upload(at, name: str, content: bytes) -> None:  # noqa: ANN001 - AppTest
    at.file_uploader[0].upload(name, content, "text/csv")
    at.run()
    assert_no_exception(at)


def test_the_engine_choice_appears_only_when_ray_is_configured(tiny_models, monkeypatch):
    configure(monkeypatch, None)
    at = open_batch_page()
    upload(at, "in.csv", CSV)
    assert helpers.button(at, "Start scoring") and not [r for r in at.radio if r.label == "Engine"]  # as before
    configure(monkeypatch, "ray://head.example:10001")
    at = open_batch_page()
    upload(at, "in.csv", CSV)
    engine = helpers.widget(at.radio, "Engine")
    assert engine.options == ["Local (default)", "Ray cluster"] and engine.value == "Local (default)"
    assert "ray://head.example:10001" in engine.help
    monkeypatch.setattr(runs, "start_run", lambda run_id: None)  # queued only: no cluster behind this address
    helpers.button(at, "Start scoring").click()
    at.run()
    assert runs.list_runs()[0].engine == "local"  # the local engine stays the default
    assert "engine" not in past_runs_table(at).columns


def test_a_ray_run_shows_progress_and_can_be_cancelled_like_a_local_one(tiny_models, local_ray, monkeypatch):
    configure(monkeypatch, local_ray)
    monkeypatch.setenv("BEACON_SCORING_CHUNK_ROWS", "20")  # many parts: the run is still going when Cancel is clicked
    lines = "".join(f"{i},{'Shares soared after strong results' if i % 2 else 'Sales fell and the dividend was cut'} {i}\n"
                    for i in range(3000))  # fmt: skip
    at = open_batch_page()
    upload(at, "big.csv", f"id,text\n{lines}".encode())
    helpers.widget(at.radio, "Engine").set_value("Ray cluster")
    helpers.button(at, "Start scoring").click()
    at.run()
    assert_no_exception(at)
    run_id = runs.list_runs()[0].id
    assert runs.get_run(run_id).engine == "ray"
    deadline = time.monotonic() + 240
    while (run := runs.get_run(run_id)).rows_done == 0 and not run.finished:  # its process joins Ray, starts the workers
        assert time.monotonic() < deadline, (runs.run_dir(run_id) / "process.log").read_text()[-3000:]
        time.sleep(0.2)
    at.run()
    assert_no_exception(at)
    assert any("running · scoring" in c and "on the Ray cluster" in c for c in texts(at.caption)), texts(at.caption)
    assert any(" of 3,000 rows" in t for t in progress_texts(at)), progress_texts(at)
    helpers.button(at, "Cancel this run").click()
    at.run()
    run = wait_until_finished(run_id)
    assert run.status == "cancelled" and 0 < run.rows_done < 3000, (run, (runs.run_dir(run_id) / "process.log").read_text()[-3000:])
    at.run()
    assert_no_exception(at)
    assert any("cancelled after" in i and "Resume scores the whole file again on Ray" in i for i in texts(at.info)), texts(at.info)
    assert helpers.download_labels(at) == ["Download CSV (Excel-safe)", "Download Parquet"]
    assert past_runs_table(at).loc[0, "engine"] == "Ray"
    job = json.loads(ray_summary_path(run_id).read_text())  # scored by the Ray job, which was stopped
    assert job["cancelled"] and job["cluster"] == local_ray and job["workers"] == 2
