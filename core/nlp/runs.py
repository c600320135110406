"""Training runs: queued from Model Studio or the CLI, executed outside the Streamlit script in
their own process, visible (progress, cancel, result) through the ``training_runs`` table.

The life of a run (queued, claimed once, heartbeat, interrupted, cancel, the cap on runs at once) is
``core.runs``'s; this module plugs in the work: the training itself and registering the new version, or, for a
compression run (method ``distil``), ``core.nlp.distil`` distilling a version into a fast student. A failed,
cancelled or interrupted run registers nothing, so the active model is untouched.
"""

from __future__ import annotations

import csv
import logging
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from core import runs as lifecycle
from core.auth import record, require, requires
from core.nlp.datacheck import DataCheck
from core.nlp.evaluation import classification_report
from core.nlp.training import (
    TrainingCancelled,
    TrainingParams,
    TrainingProgress,
    TrainingResult,
    stratified_split,
    train_classifier,
)
from core.repositories import runs as run_rows
from core.settings import get_settings
from core.staged_uploads import is_staged, keep_upload, safe_file_name
from core.storage.tables import TrainingRun, utcnow

log = logging.getLogger("beacon.training")

CANCEL_CHECK_SECONDS = 1.0  # how often a running run looks for a cancel request
WORST_EXAMPLES = 20
DISTIL = "distil"  # the method of a compression run: a version distilled into a fast student


@dataclass(frozen=True)
class RunView:
    """A training run as plain data for pages and the CLI."""

    id: int
    task: str
    method: str
    status: str
    params: dict
    labels: list[str]
    row_count: int
    progress: list[dict]
    error: str | None
    device: str
    created_by: str
    created_at: object
    started_at: object
    finished_at: object
    model_version: int | None
    result: dict
    cancel_requested: bool

    @property
    def finished(self) -> bool:
        return self.status in lifecycle.FINISHED


def _view(row: TrainingRun) -> RunView:
    return RunView(
        row.id, row.task, row.method, row.status, dict(row.params), list(row.labels), row.row_count,
        list(row.progress), row.error, row.device, row.created_by, row.created_at, row.started_at,
        row.finished_at, row.model_version, dict(row.result), row.cancel_requested,
    )  # fmt: skip


def runs_dir() -> Path:
    path = get_settings().data_dir / "training_runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


TRAINING = lifecycle.RunKind(
    "training run", TrainingRun, "train-run", lambda run_id: runs_dir() / f"run-{run_id}.log",
    "the training process stopped without finishing (machine restart or killed); start the run again",
)  # fmt: skip


def queue_run(check: DataCheck, task: str, params: TrainingParams, created_by: str | None = None) -> int:
    """Store the checked rows and queue a run for the acting user (or ``created_by``); raises
    ValueError when the check has problems."""
    actor = require("analyst", "train models")
    created_by = created_by or actor.username
    task = validate_task_name(task)
    if not check.ok:
        raise ValueError("the data check found problems: " + "; ".join(check.problems))
    resolved = params.for_rows(check.rows_kept).resolved()  # the epochs this file gets, recorded with the run
    _require_base(resolved.base)
    row = TrainingRun(
        task=task,
        method=resolved.method,
        params=resolved.as_dict(),
        labels=check.label_list,
        data_path="",
        data_fingerprint=check.fingerprint(),
        row_count=check.rows_kept,
        created_by=created_by,
    )

    def store_rows(row: TrainingRun) -> None:  # in the insert's transaction: no run without its rows
        path = runs_dir() / f"run-{row.id}.csv"
        _write_rows(path, check.texts, check.labels)
        row.data_path = str(path)

    run_id = run_rows.insert(row, store_rows)
    record("training started", f"run {run_id}", detail={"task": task, "method": resolved.method, "rows": check.rows_kept})
    log.info("training run %s queued: task %s, %s, %s rows", run_id, task, resolved.method, check.rows_kept)
    return run_id


