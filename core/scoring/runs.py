"""Scoring runs: an uploaded file scored outside the Streamlit script, with a checkpoint per chunk.

The life of a run (queued, claimed once, heartbeat, interrupted, cancel, resume, the cap on runs at
once) is ``core.runs``'s; this module plugs in the work. The page queues a run and starts
``python -m core score-run RUN_ID`` in its own session (``start_run``), so closing or reloading the
browser tab does not stop it. The process claims the run before it imports the model code, and
records its ``stage`` (starting, reading the file, loading the model, scoring) so the page says
what it is doing from the first second. Then per chunk it writes ``parts/part-NNNNNN.parquet``
(and ``errors/errors-NNNNNN.csv`` for rows that could not be parsed) and only then records the
chunk in the row (``rows_done``, ``parts_done``, counts). A run whose process died stops sending
heartbeats and is shown as ``interrupted``, never as complete; ``resume_run`` continues after the
last recorded chunk, dropping any part written after it, so no row is scored twice or lost. A
cancelled or failed run keeps (and can export) the chunks already written. What the Batch scoring
page shows of a run is in ``core.views.batch_scoring``.
"""

from __future__ import annotations

import heapq
import logging
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core import runs as lifecycle
from core.auth import current_actor, record, require, requires
from core.repositories import runs as run_rows
from core.scoring.export import ERROR_COLUMNS, arrow_table, concat_files, csv_text, write_error_rows
from core.scoring.reading import InputFileError, InputSpec, count_records, inspect_input, no_column, preview
from core.settings import get_settings
from core.staged_uploads import is_staged, keep_upload, safe_file_name
from core.storage.tables import ScoringRun, utcnow

if TYPE_CHECKING:
    from core.scoring.engine import Layout, TaskModel

log = logging.getLogger("beacon.scoring")

DEFAULT_USER = "local user"
UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".gz", ".xlsx")
# what an active run is doing (ScoringRun.stage), in the order they happen
STARTING = "starting the scoring process"
READING = "reading the file"
LOADING = "loading the model"
SCORING = "scoring"
CONNECTING = "connecting to the Ray cluster"  # a Ray run (core.scoring.ray_runs), after reading the file
LOCAL, RAY = "local", "ray"  # the engines a run can be scored by (ScoringRun.engine)


class RunError(RuntimeError):
    """A run cannot go on; its message is the one line the page shows (e.g. the Ray cluster cannot be reached)."""


@dataclass(frozen=True)
class RunView:
    """A scoring run as plain data for pages and the CLI."""

    id: int
    status: str
    stage: str | None
    file_name: str
    text_column: str
    tasks: list[str]
    model_versions: dict
    mask_pii: bool
    total_rows: int | None
    rows_done: int
    parts_done: int
    rows_ok: int
    rows_empty: int
    rows_bad: int
    label_counts: dict
    scoring_seconds: float
    cancel_requested: bool
    error: str | None
    created_by: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None
    input_spec: dict
    engine: str = LOCAL

    @property
    def finished(self) -> bool:
        return self.status in lifecycle.FINISHED

    @property
    def resumable(self) -> bool:
        return self.status in lifecycle.RESUMABLE and (self.total_rows is None or self.rows_done < self.total_rows)

    @property
    def rows_per_s(self) -> float | None:
        return self.rows_done / self.scoring_seconds if self.scoring_seconds > 0 and self.rows_done else None

    @property
    def seconds_left(self) -> float | None:
        rate = self.rows_per_s
        if rate is None or self.total_rows is None:
            return None
        return max(0.0, (self.total_rows - self.rows_done) / rate)

    @property
    def fraction_done(self) -> float:
        if self.status == "succeeded":
            return 1.0
        if not self.total_rows:
            return 0.0
        return min(1.0, self.rows_done / self.total_rows)

    @property
    def models_text(self) -> str:
        return ", ".join(f"{task} v{self.model_versions.get(task, '?')}" for task in self.tasks)


def _view(row: ScoringRun) -> RunView:
    return RunView(
        row.id, row.status, row.stage, row.file_name, row.text_column, list(row.tasks), dict(row.model_versions), row.mask_pii,
        row.total_rows, row.rows_done, row.parts_done, row.rows_ok, row.rows_empty, row.rows_bad,
        dict(row.label_counts), row.scoring_seconds, row.cancel_requested, row.error, row.created_by, row.created_at,
        row.started_at, row.heartbeat_at, row.finished_at, dict(row.input_spec), row.engine or LOCAL,
    )  # fmt: skip


