"""What the Batch scoring page shows and decides: the upload check before a run, a run's status and progress in
words, the note on a run that did not complete, the class shares, the agreement with a label column the file already
had, and the table of past runs. The runs themselves (create, start, cancel, resume, results, exports) are
``core.scoring.runs``."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd

from core import runs as lifecycle
from core.auth import current_actor
from core.auth.ownership import may_change
from core.nlp.datacheck import SENTIMENT_LABELS
from core.scoring.agreement import LabelAgreement, read_as_labels
from core.scoring.export import ERROR_COLUMNS
from core.scoring.reading import (
    InputFileError,
    InputSpec,
    count_records,
    inspect_input,
    preview,
    require_data_rows,
    suggest_text_column,
)
from core.scoring.runs import LOCAL, RAY, READING, SCORING, SCORING_RUN, STARTING, RunView, check_upload_size, error_report, list_runs
from core.settings import get_settings
from core.storage.tables import utcnow
from core.views.app import SENTIMENT_COLORS
from core.wording import clock_duration, count_of, loose_key, rough_duration


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
    require_data_rows(spec, frame, bad, name)
    suggested = suggest_text_column(frame) if len(frame.columns) else None
    return UploadCheck(spec, f"{spec.describe()}, {count_of(len(spec.columns), 'column')}", frame, bad, suggested)


def preview_problem(check: UploadCheck) -> str | None:
    """What the rows of the preview that cannot be read have wrong, as the page says it before a run, e.g. "Line 11
    cannot be read as a row: a quote (\") opens a value ... It is not scored and is listed in the run's error report."."""
    if not check.bad_rows:
        return None
    first, n = check.bad_rows[0], len(check.bad_rows)
    if n == 1:
        return f"Line {first.line:,} cannot be read as a row: {first.problem}. It is not scored and is listed in the run's error report."
    lines = ", ".join(f"{b.line:,}" for b in check.bad_rows[:10]) + (", ..." if n > 10 else "")
    return (f"Lines {lines} cannot be read as rows (line {first.line:,}: {first.problem}). They are not scored and are "
            "listed in the run's error report.")


def scoring_estimate(path: Path, check: UploadCheck, text_column: str, tasks: list[str], versions: dict[str, int]) -> str:
    """Before a run: the file's rows and how long scoring them should take here, e.g. "3,000 rows · about 3 minutes
    here on the CPU (2 cores), going by the last 2 runs"; from the previewed texts, the chosen versions' base
    encoders, this host's measured speed and the newest comparable finished runs (``core.scoring.estimate``)."""
    from core.nlp.device import choose_device, device_label
    from core.scoring.estimate import estimate_run, models_of

    stat = path.stat()
    rows = _record_count(str(path), stat.st_mtime_ns, stat.st_size)
    texts = check.preview[text_column].fillna("").astype(str).tolist() if text_column in check.preview else []
    estimate = estimate_run(texts, rows, models_of(tasks, versions))
    device = device_label(choose_device(get_settings().device))
    said = f"{count_of(rows, 'row')} · {rough_duration(estimate.seconds)} here on the {device}"
    if estimate.runs_compared == 1:
        return f"{said}, going by the last run"
    return f"{said}, going by the last {estimate.runs_compared} runs" if estimate.runs_compared else said


@lru_cache(maxsize=16)
def _record_count(path: str, _mtime_ns: int, _size: int) -> int:
    """Records in a stored upload, counted once per file version (a 200 MB file takes seconds)."""
    return count_records(inspect_input(Path(path), "auto"))


def available_tasks() -> list[str]:
    """Every task that has an active model version."""
    from core.nlp import registry

    return [v.task for v in registry.list_versions() if v.is_active]


def tasks_to_start_with(check: UploadCheck, tasks: Sequence[str], text_column: str) -> list[str]:
    """The tasks a new run starts with: for each column of the file's first rows that holds a task's classes (a file
    someone labelled, so the run compares the model with those labels), that task (the one named like the column, or
    sentiment, when several share those classes); else sentiment (else the first task)."""
    from core.nlp import registry

    labels = {v.task: list(v.labels) for v in registry.list_versions() if v.is_active and v.task in tasks}
    picked: list[str] = []
    for column in (c for c in check.preview.columns if c != text_column):
        matching = [task for task, known in labels.items() if read_as_labels(known, check.preview[column]).holds_labels]
        if matching:
            named = [task for task in matching if loose_key(task) == loose_key(str(column))]
            best = (named or sorted(matching, key=lambda task: task != "sentiment"))[0]
            picked += [best] if best not in picked else []
    return picked or (["sentiment"] if "sentiment" in tasks else list(tasks[:1]))


def version_choices(task: str) -> dict[int, str]:
    """The task's versions a run can use, active first then newest first ({version: 'v2 · active · lora, accurate
    encoder · validation macro-F1 0.931'}, 'v4 · full, first 3 layers, int8, compressed from v2, fast encoder · …'); the
    page offers a choice only when there are two or more."""
    from core.nlp import registry

    listed = sorted(registry.list_versions(task), key=lambda v: (not v.is_active, -v.version))
    choices = {}
    for v in listed:
        parts = [f"v{v.version}"] + (["active"] if v.is_active else []) + [f"{v.how_built}, {v.base} encoder"]
        if isinstance(v.metrics.get("macro_f1"), int | float):
            parts.append(f"validation macro-F1 {v.metrics['macro_f1']:.3f}")
        choices[v.version] = " · ".join(parts)
    return choices


ENGINE_LABELS = {LOCAL: "Local (default)", RAY: "Ray cluster"}


def engine_choices() -> dict[str, str]:
    """What the page offers under "Engine" for a new run (label -> engine): nothing (the local engine, no choice
    shown) unless ``BEACON_RAY_ADDRESS`` names a Ray cluster."""
    return {ENGINE_LABELS[LOCAL]: LOCAL, ENGINE_LABELS[RAY]: RAY} if get_settings().ray_address else {}


def engine_help() -> str:
    address = get_settings().ray_address
    where = "a local Ray on the machine that runs the run" if address == "local" else f"the Ray cluster at {address}"
    return (
        f"Local: this server scores the file. Ray cluster: {where} (BEACON_RAY_ADDRESS) scores it with one worker per GPU "
        "or CPU; worth it for large files (starting the workers takes a while). Both give the same columns and labels."
    )


def engine_text(run: RunView) -> str:
    """' · on the Ray cluster' for a run scored on Ray, '' for a local one (as the page has always shown it)."""
    return " · on the Ray cluster" if run.engine == RAY else ""


def error_sample(run_id: int, limit: int = 20) -> pd.DataFrame:
    """The first unparseable rows (for showing on the page)."""
    data = error_report(run_id)
    if not data:
        return pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.read_csv(io.BytesIO(data), nrows=limit, dtype=str, keep_default_na=False)


def in_reading_order(rows: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """The result rows as the page shows them: with several tasks, every task's label and confidence before any
    task's class probabilities, so the second task's label is not hidden behind the first one's probabilities (the
    downloads keep the file's order)."""
    if len(tasks) < 2:
        return rows
    probabilities = [c for c in rows.columns if any(str(c).startswith(f"{task}_prob_") for task in tasks)]
    return rows[[c for c in rows.columns if c not in probabilities] + probabilities]


def class_shares(run: RunView) -> pd.DataFrame:
    """task, label, rows, share: the per-class counts of the scored rows (empty texts excluded), most rows first;
    sentiment in its own order (negative, neutral, positive), as every other sentiment chart shows it."""
    records = []
    order = list(SENTIMENT_LABELS)
    for task in run.tasks:
        counts = run.label_counts.get(task, {})
        total = sum(counts.values())
        scale = set(counts) <= set(order)
        for label, n in sorted(counts.items(), key=lambda kv: order.index(kv[0]) if scale else -kv[1]):
            records.append({"task": task, "label": label, "rows": n, "share": n / total if total else 0.0})
    return pd.DataFrame(records, columns=["task", "label", "rows", "share"])


def any_active() -> bool:
    """Whether some run is queued or running (the page then keeps its list of runs live)."""
    return lifecycle.any_active(SCORING_RUN)


def status_text(run: RunView) -> str:
    """'running · loading the model': the status and, while a run is active, what it is doing."""
    label = lifecycle.status_label(run.status)
    return f"{label} · {run.stage}" if run.status in lifecycle.ACTIVE and run.stage else label


def progress_text(run: RunView, now: datetime | None = None) -> str:
    """What an active run is doing before it scores ('Loading the model… · 3,000 rows to score · 12s so far'),
    then '12,288 of 100,000 rows · 612 rows/s · about 2m 23s left' (what is known so far)."""
    if run.status in lifecycle.ACTIVE and run.stage != SCORING:
        stage = run.stage or (STARTING if run.status == lifecycle.QUEUED else READING)
        parts = [f"{stage[0].upper()}{stage[1:]}…"]
        if run.total_rows is not None:
            parts.append(f"{run.total_rows - run.rows_done:,} rows to score")
        since = (run.started_at if run.status == lifecycle.RUNNING else run.heartbeat_at) or run.created_at  # queued: since (re)queued
        parts.append(f"{clock_duration(max(0.0, ((now or utcnow()) - since).total_seconds()))} so far")
        return " · ".join(parts)
    if run.total_rows is None:
        return "counting the rows of the file…"
    parts = [f"{run.rows_done:,} of {run.total_rows:,} rows"]
    if run.rows_per_s:
        parts.append(f"{run.rows_per_s:,.0f} rows/s")
    if run.status == lifecycle.RUNNING and run.seconds_left is not None and run.rows_done < run.total_rows:
        parts.append(f"about {clock_duration(run.seconds_left)} left")
    return " · ".join(parts)


def status_note(run: RunView) -> tuple[str, str] | None:
    """(level, message) explaining a run that did not complete, or None. A run stopped before its first row says so,
    not that "the 0 rows scored before that are kept"."""
    scored = run.rows_ok + run.rows_empty
    are = "is" if scored == 1 else "are"
    kept = f"The {count_of(scored, 'row')} scored before that {are} kept and can be downloaded." if scored else "No row was scored."
    if run.engine == RAY:
        kept += " Resume scores the whole file again on Ray (a Ray run starts over)."
    if run.status == lifecycle.INTERRUPTED:
        again = "" if run.engine == RAY else " Resume to continue."
        return "warning", f"This run was interrupted (its process stopped) after {count_of(run.rows_done, 'row')}. {kept}{again}"
    if run.status == lifecycle.FAILED:
        return "error", f"This run failed: {run.error or 'no reason recorded'}. {kept}"
    if run.status == lifecycle.CANCELLED and not run.rows_done:
        return "info", "This run was cancelled before it scored a row. Resume to score the file."
    if run.status == lifecycle.CANCELLED:
        return "info", f"This run was cancelled after {run.rows_done:,} of {run.total_rows or 0:,} rows. {kept}"
    return None


def runs_table(limit: int = 50) -> pd.DataFrame:
    """Past runs for the page: who ran what, when, with which models (and engine, once a run used Ray), how far it got."""
    listed = list_runs(limit)
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
            "engine": "Ray" if r.engine == RAY else "local",
        }
        for r in listed
    ]
    columns = ["run", "started", "by", "file", "models", "masked", "status", "rows", "not parsed"]
    if any(r.engine == RAY for r in listed):
        columns.insert(columns.index("models") + 1, "engine")
    return pd.DataFrame(records, columns=columns)