@dataclass(frozen=True)
class Student:
    """A kind of student a compression run trains (the CLI spells the same as --student-method/--student-layers)."""

    method: str  # head, lora or full (core.nlp.distil)
    layers: int | None = None  # only the fast encoder's first N layers (trained in full)


# "smallest" is the default: on benchmarks/distil.py's teacher validation rows a 3-layer student followed an accurate
# teacher to within 0.1 macro-F1 point at the highest texts/s; a head student trains in minutes but stays further away
STUDENTS = {"smallest": Student("full", 3), "closer": Student("full"), "quick": Student("head")}
DEFAULT_STUDENT = "smallest"


def student_for(method: str | None = None, layers: int | None = None) -> Student:
    """The student the command's flags ask for: none, the default; ``layers`` alone, trained in full; ``method``
    alone, that method on all of the fast encoder's layers."""
    if method is None and layers is None:
        return STUDENTS[DEFAULT_STUDENT]
    return Student(method or "full", layers)


@dataclass(frozen=True)
class TextsFile:
    """Unlabelled in-domain texts for a compression run: a file (CSV, .csv.gz or .xlsx) and the column holding them."""

    path: Path
    name: str  # the file's name as the user gave it (messages and the run's params name it)
    column: str


def texts_label(name: str, column: str) -> str:
    """How a file of in-domain texts is named in a student's sources and a run's settings."""
    return f"{name} (column {column})"


COLUMN_HINT = "choose the column that holds the texts"


def read_unlabelled_texts(path: Path, column: str, name: str | None = None, hint: str = COLUMN_HINT) -> list[str]:
    """The texts of one column of a CSV (or gzipped CSV, or Excel) file, read as batch scoring reads uploads;
    InputFileError naming the file (and the column) when it cannot, or when the column holds no texts (only blanks
    and numbers). Rows with the wrong number of fields are skipped."""
    from core.scoring.reading import InputFileError, inspect_input, iter_chunks, no_column

    name = name or str(path)
    spec = inspect_input(path, name=name)
    if column not in spec.columns:
        raise InputFileError(f"{name}: {no_column(column, spec.columns)}; {hint}")
    at = spec.columns.index(column)
    texts = [row[at] for chunk in iter_chunks(spec, 5000, name=name) for row in chunk.rows]
    if not any(_is_text(t) for t in texts):
        raise InputFileError(f"{name}: column {column!r} holds no texts (only blanks or numbers); {hint}")
    return texts


def _is_text(value: str) -> bool:
    value = value.strip().replace(",", "").replace(" ", "")
    try:
        float(value)
    except ValueError:
        return bool(value)
    return False


@requires("analyst", "upload texts for compression")
def stage_texts_file(name: str, data: bytes) -> Path:
    """Keep an uploaded file of in-domain texts among the training runs' data until a compression run takes it;
    InputFileError when it is over the upload limit (BEACON_UPLOAD_MAX_MB)."""
    from core.scoring.runs import check_upload_size

    check_upload_size(len(data), name)
    return keep_upload("training_runs/uploads", name, data, default="texts")


def compression_refusal(task: str, version: int) -> str | None:
    """Why ``version`` cannot be compressed (a student is measured on the rows its teacher was validated on), or None."""
    from core.nlp import registry

    info = registry.get_version(task, version)
    return _refusal(info, registry.validation_rows(info))


def _refusal(info, held_out: tuple[list[str], list[str]] | None) -> str | None:  # noqa: ANN001 - a VersionInfo
    if held_out is not None:
        return None
    task, version = info.task, info.version
    if info.params.get("source") == "shipped":
        return (f"{task} v{version} is a shipped default: the rows it was validated on are rebuilt from its training "
                "datasets (shipped_models/README.md), which are not on this machine, so a student could not be compared "
                "with it; compress a version trained under Train (or with `python -m core train`)")  # fmt: skip
    return (f"{task} v{version} has no stored validation rows, so a student could not be compared with it; "
            "compress a version trained under Train (or with `python -m core train`)")  # fmt: skip


