"""What the Batch scoring page says under a run that did not complete (core.views.batch_scoring.status_note)."""

from __future__ import annotations

from core.scoring.runs import RunView
from core.storage.tables import utcnow
from core.views.batch_scoring import status_note


def _run(status: str, done: int, total: int | None, ok: int = 0, empty: int = 0, engine: str = "local") -> RunView:
    return RunView(3, status, None, "in.csv", "text", ["sentiment"], {"sentiment": 1}, False, total, done, 0, ok, empty, 0,
                   {}, 0.0, False, "disk full" if status == "failed" else None, "ana", utcnow(), None, None, None, {},
                   engine)  # fmt: skip


def test_a_run_cancelled_before_its_first_row_says_so_without_zero_counts():
    assert status_note(_run("cancelled", 0, None)) == ("info", "This run was cancelled before it scored a row. Resume to score the file.")
    assert status_note(_run("cancelled", 0, 600)) == ("info", "This run was cancelled before it scored a row. Resume to score the file.")


def test_a_run_stopped_partway_names_what_it_kept():
    level, text = status_note(_run("cancelled", 200, 600, ok=198, empty=2))
    assert (level, text) == ("info", "This run was cancelled after 200 of 600 rows. The 200 rows scored before that are kept "
                                     "and can be downloaded.")  # fmt: skip
    level, text = status_note(_run("failed", 0, 600))
    assert (level, text) == ("error", "This run failed: disk full. No row was scored.")
    level, text = status_note(_run("interrupted", 1, 600, ok=1))
    assert text == ("This run was interrupted (its process stopped) after 1 row. The 1 row scored before that is kept and "
                    "can be downloaded. Resume to continue.")  # fmt: skip
    assert status_note(_run("succeeded", 600, 600, ok=600)) is None