def class_colors(labels: Iterable[str]) -> dict[str, str] | None:
    """Sentiment classes in the colours every other chart gives them (red, grey, green); None for other classes."""
    labels = set(labels)
    return SENTIMENT_COLORS if labels and labels <= SENTIMENT_COLORS.keys() else None


def agreement_confusion(agreement: LabelAgreement) -> pd.DataFrame:
    """The comparison's confusion matrix for a heat map: rows the file's labels, columns the model's; only the labels
    the file uses (as rows) or the model gave (as columns), so 3 labels of a 20-class task are not 20 rows of zeros."""
    frame = pd.DataFrame(agreement.confusion, index=agreement.labels, columns=agreement.labels)
    used = frame.index[frame.sum(axis=1) > 0]
    given = [label for label in frame.columns if label in used or frame[label].sum() > 0]
    return frame.loc[used, given]


def agreement_text(agreement: LabelAgreement) -> str:
    """What was compared, in words: 'Your column 'label' has the sentiment classes: the model gives the same label
    to 412 of 496 rows (83.1 %); 4 rows were not compared (no such label, or an empty text).' Then, when the version
    that scored the file learned from some compared rows, how many (the agreement there is optimistic)."""
    same = round(agreement.accuracy * agreement.compared)
    read_as = ", ".join(f"{value} as {label}" for value, label in agreement.read_as)
    text = (
        f"Your column '{agreement.column}' holds the {agreement.task} classes"
        f"{f' (read {read_as})' if read_as else ''}, so Beacon compared it with the model: "
        f"the model gives the same label to {same:,} of {agreement.compared:,} rows ({agreement.accuracy:.1%})"
    )
    if agreement.not_compared:
        text += f"; {count_of(agreement.not_compared, 'row was', 'rows were')} not compared (no such label in the column, or an empty text)"
    text += ". Rows where they differ are worth a look before you act on the scores or train a new version on them."
    return text + (f" Careful: {agreement.seen_text()} (the model has seen those rows)." if agreement.seen else "")


def may_delete(run: RunView) -> bool:
    """Whether the signed-in user may delete this run now: it has finished, and it is theirs (analysts) or any (admins)."""
    return run.finished and may_change(current_actor(), run.created_by)


def delete_question(run: RunView) -> str:
    return (f"Delete run {run.id} ({run.file_name}): its uploaded file, its scores and downloads? The audit log keeps that "
            "it ran. This cannot be undone.")  # fmt: skip