def queue_distil_run(
    task: str, version: int, int8: bool = True, created_by: str | None = None, student: str = DEFAULT_STUDENT,
    texts: TextsFile | None = None,
) -> int:  # fmt: skip
    """Queue a compression run of ``task`` version ``version`` into a ``student`` (a key of STUDENTS), distilled over
    ``texts`` (a file, kept beside the training runs' rows so the run does not depend on the upload) or else the
    project's own texts for the task, plus the teacher's training texts. ValueError at once (nothing queued) when
    the version cannot be compared with a student, the student is unknown or the file or its column cannot be read."""
    from core.nlp import registry

    actor = require("analyst", "train models")
    if student not in STUDENTS:
        raise ValueError(f"no student {student!r}; choose one of {', '.join(STUDENTS)}")
    info = registry.get_version(task, version)
    held_out = registry.validation_rows(info)  # read once: the refusal and the pool both need it
    refusal = _refusal(info, held_out)
    if refusal:
        raise ValueError(refusal)
    if texts is not None:
        read_unlabelled_texts(texts.path, texts.column, texts.name)  # a clear error now rather than a failed run
    else:
        from core.nlp.distil import unlabelled_pool

        unlabelled_pool(task, info, exclude=held_out[0])  # too few texts: DistilDataError now
    kind = STUDENTS[student]
    params = {"from_version": version, "int8": int8, "student": student, "method": kind.method, "layers": kind.layers,
              "texts": {"file": texts.name, "column": texts.column} if texts else None}  # fmt: skip
    row = TrainingRun(task=task, method=DISTIL, params=params, labels=list(info.labels), data_path="",
                      created_by=created_by or actor.username)  # fmt: skip

    def store_texts(row: TrainingRun) -> None:  # in the insert's transaction: no run without its texts
        path = runs_dir() / f"run-{row.id}-texts-{safe_file_name(texts.name, 'texts')}"
        if is_staged(texts.path, "training_runs/uploads"):  # an upload kept by stage_texts_file: the run takes it
            shutil.move(texts.path, path)
            shutil.rmtree(texts.path.parent, ignore_errors=True)
        else:
            shutil.copyfile(texts.path, path)
        row.data_path = str(path)

    run_id = run_rows.insert(row, store_texts if texts else None)
    record("compression started", f"run {run_id}", detail={"task": task, "from_version": version, "student": student,
                                                           "texts": texts.name if texts else "project"})  # fmt: skip
    return run_id


def _require_base(base: str) -> None:
    """Refuse to queue a run whose base encoder is not installed (it would only fail in the background)."""
    from core.nlp.base_model import BaseEncoderUnavailable, base_model_dir

    try:
        base_model_dir(base)
    except BaseEncoderUnavailable as exc:
        raise ValueError(str(exc)) from None


def validate_task_name(task: str) -> str:
    task = (task or "").strip().lower()
    if not task or not all(c.isalnum() or c in "_-" for c in task) or len(task) > 50:
        raise ValueError("a task name needs 1-50 letters, digits, '-' or '_' (for example 'complaint_type')")
    return task


def _write_rows(path: Path, texts: list[str], labels: list[str]) -> None:
    tmp = path.with_suffix(".partial")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "label"])
        writer.writerows(zip(texts, labels))
    tmp.replace(path)


def rows_seen_by(info, texts: list[str]) -> int | None:  # noqa: ANN001 - VersionInfo
    """How many of ``texts`` the version learned from (its scores on them are optimistic); None when Beacon no
    longer has what it learned from."""
    learned = texts_learned_from(info)
    if learned is None:
        return None
    seen = {text.strip() for text in learned}
    return sum(text.strip() in seen for text in texts)