# ---------------------------------------------------------------- files


def runs_dir() -> Path:
    path = get_settings().data_dir / "scoring_runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: int) -> Path:
    return runs_dir() / str(run_id)


SCORING_RUN = lifecycle.RunKind(
    "scoring run", ScoringRun, "score-run", lambda run_id: run_dir(run_id) / "process.log",
    "the scoring process stopped without finishing (no heartbeat); resume to continue", on_interrupted={"stage": None},
)  # fmt: skip


def _parts_dir(run_id: int) -> Path:
    return run_dir(run_id) / "parts"


def _errors_dir(run_id: int) -> Path:
    return run_dir(run_id) / "errors"


def _part_path(run_id: int, index: int) -> Path:
    return _parts_dir(run_id) / f"part-{index:06d}.parquet"


def _error_path(run_id: int, index: int) -> Path:
    return _errors_dir(run_id) / f"errors-{index:06d}.csv"


def size_limit_bytes() -> int:
    return int(get_settings().upload_max_mb * 1024 * 1024)


def size_limit_text() -> str:
    return f"{get_settings().upload_max_mb:g} MB"


def check_upload_size(size_bytes: int, name: str) -> None:
    """Raise ``InputFileError`` for a file over the configured limit (``BEACON_UPLOAD_MAX_MB``)."""
    if size_bytes > size_limit_bytes():
        raise InputFileError(
            f"{name}: the file is {size_bytes / 1024 / 1024:.1f} MB, over the upload limit of {size_limit_text()} "
            "(BEACON_UPLOAD_MAX_MB)"
        )


@requires("analyst", "upload files for scoring")
def save_upload(name: str, data: bytes | BinaryIO) -> Path:
    """Store an uploaded file under the data folder, enforcing the size limit while copying."""
    check_upload_size(len(data) if isinstance(data, bytes) else 0, name)
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise InputFileError(f"{name}: upload a .csv, .csv.gz or .xlsx file")
    return keep_upload("scoring_uploads", name, data, check_size=lambda written: check_upload_size(written, name))


# ---------------------------------------------------------------- creating, starting, resuming


