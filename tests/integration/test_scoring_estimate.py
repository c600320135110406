"""The Batch scoring estimate learns from finished runs here: their measured scoring time against what the per-token
figures said for them corrects the next estimate (the figures alone said "about 60 seconds" for a file that took two
minutes on a CPU without bf16), and the time they took to start corrects the figures' start-up (most of the wait
for a small file)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.nlp.training import estimate_scoring_seconds
from core.scoring import runs
from core.scoring.estimate import CORRECTION_RANGE, MAX_START_SECONDS, MIN_ROWS, estimate_run, models_of
from core.storage import session_scope
from core.storage.tables import ScoringRun
from tests.integration.test_scoring_runs import TEXTS, upload

SAMPLE = [f"{TEXTS[i % 2]} {i}" for i in range(50)]


def finished_run(tmp_path, rows: int, name: str = "in.csv") -> int:  # noqa: ANN001 - Path
    run_id = runs.create_run(upload(tmp_path, rows, name), name, "text", ["sentiment"])
    assert runs.execute_run(run_id).status == "succeeded"
    return run_id


def took(run_id: int, seconds: float, start: float = 20.0) -> None:
    """What the run measured, set as a slower host would have measured it: ``seconds`` scoring, after ``start``
    seconds from the click to the first text scored."""
    with session_scope() as session:
        row = session.get(ScoringRun, run_id)
        row.scoring_seconds = seconds
        row.created_at = row.finished_at - timedelta(seconds=seconds + start)


def test_a_finished_run_corrects_the_estimate_by_what_it_measured(tiny_models, tmp_path):
    models = models_of(["sentiment"], {})
    plain = estimate_scoring_seconds(SAMPLE, 3000, models, "cpu")
    start = plain - estimate_scoring_seconds(SAMPLE, 3000, models, "cpu", start=False)
    assert estimate_run(SAMPLE, 3000, models, "cpu").runs_compared == 0  # no run yet: the per-token figures alone

    run_id = finished_run(tmp_path, MIN_ROWS)
    figures_said = estimate_scoring_seconds(SAMPLE, MIN_ROWS, models, "cpu", start=False)
    took(run_id, 3 * figures_said, start=20.0)  # three times slower than the figures say, 20 s to start
    learned = estimate_run(SAMPLE, 3000, models, "cpu")
    assert learned.runs_compared == 1
    assert learned.seconds == pytest.approx(20.0 + 3 * (plain - start), rel=0.01)

    took(run_id, 1000 * figures_said, start=20.0)  # a run on a swapping machine measured something else: capped
    assert estimate_run(SAMPLE, 3000, models, "cpu").seconds == pytest.approx(20.0 + CORRECTION_RANGE[1] * (plain - start), rel=0.01)


def test_a_small_run_teaches_the_start_up_not_the_speed(tiny_models, tmp_path):
    models = models_of(["sentiment"], {})
    plain = estimate_scoring_seconds(SAMPLE, 40, models, "cpu")
    scoring = estimate_scoring_seconds(SAMPLE, 40, models, "cpu", start=False)
    short = finished_run(tmp_path, 40)
    took(short, 500.0, start=plain - scoring + 15)  # far slower scoring, but 40 rows say little about speed
    estimate = estimate_run(SAMPLE, 40, models, "cpu")
    assert estimate.runs_compared == 1
    assert estimate.seconds == pytest.approx(plain + 15, rel=0.01)  # the start-up it measured, the figures' scoring

    took(short, 500.0, start=MAX_START_SECONDS + 1)  # it waited for something else (the machine busy training)
    assert estimate_run(SAMPLE, 40, models, "cpu").runs_compared == 0
    assert estimate_run(SAMPLE, 40, [("accurate", 128)], "cpu").runs_compared == 0  # another base encoder


def test_only_comparable_runs_count(tiny_models, tmp_path):
    models = models_of(["sentiment"], {})
    short = finished_run(tmp_path, MIN_ROWS - 1, "short.csv")  # says more about starting up than about speed
    took(short, 1000.0, start=MAX_START_SECONDS + 1)
    assert estimate_run(SAMPLE, 3000, models, "cpu").speed_runs == 0
    gone = finished_run(tmp_path, MIN_ROWS, "gone.csv")
    assert estimate_run(SAMPLE, 3000, models, "cpu").speed_runs == 1
    assert estimate_run(SAMPLE, 3000, [("accurate", 128)], "cpu").speed_runs == 0  # another base encoder
    kept = finished_run(tmp_path, MIN_ROWS, "kept.csv")
    with session_scope() as session:
        (runs.get_settings().data_dir / session.get(ScoringRun, gone).input_path).unlink()  # its upload was deleted
    from core.scoring.estimate import _figures_said

    _figures_said.cache_clear()  # a new app process: nothing known about the deleted upload
    assert estimate_run(SAMPLE, 3000, models, "cpu").speed_runs == 1 and kept