def texts_learned_from(info) -> list[str] | None:  # noqa: ANN001 - VersionInfo
    """The labelled texts a version learned from, when Beacon still has them: a shipped default's training split
    (rebuilt when its sources are here) or the training split of the cleaned rows of the run that registered it (its
    validation rows scored it and taught it nothing); None otherwise
    (its run was deleted, or it is a student, which learned from its teacher's labels on unlabelled texts)."""
    from core.nlp import registry

    split = registry.shipped_split(info)
    if split is not None:
        return [text for text, _ in split[0]]
    runs = run_rows.newest(TrainingRun, lambda r: (r.data_path, r.method, r.params), limit=1, task=info.task,
                           model_version=info.version, status=lifecycle.SUCCEEDED)  # fmt: skip
    if not runs or runs[0][1] == DISTIL or not runs[0][0] or not Path(runs[0][0]).is_file():
        return None
    texts, labels = read_run_rows(Path(runs[0][0]))
    params = TrainingParams(**runs[0][2]).for_rows(len(texts)).resolved()
    train_idx, _ = stratified_split(labels, params.validation_share, params.seed)  # the split train_classifier made
    return [texts[i] for i in train_idx]


def read_run_rows(path: Path) -> tuple[list[str], list[str]]:
    """The (texts, labels) a training run stored for itself."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def launch_run(run_id: int) -> subprocess.Popen | None:
    """Start ``python -m core train-run RUN_ID`` in its own session (None while the cap on runs at once is
    reached: the worker runs it later); a Streamlit rerun cannot start it twice (the run is claimed once)."""
    return lifecycle.launch(TRAINING, run_id)


def _set(run_id: int, **values: object) -> None:
    lifecycle.update(TRAINING, run_id, **values)


LABELLING = "labelling"  # a compression run's progress point while the teacher labels the texts


class _RunReporter:
    """Progress points and cancellation checks for one run, throttled to keep the database quiet."""

    def __init__(self, run_id: int, heartbeat: lifecycle.Heartbeat, echo=None) -> None:  # noqa: ANN001 - echo: callable(TrainingProgress)
        self.run_id = run_id
        self.heartbeat = heartbeat
        self.points: list[dict] = []
        self.echo = echo
        self._last_write = 0.0
        self._stage: tuple[str, float] | None = None  # (stage, time.monotonic() at its first point)
        self._first_labelled = 0

    def _seconds_into(self, stage: str) -> float:
        """Seconds since the stage's first point: with the points' steps, how fast it goes (the time left)."""
        if self._stage is None or self._stage[0] != stage:
            self._stage = (stage, time.monotonic())
        return round(time.monotonic() - self._stage[1], 1)

    def progress(self, p: TrainingProgress) -> None:
        point = {"epoch": p.epoch, "epochs": p.epochs, "step": p.step, "total_steps": p.total_steps, "loss": round(p.loss, 5),
                 "s": self._seconds_into("training"), "at": utcnow().isoformat(timespec="seconds")}  # fmt: skip
        if p.val_macro_f1 is not None:
            point |= {"val_accuracy": p.val_accuracy, "val_macro_f1": p.val_macro_f1}
        self.points.append(point)
        if self.echo:
            self.echo(p)
        if p.val_macro_f1 is not None or time.monotonic() - self._last_write > 2.0:
            self._last_write = time.monotonic()
            _set(self.run_id, progress=list(self.points), heartbeat_at=utcnow())

    def labelling(self, done: int, total: int) -> None:
        """A compression run's first stage (the teacher labels the texts): one point the page shows until training
        reports its own."""
        if self._stage is None or self._stage[0] != LABELLING:
            self._first_labelled = done  # labelled before the clock started: not counted in its speed
        seconds = self._seconds_into(LABELLING)
        if done < total and time.monotonic() - self._last_write <= 2.0:
            return
        self._last_write = time.monotonic()
        point = {"stage": LABELLING, "done": done, "total": total, "s": seconds, "from": self._first_labelled,
                 "at": utcnow().isoformat(timespec="seconds")}
        _set(self.run_id, progress=[point], heartbeat_at=utcnow())

    def should_stop(self) -> bool:
        return self.heartbeat.should_stop(every_s=CANCEL_CHECK_SECONDS)


def execute_run(run_id: int, echo=None) -> RunView:  # noqa: ANN001 - echo: callable(TrainingProgress)
    """Claim and run a queued run to its end. Never raises for training problems: they become the
    run's status and error. Returns the finished run."""
    if not lifecycle.claim(TRAINING, run_id):
        return get_run(run_id)
    run, data_path, fingerprint = run_rows.get(
        TrainingRun, run_id, lambda r: (_view(r), Path(r.data_path), r.data_fingerprint), TRAINING.missing(run_id)
    )
    with lifecycle.Heartbeat(TRAINING, run_id) as heartbeat:
        if run.method == DISTIL:
            _distil(run, data_path, _RunReporter(run_id, heartbeat, echo))
        else:
            _train(run, data_path, fingerprint, _RunReporter(run_id, heartbeat, echo))
    return get_run(run_id)