@requires("analyst", "score files")
def create_run(
    upload_path: Path,
    file_name: str,
    text_column: str,
    tasks: list[str],
    mask_pii: bool = False,
    engine: str = LOCAL,
    versions: dict[str, int] | None = None,
) -> int:
    """Queue a run for a stored upload (moved into the run's folder); the model versions are fixed now (the active
    ones, or those ``versions`` names for some tasks, to try a version before promoting it), so a later promotion
    does not change a resumed run. ``engine`` ``ray`` scores it on the Ray cluster of ``BEACON_RAY_ADDRESS``
    (``core.scoring.ray_runs``)."""
    from core.nlp import registry

    if not tasks:
        raise ValueError("choose at least one task")
    if engine not in (LOCAL, RAY):
        raise ValueError(f"unknown engine {engine!r}; use {LOCAL} or {RAY}")
    if engine == RAY and not get_settings().ray_address:
        raise ValueError("the Ray engine is not configured here (set BEACON_RAY_ADDRESS); score the file with the local engine")
    spec = inspect_input(upload_path, "auto", name=file_name)
    if text_column not in spec.columns:
        raise InputFileError(f"{file_name}: {no_column(text_column, spec.columns)}")
    chosen = {task: int(v) for task, v in (versions or {}).items()}
    if set(chosen) - set(tasks):
        raise ValueError(f"a version was given for {', '.join(sorted(set(chosen) - set(tasks)))}, which is not among the tasks to score")
    versions = {task: registry.get_version(task, chosen[task]).version if task in chosen else registry.active_version(task).version
                for task in dict.fromkeys(tasks)}  # fmt: skip
    row = ScoringRun(
        file_name=file_name[:500],
        input_path="",
        input_spec=spec.as_dict(),
        text_column=text_column,
        tasks=list(versions),
        model_versions=versions,
        mask_pii=bool(mask_pii),
        engine=engine,
        created_by=current_user()[:200],
        stage=STARTING,
    )

    def move_upload(row: ScoringRun) -> None:  # in the insert's transaction: no run without its input
        folder = run_dir(row.id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"input-{safe_file_name(upload_path.name)}"
        shutil.move(str(upload_path), target)
        if is_staged(upload_path, "scoring_uploads"):
            shutil.rmtree(upload_path.parent, ignore_errors=True)
        row.input_path = str(target.relative_to(get_settings().data_dir))

    run_id = run_rows.insert(row, move_upload)
    record("scoring started", file_name, detail={"run": run_id, "tasks": versions, "mask_pii": bool(mask_pii), "engine": engine})
    log.info("scoring run %s queued: %s, tasks %s, engine %s", run_id, file_name, versions, engine)
    return run_id


def start_run(run_id: int) -> subprocess.Popen | None:
    """Start ``python -m core score-run RUN_ID`` in its own session (None while the cap on runs at once is
    reached: the worker runs it later); a second start cannot score the run twice (the run is claimed once)."""
    return lifecycle.launch(SCORING_RUN, run_id)


@requires("analyst", "cancel scoring runs")
def request_cancel(run_id: int) -> RunView:
    """Ask a queued or running run to stop after its current chunk (a queued one stops at once)."""
    lifecycle.request_cancel(SCORING_RUN, run_id, cancel_requested=True, stage=None)
    return get_run(run_id)


@requires("analyst", "resume scoring runs")
def resume_run(run_id: int, launch: bool = True) -> RunView:
    """Queue an interrupted, failed or cancelled run again; it continues after its last finished chunk."""
    lifecycle.requeue(SCORING_RUN, run_id, stage=STARTING)
    view = get_run(run_id)
    if launch:
        start_run(run_id)
    return view


def delete_run(run_id: int) -> RunView:
    """Delete a finished run with its uploaded file and results (the run's folder): analysts their own runs, admins any
    run. ValueError while it is queued or running; LookupError when there is no such run."""
    require("analyst", "delete scoring runs")
    run = lifecycle.delete_ended(SCORING_RUN, run_id, _view, lambda run: f"run {run.id} ({run.file_name})")
    shutil.rmtree(run_dir(run_id), ignore_errors=True)
    record("scoring run deleted", run.file_name, detail={"run": run_id, "rows": run.rows_done})
    return run


def mark_interrupted_runs(stale_after_s: float | None = None) -> int:
    """Running runs with no heartbeat for ``BEACON_RUN_STALE_S`` (or ``stale_after_s``) become interrupted."""
    return lifecycle.mark_interrupted(SCORING_RUN, stale_s=stale_after_s)


def get_run(run_id: int) -> RunView:
    mark_interrupted_runs()
    return run_rows.get(ScoringRun, run_id, _view, SCORING_RUN.missing(run_id))


def list_runs(limit: int = 50) -> list[RunView]:
    mark_interrupted_runs()
    return run_rows.newest(ScoringRun, _view, limit)


def finished_local_runs(limit: int = 20) -> list[RunView]:
    """The newest runs that scored on this deployment's local engine and ended (complete or cancelled), for measuring
    how fast scoring really goes here."""
    done = (lifecycle.SUCCEEDED, lifecycle.CANCELLED)
    return [run for run in run_rows.newest(ScoringRun, _view, limit * 2, engine=LOCAL) if run.status in done][:limit]


def sample_texts(run_id: int, rows: int = 50) -> list[str]:
    """The first texts of a run's stored upload (InputFileError when the file is gone or unreadable)."""
    view, input_path = run_rows.get(ScoringRun, run_id, lambda row: (_view(row), row.input_path), SCORING_RUN.missing(run_id))
    spec = InputSpec.from_dict(get_settings().data_dir / input_path, view.input_spec)
    frame, _ = preview(spec, rows, name=view.file_name)
    return frame[view.text_column].fillna("").astype(str).tolist() if view.text_column in frame else []


def _set(run_id: int, **values: object) -> None:
    lifecycle.update(SCORING_RUN, run_id, **values)


# ---------------------------------------------------------------- executing (in the score-run process)


def _drop_unrecorded_parts(run_id: int, parts_done: int) -> None:
    """Files of chunks written after the last recorded checkpoint (a killed process) are redone."""
    for folder in (_parts_dir(run_id), _errors_dir(run_id)):
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            match = re.search(r"-(\d+)\.", path.name)
            if path.suffix == ".tmp" or (match and int(match.group(1)) >= parts_done):
                path.unlink()


def execute_run(run_id: int, on_chunk=None, models: list[TaskModel] | None = None) -> RunView:  # noqa: ANN001
    """Score a queued run in this process (``python -m core score-run``); returns its final state.
    ``on_chunk(view)`` is called after every recorded chunk (tests, terminal progress)."""
    from core.scoring.engine import load_task_models, make_layout, merge_counts, score_chunks  # imports torch: after the claim

    if not lifecycle.claim(SCORING_RUN, run_id, stage=READING, pid=os.getpid()):
        view = get_run(run_id)
        log.warning("scoring run %s is %s, not claimed; nothing to do now", run_id, view.status)
        return view
    view, input_path = run_rows.get(ScoringRun, run_id, lambda row: (_view(row), row.input_path), SCORING_RUN.missing(run_id))
    with lifecycle.Heartbeat(SCORING_RUN, run_id) as monitor:
        try:
            spec = InputSpec.from_dict(get_settings().data_dir / input_path, view.input_spec)
            total = view.total_rows
            if total is None:
                total = count_records(spec, view.file_name)
                _set(run_id, total_rows=total, heartbeat_at=utcnow())
            if view.engine == RAY:
                from core.scoring.ray_runs import score_on_ray

                score_on_ray(view, spec, total, monitor, on_chunk)
                return get_run(run_id)
            done = view.rows_done
            _set(run_id, stage=LOADING, heartbeat_at=utcnow())
            models = models or load_task_models(view.tasks, view.model_versions)
            _set(run_id, stage=SCORING, heartbeat_at=utcnow())
            layout = make_layout(spec.columns, models)
            schema = layout.schema()
            _drop_unrecorded_parts(run_id, view.parts_done)
            counts = view.label_counts
            started = time.perf_counter()
            seconds = view.scoring_seconds
            for chunk in score_chunks(
                spec, view.text_column, models, mask_pii=view.mask_pii, skip_records=view.rows_done,
                first_index=view.parts_done, name=view.file_name, should_stop=monitor.should_stop,
            ):  # fmt: skip
                part = _part_path(run_id, chunk.index)
                tmp = part.with_suffix(".tmp")
                pq.write_table(arrow_table(chunk.frame, schema), str(tmp))
                tmp.replace(part)
                if chunk.bad:
                    write_error_rows(_error_path(run_id, chunk.index), chunk.bad)
                counts = merge_counts(counts, chunk.counts)
                current = _record_chunk(run_id, chunk, counts, seconds + (time.perf_counter() - started))
                if current.cancel_requested:
                    monitor.cancel.set()
                done = chunk.records_done
                if on_chunk:
                    on_chunk(current)
            final = lifecycle.CANCELLED if monitor.cancel.is_set() and done < total else lifecycle.SUCCEEDED
            lifecycle.finish(SCORING_RUN, run_id, final, stage=None, heartbeat_at=utcnow())
        except Exception as exc:
            log.exception("scoring run %s failed", run_id)
            error = str(exc) if isinstance(exc, (ValueError, RunError)) else f"{type(exc).__name__}: {exc}"
            lifecycle.finish(SCORING_RUN, run_id, lifecycle.FAILED, stage=None, error=error[:2000])
    return get_run(run_id)


def _record_chunk(run_id: int, chunk, counts: dict, scoring_seconds: float) -> RunView:  # noqa: ANN001 - a ScoredChunk
    """The checkpoint: a chunk's files are written, now the row says so (the resume point moves past it)."""

    def record_it(row: ScoringRun) -> RunView:
        row.rows_done = chunk.records_done
        row.parts_done = chunk.index + 1
        row.rows_ok += chunk.ok
        row.rows_empty += chunk.empty
        row.rows_bad += len(chunk.bad)
        row.label_counts = counts
        row.scoring_seconds = scoring_seconds
        row.heartbeat_at = utcnow()
        return _view(row)

    return run_rows.change(ScoringRun, run_id, record_it, SCORING_RUN.missing(run_id))


# ---------------------------------------------------------------- results


def result_parts(run: RunView) -> list[Path]:
    """The run's scored chunks written so far, in file order (Parquet, the result's columns)."""
    return [p for i in range(run.parts_done) if (p := _part_path(run.id, i)).exists()]


def result_columns(run: RunView) -> dict[str, str]:
    """task -> its confidence column in the result."""
    if len(run.tasks) == 1:
        return {run.tasks[0]: "confidence"}
    return {task: f"{task}_confidence" for task in run.tasks}


def result_table(run_id: int, task: str | None = None, lowest_first: bool = False, limit: int = 1000) -> pd.DataFrame:
    """Up to ``limit`` scored rows with a ``row`` number (1-based, file order): the first ones, or the
    lowest-confidence ones for ``task`` (empty texts, which have no confidence, last)."""
    run = get_run(run_id)
    parts = result_parts(run)
    if not parts:
        return pd.DataFrame()
    if not lowest_first:
        frames, offset = [], 0
        for path in parts:
            frame = pq.read_table(path).to_pandas()
            frame.insert(0, "row", range(offset + 1, offset + len(frame) + 1))
            offset += len(frame)
            frames.append(frame.head(limit - sum(len(f) for f in frames)))
            if sum(len(f) for f in frames) >= limit:
                break
        return pd.concat(frames, ignore_index=True)
    conf_col = result_columns(run)[task or run.tasks[0]]
    heap: list[tuple[float, int, int]] = []  # (-confidence, row, part) of the lowest rows so far
    offset = 0
    sizes = []
    for i, path in enumerate(parts):
        conf = pq.read_table(path, columns=[conf_col]).column(0).to_numpy(zero_copy_only=False)
        sizes.append(len(conf))
        for j, c in enumerate(conf):
            if c != c:  # NaN: an empty text
                continue
            item = (-float(c), offset + j, i)
            if len(heap) < limit:
                heapq.heappush(heap, item)
            elif item > heap[0]:
                heapq.heapreplace(heap, item)
        offset += len(conf)
    wanted: dict[int, list[int]] = {}
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    for _, row, part in heap:
        wanted.setdefault(part, []).append(row - starts[part])
    frames = []
    for part, rows in wanted.items():
        frame = pq.read_table(parts[part]).to_pandas().iloc[sorted(rows)]
        frame.insert(0, "row", [starts[part] + r + 1 for r in sorted(rows)])
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["row", *pq.read_schema(parts[0]).names])
    return pd.concat(frames, ignore_index=True).sort_values([conf_col, "row"], kind="stable").reset_index(drop=True)


