"""A Batch scoring run scored on Ray: the page's run, in the same lifecycle as a local one (``core.scoring.runs``).

``execute_run`` claims the run and counts its rows as for the local engine, then hands a run whose ``engine`` is
``ray`` to ``score_on_ray``:

1. *Reading the file*: the upload (any format the page accepts: CSV dialects, ``.gz``, ``.xlsx``) is read by the
   local reader in chunks into Parquet files under the run's folder (``ray-input/``); rows that cannot be parsed go
   to the run's error report, as locally. So Ray reads one clean format, and both engines see the same rows.
2. *Connecting to the Ray cluster* of ``BEACON_RAY_ADDRESS`` (``local``: a local Ray on this machine). The run's end
   is recorded before the process leaves the cluster; after a cancelled job it stays joined (Ray Data may still be
   stopping its threads, and shutting Ray down under them ends the process), and its next Ray run reuses the
   connection. A cluster that cannot be reached fails the run with one line naming the address.
3. *Scoring*: ``core.scoring.ray_engine.score_with_ray`` with the run's tasks, model versions and masking, the parts
   arriving in file order. Each finished part is moved to the run's ``parts/part-NNNNNN.parquet`` and recorded as a
   checkpoint (rows done, counts), exactly like a local chunk, so progress, the table, the downloads and the error
   report are the local run's. A cancel request stops the job after the parts in flight (``should_stop``); the
   parts recorded so far are kept. The job's summary (workers, rows/s, the cluster) is kept as ``ray-summary.json``.

A Ray run that is resumed (interrupted, failed, cancelled) starts over: Ray parts are not tied to chunks of the
file, so there is no resume point inside the file.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from core import runs as lifecycle
from core.repositories import runs as run_rows
from core.scoring.export import write_error_rows
from core.scoring.reading import InputSpec
from core.scoring.runs import (  # the run's files and row, as for local chunks
    CONNECTING,
    SCORING,
    SCORING_RUN,
    RunError,
    RunView,
    _error_path,
    _errors_dir,
    _part_path,
    _parts_dir,
    _set,
    _view,
    get_run,
    run_dir,
)
from core.settings import get_settings
from core.storage.tables import ScoringRun, utcnow


def _input_dir(run_id: int) -> Path:
    return run_dir(run_id) / "ray-input"


def _output_dir(run_id: int) -> Path:
    return run_dir(run_id) / "ray-output"


WORKERS = "starting the Ray workers (each loads the model)"  # the stage until the first part is back


def ray_summary_path(run_id: int) -> Path:
    """The last Ray job's summary of a run (workers, rows/s, the cluster), as ``score --engine ray`` writes it."""
    return run_dir(run_id) / "ray-summary.json"


def _start_over(run_id: int) -> None:
    """Forget earlier attempts: their parts, error rows and counts (a resumed Ray run scores the whole file again)."""
    for folder in (_parts_dir(run_id), _errors_dir(run_id), _input_dir(run_id), _output_dir(run_id)):
        shutil.rmtree(folder, ignore_errors=True)
    _parts_dir(run_id).mkdir(parents=True)
    _errors_dir(run_id).mkdir()
    _set(run_id, rows_done=0, parts_done=0, rows_ok=0, rows_empty=0, rows_bad=0, label_counts={}, scoring_seconds=0.0,
         heartbeat_at=utcnow())  # fmt: skip


def write_input(view: RunView, spec: InputSpec, should_stop: Callable[[], bool]) -> int:
    """The run's file as Parquet files of text columns (one per chunk) for Ray; its unparseable rows in the error
    report. Returns how many rows could not be parsed."""
    from core.scoring.ray_engine import write_parquet_input

    folder = _input_dir(view.id)
    folder.mkdir(parents=True)
    _, bad = write_parquet_input(spec, folder, view.file_name, should_stop=should_stop)
    if bad:
        write_error_rows(_error_path(view.id, 0), bad)  # one file: the error report reads those of recorded parts
    return len(bad)