def _train(run: RunView, data_path: Path, fingerprint: str, reporter: _RunReporter) -> None:
    run_id = run.id
    try:
        texts, labels = read_run_rows(data_path)
        params = TrainingParams(**run.params)
        from core.nlp.device import choose_device

        _set(run_id, device=choose_device(get_settings().device))
        result = train_classifier(
            texts, labels, params, reporter.progress, reporter.should_stop, device=get_settings().device, label_order=run.labels
        )
        _finish_success(run, result, fingerprint)
    except TrainingCancelled:
        lifecycle.finish(TRAINING, run_id, lifecycle.CANCELLED, progress=reporter.points)
    except Exception as exc:
        log.exception("training run %s failed", run_id)
        lifecycle.finish(TRAINING, run_id, lifecycle.FAILED, error=f"{type(exc).__name__}: {exc}", progress=reporter.points)


def _distil(run: RunView, data_path: Path, reporter: _RunReporter) -> None:
    """A compression run's work: the student is registered (not active); the result holds the side by side, its
    sources naming the run's texts file when it had one."""
    from core.nlp.device import choose_device
    from core.nlp.distil import GIVEN_TEXTS, distil

    try:
        _set(run.id, device=choose_device(get_settings().device))
        given = run.params.get("texts")
        texts = read_unlabelled_texts(data_path, given["column"], given["file"]) if given else None
        result = distil(run.task, int(run.params["from_version"]), texts, int8=bool(run.params.get("int8", True)),
                        method=run.params.get("method", "head"), layers=run.params.get("layers"),
                        texts_name=texts_label(given["file"], given["column"]) if given else GIVEN_TEXTS,
                        progress=reporter.progress, should_stop=reporter.should_stop, labelling=reporter.labelling,
                        created_by=run.created_by,
                        notes=f"compression run {run.id}")  # fmt: skip
        metrics = {k: v for k, v in result.version.metrics.items() if k not in ("comparison", "distilled_from")}
        summary = {"metrics": metrics, "distilled": result.comparison(), "duration_s": round(result.duration_s, 1), "activated": False}
        lifecycle.finish(TRAINING, run.id, lifecycle.SUCCEEDED, model_version=result.version.version, result=summary,
                         row_count=result.texts, progress=reporter.points)  # fmt: skip
    except TrainingCancelled:
        lifecycle.finish(TRAINING, run.id, lifecycle.CANCELLED, progress=reporter.points)
    except Exception as exc:
        log.exception("compression run %s failed", run.id)
        lifecycle.finish(TRAINING, run.id, lifecycle.FAILED, error=f"{type(exc).__name__}: {exc}", progress=reporter.points)