def export_path(run_id: int, fmt: str) -> Path:
    """The scored rows of a run (all chunks written so far) as CSV (Excel-safe) or Parquet; the file
    is built by streaming the chunks and cached until the run writes more."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}; use csv or parquet")
    run = get_run(run_id)
    target = run_dir(run_id) / "exports" / f"scored-{run.parts_done}.{fmt}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    for old in target.parent.glob(f"scored-*.{fmt}"):
        old.unlink()
    parts = result_parts(run)
    schema = pq.read_schema(parts[0]) if parts else _planned_schema(run)
    tmp = target.with_suffix(".tmp")
    if fmt == "csv":
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            if not parts:
                fh.write(csv_text(schema.empty_table().to_pandas(), header=True))
            for i, path in enumerate(parts):
                fh.write(csv_text(pq.read_table(path).to_pandas(), header=i == 0))
    else:
        with pq.ParquetWriter(str(tmp), schema) as writer:
            for path in parts:
                writer.write_table(pq.read_table(path))
    tmp.replace(target)
    return target


def _planned_schema(run: RunView) -> pa.Schema:
    """The output schema of a run that has written nothing yet (labels from the registry)."""
    return run_layout(run).schema()


def run_layout(run: RunView) -> Layout:
    """The run's output columns: which result column holds each input column and each task's label."""
    from core.nlp import registry
    from core.scoring.engine import make_layout

    pairs = []
    for task in run.tasks:
        try:
            labels = registry.get_version(task, run.model_versions.get(task)).labels
        except LookupError:  # the version was deleted since: the classes the run counted
            labels = sorted(run.label_counts.get(task, {}))
        pairs.append((task, labels))
    return make_layout(run.input_spec.get("columns", []), pairs)


def download_name(run: RunView, fmt: str) -> str:
    stem = re.sub(r"(\.csv)?(\.gz)?$|\.xlsx$|\.txt$|\.tsv$", "", run.file_name, flags=re.I) or "scored"
    return f"{safe_file_name(stem)}-scored-run{run.id}.{fmt}"


def error_report(run_id: int) -> bytes | None:
    """The rows that could not be parsed, as CSV (line, problem, content), or None when there are none."""
    run = get_run(run_id)
    paths = [p for i in range(run.parts_done) if (p := _error_path(run_id, i)).exists()]
    if not paths:
        return None
    return b"".join(concat_files(paths, ERROR_COLUMNS))


def current_user() -> str:
    """The acting user's name (the signed-in user in the app, ``cli`` or ``worker`` elsewhere)."""
    actor = current_actor()
    return getattr(actor, "username", None) or DEFAULT_USER