def score_on_ray(view: RunView, spec: InputSpec, total: int, monitor: lifecycle.Heartbeat, on_chunk=None) -> None:  # noqa: ANN001
    """Score a claimed run on the Ray cluster of ``BEACON_RAY_ADDRESS`` and finish it (succeeded or cancelled);
    an error (the cluster cannot be reached, a bad column) is raised for ``execute_run`` to record as one line."""
    from core.scoring.ray_engine import SUMMARY

    run_id = view.id
    address = get_settings().ray_address
    if not address:
        raise RunError("the Ray engine is not configured any more (BEACON_RAY_ADDRESS is empty); resume after setting it")
    _start_over(run_id)
    try:
        bad = write_input(view, spec, monitor.should_stop)
        _set(run_id, rows_bad=bad, rows_done=bad, stage=CONNECTING, heartbeat_at=utcnow())
        if not monitor.should_stop() and any(_input_dir(run_id).iterdir()):
            _score_on_cluster(view, address, total, PartRecorder(run_id, bad, monitor, on_chunk))
        else:
            _finish(run_id, total, monitor)
    finally:
        if (_output_dir(run_id) / SUMMARY).exists():  # the Ray job's own account: workers, rows/s, the cluster
            (_output_dir(run_id) / SUMMARY).replace(ray_summary_path(run_id))
        for folder in (_input_dir(run_id), _output_dir(run_id)):
            shutil.rmtree(folder, ignore_errors=True)


def _score_on_cluster(view: RunView, address: str, total: int, recorder: PartRecorder) -> None:
    """Join the cluster, run the Ray job and record the run's end before leaving the cluster."""
    from core.scoring.ray_engine import ClusterUnreachable, ScoringCancelled, one_line, ray_session, score_with_ray

    monitor = recorder.monitor
    try:
        with ray_session(address) as session:
            _set(view.id, stage=WORKERS, heartbeat_at=utcnow())
            try:
                score_with_ray(str(_input_dir(view.id)), _output_dir(view.id), view.tasks, view.text_column,
                               versions=view.model_versions, mask_pii=view.mask_pii, should_stop=monitor.should_stop,
                               on_part=recorder, keep_order=True, address=address)  # fmt: skip
            except ScoringCancelled:
                session.stay_joined = True  # Ray Data may still be stopping its threads
            except (ValueError, RunError):
                raise
            except Exception as exc:  # Ray's errors carry remote tracebacks: the page gets their telling line
                raise RunError(f"the Ray job failed: {one_line(exc)}") from exc
            _finish(view.id, total, monitor)  # recorded while still joined: leaving the cluster is the last step
    except ClusterUnreachable as exc:
        raise RunError(str(exc)) from exc


def _finish(run_id: int, total: int, monitor: lifecycle.Heartbeat) -> None:
    done = get_run(run_id)
    final = lifecycle.CANCELLED if monitor.should_stop() and done.rows_done < total else lifecycle.SUCCEEDED
    lifecycle.finish(SCORING_RUN, run_id, final, stage=None, heartbeat_at=utcnow())


class PartRecorder:
    """Called by the Ray engine for each finished part, in file order: the part becomes the run's next numbered
    part and the run's row records it (the checkpoint a local chunk writes); a cancel request is passed on."""

    def __init__(self, run_id: int, rows_bad: int, monitor: lifecycle.Heartbeat, on_chunk=None) -> None:  # noqa: ANN001
        self.run_id, self.rows_bad, self.monitor, self.on_chunk = run_id, rows_bad, monitor, on_chunk
        self.started = time.perf_counter()
        self.parts = 0  # this recorder is the run's only writer of parts

    def __call__(self, name: str, rows: int, empty: int, counts: dict) -> None:
        from core.scoring.engine import merge_counts

        seconds = time.perf_counter() - self.started

        (_output_dir(self.run_id) / name).replace(_part_path(self.run_id, self.parts))
        self.parts += 1

        def record_it(row: ScoringRun) -> RunView:
            row.stage = SCORING
            row.parts_done = self.parts
            row.rows_done = self.rows_bad + row.rows_ok + row.rows_empty + rows
            row.rows_ok += rows - empty
            row.rows_empty += empty
            row.label_counts = merge_counts(row.label_counts, counts)
            row.scoring_seconds = seconds
            row.heartbeat_at = utcnow()
            return _view(row)

        current = run_rows.change(ScoringRun, self.run_id, record_it, SCORING_RUN.missing(self.run_id))
        if current.cancel_requested:
            self.monitor.cancel.set()
        if self.on_chunk:
            self.on_chunk(current)