def _finish_success(run: RunView, result: TrainingResult, fingerprint: str) -> None:
    from core.nlp import registry

    previous = registry.find_active(run.task)
    comparison = compare_on_validation(previous, result) if previous else None
    info = registry.register_trained(
        result, run.task, created_by=run.created_by, data_fingerprint=fingerprint, notes=f"training run {run.id}"
    )
    summary = {
        "metrics": result.metrics,
        "compared_with": comparison,
        "worst_examples": worst_examples(result),
        "duration_s": round(result.duration_s, 1),
        "activated": info.is_active,
    }
    lifecycle.finish(TRAINING, run.id, lifecycle.SUCCEEDED, model_version=info.version, result=summary, device=result.device)


def compare_on_validation(active, result: TrainingResult) -> dict:  # noqa: ANN001 - active: VersionInfo
    """Score the active version on the new run's validation rows, so both numbers use the same rows. An active
    version that predicts none of the new labels (another label set: a shop's intents after a bank's) is not scored:
    its 0 would say nothing, so the result names it with ``comparable`` False."""
    from core.nlp import registry

    if not set(result.labels) & set(active.labels):
        return {"version": active.version, "method": active.method, "comparable": False, "labels": len(active.labels)}
    classifier = registry.load_version(active)
    predictions = [p.label for p in classifier.predict(result.val_texts)]
    labels = list(dict.fromkeys([*result.labels, *classifier.labels]))
    report = classification_report(result.val_labels, predictions, labels)
    return {"version": active.version, "method": active.method, "comparable": True,
            "seen": rows_seen_by(active, result.val_texts),
            **{k: report[k] for k in ("accuracy", "macro_f1", "per_class", "n")}}


def worst_examples(result: TrainingResult, limit: int = WORST_EXAMPLES) -> list[dict]:
    """Validation rows the new model got wrong, most confident mistakes first."""
    wrong = [
        {"text": text, "label": truth, "predicted": pred, "confidence": round(conf, 4)}
        for text, truth, pred, conf in zip(result.val_texts, result.val_labels, result.val_predictions, result.val_confidences)
        if truth != pred
    ]
    return sorted(wrong, key=lambda r: -r["confidence"])[:limit]


@requires("analyst", "cancel training runs")
def request_cancel(run_id: int) -> RunView:
    """Cancel a queued run at once, or ask a running one to stop at its next step."""
    lifecycle.request_cancel(TRAINING, run_id)
    return get_run(run_id)


def delete_run(run_id: int) -> RunView:
    """Delete a finished training or compression run with the rows, texts and log Beacon kept for it: analysts their
    own runs, admins any. The version it registered stays, with its own validation rows; comparisons then no longer
    know which rows that version learned from. ValueError while it is queued or running; LookupError when there is
    no such run."""
    require("analyst", "delete training runs")
    run = lifecycle.delete_ended(TRAINING, run_id, _view, lambda run: f"run {run.id} ({run.task})")
    for path in run_files(run_id):
        path.unlink(missing_ok=True)
    record("training run deleted", f"run {run_id}", detail={"task": run.task, "rows": run.row_count, "version": run.model_version})
    return run


def run_files(run_id: int) -> list[Path]:
    """What Beacon keeps on disk for a run: its cleaned rows or texts file, and its log."""
    folder = runs_dir()
    return sorted([*folder.glob(f"run-{run_id}.*"), *folder.glob(f"run-{run_id}-*")])


def mark_interrupted_runs(now: datetime | None = None) -> int:
    """Runs whose process stopped sending heartbeats are shown as interrupted, never as running."""
    return lifecycle.mark_interrupted(TRAINING, now)


def get_run(run_id: int) -> RunView:
    return run_rows.get(TrainingRun, run_id, _view, TRAINING.missing(run_id))


def list_runs(limit: int = 50) -> list[RunView]:
    mark_interrupted_runs()
    return run_rows.newest(TrainingRun, _view, limit)
