"""Scoring runs: an uploaded file scored outside the Streamlit script, with a checkpoint per chunk.

Life of a run: ``queued`` -> ``running`` -> ``succeeded`` | ``failed`` | ``cancelled``. The page
queues it and starts ``python -m core score-run RUN_ID`` in its own session (``start_run``), so
closing or reloading the browser tab does not stop it. The process claims the run atomically
before it imports the model code, and records its ``stage`` (starting, reading the file, loading
the model, scoring) so the page says what it is doing from the first second. Then per chunk it
writes ``parts/part-NNNNNN.parquet`` (and ``errors/errors-NNNNNN.csv`` for rows that could not be
parsed) and only then records the chunk in the row (``rows_done``, ``parts_done``, counts). A run
whose process died stops sending heartbeats and is shown as ``interrupted``, never as complete;
``resume_run`` continues after the last recorded chunk, dropping any part written after it, so no
row is scored twice or lost. A cancelled or failed run keeps (and can export) the chunks already written.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import re
import shutil
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select, update

from core.auth import current_actor, record, requires
from core.background import start_detached
from core.scoring.export import ERROR_COLUMNS, arrow_table, concat_files, csv_text, write_error_rows
from core.scoring.reading import InputFileError, InputSpec, count_records, inspect_input, preview, suggest_text_column
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import ScoringRun, utcnow

if TYPE_CHECKING:
    from core.scoring.engine import TaskModel

log = logging.getLogger("beacon.scoring")

ACTIVE = ("queued", "running")
FINISHED = ("succeeded", "failed", "cancelled", "interrupted")
RESUMABLE = ("interrupted", "failed", "cancelled")
DEFAULT_USER = "local user"
UPLOAD_SUFFIXES = (".csv", ".txt", ".tsv", ".gz", ".xlsx")
# what an active run is doing (ScoringRun.stage), in the order they happen
STARTING = "starting the scoring process"
READING = "reading the file"
LOADING = "loading the model"
SCORING = "scoring"


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

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def resumable(self) -> bool:
        return self.status in RESUMABLE and (self.total_rows is None or self.rows_done < self.total_rows)

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
        row.started_at, row.heartbeat_at, row.finished_at, dict(row.input_spec),
    )  # fmt: skip


# ---------------------------------------------------------------- files


def runs_dir() -> Path:
    path = get_settings().data_dir / "scoring_runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_dir(run_id: int) -> Path:
    return runs_dir() / str(run_id)


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


def upload_limit_mb() -> int:
    """The limit in whole MB for the upload widget (the exact check is ``check_upload_size``)."""
    return max(1, math.ceil(get_settings().upload_max_mb))


def size_limit_text() -> str:
    return f"{get_settings().upload_max_mb:g} MB"


def check_upload_size(size_bytes: int, name: str) -> None:
    """Raise ``InputFileError`` for a file over the configured limit (``BEACON_UPLOAD_MAX_MB``)."""
    if size_bytes > size_limit_bytes():
        raise InputFileError(
            f"{name}: the file is {size_bytes / 1024 / 1024:.1f} MB, over the upload limit of {size_limit_text()} "
            "(BEACON_UPLOAD_MAX_MB)"
        )


def _safe_name(name: str) -> str:
    base = re.sub(r"[^\w.\-]+", "_", Path(name).name).strip("._") or "upload"
    return base[:120]


@requires("analyst", "upload files for scoring")
def save_upload(name: str, data: bytes | BinaryIO) -> Path:
    """Store an uploaded file under the data folder, enforcing the size limit while copying."""
    check_upload_size(len(data) if isinstance(data, bytes) else 0, name)
    if not name.lower().endswith(UPLOAD_SUFFIXES):
        raise InputFileError(f"{name}: upload a .csv, .csv.gz or .xlsx file")
    folder = get_settings().data_dir / "scoring_uploads" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _safe_name(name)
    written = 0
    with path.open("wb") as out:
        if isinstance(data, bytes):
            out.write(data)
        else:
            while block := data.read(1 << 20):
                written += len(block)
                if written > size_limit_bytes():
                    out.close()
                    shutil.rmtree(folder, ignore_errors=True)
                    check_upload_size(written, name)
                out.write(block)
    return path


@dataclass(frozen=True)
class UploadCheck:
    """What the page shows before a run: how the file is read, its first rows and a text column."""

    spec: InputSpec
    description: str
    preview: pd.DataFrame
    bad_rows: list  # BadRow in the previewed part
    suggested_column: str | None


def check_upload(path: Path, name: str | None = None, rows: int = 20) -> UploadCheck:
    """Inspect a stored upload; raises ``InputFileError`` (with the problem and where) when unreadable.
    The result is remembered per file version, so page reruns do not decode a large file again."""
    name = name or path.name
    if not path.exists():
        raise InputFileError(f"{name}: the uploaded file is gone; upload it again")
    stat = path.stat()
    check_upload_size(stat.st_size, name)
    return _check_upload(str(path), stat.st_mtime_ns, stat.st_size, name, rows)


@lru_cache(maxsize=16)
def _check_upload(path: str, _mtime_ns: int, _size: int, name: str, rows: int) -> UploadCheck:
    spec = inspect_input(Path(path), "auto", name=name)
    frame, bad = preview(spec, rows, name=name)
    return UploadCheck(spec, spec.describe(), frame, bad, suggest_text_column(frame) if len(frame.columns) else None)


def available_tasks() -> list[str]:
    """Every task that has an active model version."""
    from core.nlp import registry

    return [v.task for v in registry.list_versions() if v.is_active]


# ---------------------------------------------------------------- creating, starting, resuming


@requires("analyst", "score files")
def create_run(
    upload_path: Path,
    file_name: str,
    text_column: str,
    tasks: list[str],
    mask_pii: bool = False,
) -> int:
    """Queue a run for a stored upload (moved into the run's folder); the active model versions are
    fixed now, so a later promotion does not change a resumed run."""
    from core.nlp import registry

    if not tasks:
        raise ValueError("choose at least one task")
    spec = inspect_input(upload_path, "auto", name=file_name)
    if text_column not in spec.columns:
        raise InputFileError(f"{file_name}: no column named {text_column!r}; columns are: {', '.join(spec.columns)}")
    versions = {task: registry.active_version(task).version for task in dict.fromkeys(tasks)}
    with session_scope() as session:
        row = ScoringRun(
            file_name=file_name[:500],
            input_path="",
            input_spec=spec.as_dict(),
            text_column=text_column,
            tasks=list(versions),
            model_versions=versions,
            mask_pii=bool(mask_pii),
            created_by=current_user()[:200],
            heartbeat_at=utcnow(),
            stage=STARTING,
        )
        session.add(row)
        session.flush()
        run_id = row.id
        folder = run_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"input-{_safe_name(upload_path.name)}"
        shutil.move(str(upload_path), target)
        if upload_path.parent.parent.name == "scoring_uploads":
            shutil.rmtree(upload_path.parent, ignore_errors=True)
        row.input_path = str(target.relative_to(get_settings().data_dir))
    record("scoring started", file_name, detail={"run": run_id, "tasks": versions, "mask_pii": bool(mask_pii)})
    log.info("scoring run %s queued: %s, tasks %s", run_id, file_name, versions)
    return run_id


def start_run(run_id: int) -> subprocess.Popen:
    """Start ``python -m core score-run RUN_ID`` in its own session: it outlives a page reload or a
    closed tab, and a second start cannot score the run twice (the run is claimed atomically)."""
    return start_detached(["score-run", str(run_id)], run_dir(run_id) / "process.log")


@requires("analyst", "cancel scoring runs")
def request_cancel(run_id: int) -> RunView:
    """Ask a queued or running run to stop after its current chunk (a queued one stops at once)."""
    with session_scope() as session:
        row = _row(session, run_id)
        if row.status == "queued":
            row.status, row.finished_at, row.cancel_requested, row.stage = "cancelled", utcnow(), True, None
        elif row.status == "running":
            row.cancel_requested = True
        return _view(row)


@requires("analyst", "resume scoring runs")
def resume_run(run_id: int, launch: bool = True) -> RunView:
    """Queue an interrupted, failed or cancelled run again; it continues after its last finished chunk."""
    with session_scope() as session:
        row = _row(session, run_id)
        if row.status not in RESUMABLE:
            raise ValueError(f"scoring run {run_id} is {row.status}; only interrupted, failed or cancelled runs can be resumed")
        row.status, row.cancel_requested, row.error, row.finished_at = "queued", False, None, None
        row.heartbeat_at, row.stage = utcnow(), STARTING
        view = _view(row)
    if launch:
        start_run(run_id)
    return view


def mark_interrupted_runs(stale_after_s: float | None = None) -> int:
    """Queued or running runs with no heartbeat for ``BEACON_SCORING_STALE_S`` become interrupted."""
    limit = utcnow() - timedelta(seconds=stale_after_s if stale_after_s is not None else get_settings().scoring_stale_s)
    with session_scope() as session:
        result = session.execute(
            update(ScoringRun)
            .where(ScoringRun.status.in_(ACTIVE), ScoringRun.heartbeat_at < limit)
            .values(
                status="interrupted",
                stage=None,
                finished_at=utcnow(),
                error="the scoring process stopped without finishing (no heartbeat); resume to continue",
            )
        )
        return result.rowcount or 0


def run_queued(older_than_s: float = 30.0) -> list[int]:
    """Worker fallback: execute queued runs whose launched process never claimed them (a second
    start of the same run is harmless: the claim is atomic)."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    with session_scope() as session:
        ids = list(
            session.scalars(
                select(ScoringRun.id).where(ScoringRun.status == "queued", ScoringRun.heartbeat_at < cutoff).order_by(ScoringRun.id)
            )
        )
    for run_id in ids:
        execute_run(run_id)
    return ids


def get_run(run_id: int) -> RunView:
    mark_interrupted_runs()
    with session_scope() as session:
        return _view(_row(session, run_id))


def list_runs(limit: int = 50) -> list[RunView]:
    mark_interrupted_runs()
    with session_scope() as session:
        rows = session.scalars(select(ScoringRun).order_by(ScoringRun.created_at.desc(), ScoringRun.id.desc()).limit(limit))
        return [_view(r) for r in rows]


def _row(session, run_id: int) -> ScoringRun:  # noqa: ANN001 - Session
    row = session.get(ScoringRun, run_id)
    if row is None:
        raise LookupError(f"no scoring run {run_id}")
    return row


def _set(run_id: int, **values: object) -> None:
    with session_scope() as session:
        session.execute(update(ScoringRun).where(ScoringRun.id == run_id).values(**values))


# ---------------------------------------------------------------- executing (in the score-run process)


class _Monitor:
    """Heartbeat thread: tells the database the process is alive and picks up cancel requests."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.cancel = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"scoring-heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> _Monitor:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        interval = get_settings().scoring_heartbeat_s
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception as exc:  # a missed heartbeat only risks a false "interrupted"
                log.warning("scoring run %s heartbeat failed: %s", self.run_id, exc)

    def should_stop(self) -> bool:
        """Checked before each chunk: a cancel request stops the run before it scores another chunk."""
        if not self.cancel.is_set():
            with session_scope() as session:
                if session.scalar(select(ScoringRun.cancel_requested).where(ScoringRun.id == self.run_id)):
                    self.cancel.set()
        return self.cancel.is_set()

    def beat(self) -> None:
        with session_scope() as session:
            row = _row(session, self.run_id)
            if row.status == "running":
                row.heartbeat_at = utcnow()
            if row.cancel_requested:
                self.cancel.set()


def _claim(run_id: int) -> bool:
    now = utcnow()
    with session_scope() as session:
        claimed = session.execute(
            update(ScoringRun)
            .where(ScoringRun.id == run_id, ScoringRun.status == "queued")
            .values(status="running", stage=READING, pid=os.getpid(), started_at=now, heartbeat_at=now)
        )
        return bool(claimed.rowcount)


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

    if not _claim(run_id):
        view = get_run(run_id)
        log.warning("scoring run %s is %s, not queued; nothing to do", run_id, view.status)
        return view
    with session_scope() as session:
        view = _view(_row(session, run_id))
    data_dir = get_settings().data_dir
    with _Monitor(run_id) as monitor:
        try:
            monitor.beat()
            spec = InputSpec.from_dict(data_dir / _input_path(run_id), view.input_spec)
            total = view.total_rows
            if total is None:
                total = count_records(spec, view.file_name)
                _set(run_id, total_rows=total, heartbeat_at=utcnow())
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
                now_s = time.perf_counter()
                with session_scope() as session:
                    row = _row(session, run_id)
                    row.rows_done = chunk.records_done
                    row.parts_done = chunk.index + 1
                    row.rows_ok += chunk.ok
                    row.rows_empty += chunk.empty
                    row.rows_bad += len(chunk.bad)
                    row.label_counts = counts
                    row.scoring_seconds = seconds + (now_s - started)
                    row.heartbeat_at = utcnow()
                    if row.cancel_requested:
                        monitor.cancel.set()
                    current = _view(row)
                done = chunk.records_done
                if on_chunk:
                    on_chunk(current)
            final = "cancelled" if monitor.cancel.is_set() and done < total else "succeeded"
            _set(run_id, status=final, stage=None, finished_at=utcnow(), heartbeat_at=utcnow())
        except Exception as exc:
            log.exception("scoring run %s failed", run_id)
            _set(run_id, status="failed", stage=None, error=f"{type(exc).__name__}: {exc}"[:2000] if not isinstance(exc, ValueError)
                 else str(exc)[:2000], finished_at=utcnow())  # fmt: skip
    return get_run(run_id)


def _input_path(run_id: int) -> str:
    with session_scope() as session:
        return _row(session, run_id).input_path


# ---------------------------------------------------------------- results


def _parts(run: RunView) -> list[Path]:
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
    parts = _parts(run)
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
    parts = _parts(run)
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
    from core.nlp import registry
    from core.scoring.engine import make_layout

    pairs = []
    for task in run.tasks:
        found = [v for v in registry.list_versions(task) if v.version == run.model_versions.get(task)]
        pairs.append((task, found[0].labels if found else []))
    return make_layout(run.input_spec.get("columns", []), pairs).schema()


def download_name(run: RunView, fmt: str) -> str:
    stem = re.sub(r"(\.csv)?(\.gz)?$|\.xlsx$|\.txt$|\.tsv$", "", run.file_name, flags=re.I) or "scored"
    return f"{_safe_name(stem)}-scored-run{run.id}.{fmt}"


def error_report(run_id: int) -> bytes | None:
    """The rows that could not be parsed, as CSV (line, problem, content), or None when there are none."""
    run = get_run(run_id)
    paths = [p for i in range(run.parts_done) if (p := _error_path(run_id, i)).exists()]
    if not paths:
        return None
    return b"".join(concat_files(paths, ERROR_COLUMNS))


def error_sample(run_id: int, limit: int = 20) -> pd.DataFrame:
    """The first unparseable rows (for showing on the page)."""
    data = error_report(run_id)
    if not data:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    import io

    return pd.read_csv(io.BytesIO(data), nrows=limit, dtype=str, keep_default_na=False)


def class_shares(run: RunView) -> pd.DataFrame:
    """task, label, rows, share: the per-class counts of the scored rows (empty texts excluded)."""
    records = []
    for task in run.tasks:
        counts = run.label_counts.get(task, {})
        total = sum(counts.values())
        for label, n in sorted(counts.items(), key=lambda kv: -kv[1]):
            records.append({"task": task, "label": label, "rows": n, "share": n / total if total else 0.0})
    return pd.DataFrame(records, columns=["task", "label", "rows", "share"])


# ---------------------------------------------------------------- what pages show


STATUS_ICONS = {
    "queued": "⏳ queued",
    "running": "▶️ running",
    "succeeded": "✅ complete",
    "failed": "❌ failed",
    "cancelled": "⏹️ cancelled",
    "interrupted": "⚠️ interrupted",
}


def any_active() -> bool:
    """Whether some run is queued or running (the page then keeps its list of runs live)."""
    mark_interrupted_runs()
    with session_scope() as session:
        return session.scalar(select(ScoringRun.id).where(ScoringRun.status.in_(ACTIVE)).limit(1)) is not None


def current_user() -> str:
    """The acting user's name (the signed-in user in the app, ``cli`` or ``worker`` elsewhere)."""
    actor = current_actor()
    return getattr(actor, "username", None) or DEFAULT_USER


def status_text(run: RunView) -> str:
    """'▶️ running · loading the model': the status and, while a run is active, what it is doing."""
    icon = STATUS_ICONS.get(run.status, run.status)
    return f"{icon} · {run.stage}" if run.status in ACTIVE and run.stage else icon


def progress_text(run: RunView, now: datetime | None = None) -> str:
    """What an active run is doing before it scores ('Loading the model… · 3,000 rows to score · 12s so far'),
    then '12,288 of 100,000 rows · 612 rows/s · about 2m 23s left' (what is known so far)."""
    from core.scoring.batch import format_duration

    if run.status in ACTIVE and run.stage != SCORING:
        stage = run.stage or (STARTING if run.status == "queued" else READING)
        parts = [f"{stage[0].upper()}{stage[1:]}…"]
        if run.total_rows is not None:
            parts.append(f"{run.total_rows - run.rows_done:,} rows to score")
        since = (run.started_at if run.status == "running" else run.heartbeat_at) or run.created_at  # queued: since (re)queued
        parts.append(f"{format_duration(max(0.0, ((now or utcnow()) - since).total_seconds()))} so far")
        return " · ".join(parts)
    if run.total_rows is None:
        return "counting the rows of the file…"
    parts = [f"{run.rows_done:,} of {run.total_rows:,} rows"]
    if run.rows_per_s:
        parts.append(f"{run.rows_per_s:,.0f} rows/s")
    if run.status == "running" and run.seconds_left is not None and run.rows_done < run.total_rows:
        parts.append(f"about {format_duration(run.seconds_left)} left")
    return " · ".join(parts)


def status_note(run: RunView) -> tuple[str, str] | None:
    """(level, message) explaining a run that did not complete, or None."""
    kept = f"The {run.rows_ok + run.rows_empty:,} rows scored before that are kept and can be downloaded."
    if run.status == "interrupted":
        return "warning", f"This run was interrupted (its process stopped) after {run.rows_done:,} rows. {kept} Resume to continue."
    if run.status == "failed":
        return "error", f"This run failed: {run.error or 'no reason recorded'}. {kept}"
    if run.status == "cancelled":
        return "info", f"This run was cancelled after {run.rows_done:,} of {run.total_rows or 0:,} rows. {kept}"
    return None


def runs_table(limit: int = 50) -> pd.DataFrame:
    """Past runs for the page: who ran what, when, with which models, and how far it got."""
    records = [
        {
            "run": r.id,
            "started": r.created_at,
            "by": r.created_by,
            "file": r.file_name,
            "models": r.models_text,
            "masked": r.mask_pii,
            "status": status_text(r),
            "rows": r.rows_ok + r.rows_empty,
            "not parsed": r.rows_bad,
        }
        for r in list_runs(limit)
    ]
    return pd.DataFrame(records, columns=["run", "started", "by", "file", "models", "masked", "status", "rows", "not parsed"])
