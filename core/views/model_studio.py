"""What the Model Studio page shows and decides: tasks to train, the data check with optional
reviewer corrections, start/cancel/promote actions, and tables and chart frames for runs and
versions. The page only lays these out."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import pandas as pd

from core.nlp import registry
from core.nlp.datacheck import (
    DataCheck,
    LabelledFileError,
    check_labelled_data,
    read_labelled_file,
    sentiment_names,
    short_label,
)
from core.nlp.device import choose_device, device_label
from core.nlp.distil import MAX_TEXTS, DistilDataError, plan_distil
from core.nlp.evaluation import classification_report
from core.nlp.runs import (
    DEFAULT_STUDENT,
    DISTIL,
    LABELLING,
    STUDENTS,
    RunView,
    TextsFile,
    delete_run,
    launch_run,
    list_runs,
    queue_distil_run,
    queue_run,
    read_unlabelled_texts,
    request_cancel,
    rows_seen_by,
    stage_texts_file,
    texts_label,
    validate_task_name,
)
from core.nlp.training import (
    DEFAULT_EPOCHS,
    DEFAULT_LR,
    MIN_TRAINING_STEPS,
    PATIENCE_STEPS,
    TrainingParams,
    can_stop_early,
    estimate_training_seconds,
)
from core.runs import FINISHED, status_label
from core.scoring.reading import InputFileError, header_only
from core.sentiment.corrections import CORRECTABLE, correction_count, corrections_for_training
from core.settings import get_settings
from core.staged_uploads import still_kept
from core.storage.tables import utcnow
from core.views.batch_scoring import UploadCheck, check_upload
from core.views.batch_scoring import may_delete as may_delete_run  # noqa: F401 - one rule for every run: ended, and theirs or an admin's
from core.wording import count_of, loose_key, rough_duration, time_left, time_taken, training_time_text

METHODS = {
    "head": "Head only — frozen encoder, fastest (a minute on CPU)",
    "lora": "LoRA — small adapters in the encoder, best quality per minute",
    "full": "Full fine-tuning — every weight, slowest, needs the most data",
}
SMALL_FILE_ROWS = 250  # below it a head is close to LoRA and full fine-tuning (benchmarks/small_files.py), far faster


def small_file_hint(method: str, rows: int) -> str | None:
    """For LoRA or full fine-tuning on a small file: what a head gives there for a fraction of the time."""
    if method == "head" or not 0 < rows < SMALL_FILE_ROWS:
        return None
    return (f"With {count_of(rows, 'usable row')}, a head on the frozen encoder may be nearly as good for a fraction of "
            "the time: on 120 tweets it reached macro-F1 0.48 in 3 s where LoRA reached 0.52 in 47 s and full fine-tuning "
            "0.51 (on 400, LoRA pulled ahead: 0.66 against 0.56; benchmarks/small_files.py). Try a head first, then "
            "compare the versions.")


NEW_TASK = "+ New task…"
BASES = {
    "fast": "Fast — all-MiniLM-L6-v2 (22M parameters)",
    "accurate": "Accurate — all-mpnet-base-v2 (110M parameters; 4-7x slower to train and score on a CPU)",
}
ACCURATE_MISSING = "The accurate base encoder is not installed here: an admin runs `python -m core setup` to assemble it."


def base_choices() -> list[str]:
    """The base encoders a run can use on this installation: fast always, accurate once assembled and verified."""
    from core.nlp.sentence_encoder import accurate_encoder_available

    return list(BASES) if accurate_encoder_available() else ["fast"]


def task_choices() -> list[str]:
    """Existing tasks (those with versions), the usual ones first, then the "new task" entry."""
    known = registry.list_tasks()
    usual = [t for t in ("sentiment", "topic", "intent") if t in known]
    return usual + [t for t in known if t not in usual] + [NEW_TASK]


def versions_task_to_show(tasks: Sequence[str]) -> str | None:
    """The task the Versions tab opens on: the one the newest run registered a version for (the model the user
    just trained or compressed), else the first of ``tasks``."""
    newest = next((run.task for run in list_runs() if run.model_version is not None and run.task in tasks), None)
    return newest or (tasks[0] if tasks else None)


def suggested_task(labels: pd.Series) -> str:
    """The task a labelled file most likely trains: the one whose active version knows most of the file's labels
    (the usual tasks first on a tie), or a new task when none knows any of them. Sentiment written as -1/0/1 or
    neg/neu/pos counts as the sentiment labels it stands for (``sentiment_names``)."""
    labels = labels.dropna().astype(str).str.strip()
    renamed = sentiment_names(labels)
    in_file = {loose_key(renamed.get(v, v)) for v in labels} - {""}
    best, shared = NEW_TASK, 0
    for task in task_choices()[:-1]:
        known = len(in_file & {loose_key(label) for label in active_labels(task) or []})
        if known > shared:
            best, shared = task, known
    return best


# Label columns whose name says nothing of what is labelled: no new task is named after them.
UNNAMED_LABEL_COLUMNS = {"label", "labels", "class", "target", "y", "gold", "tag", "annotation", "category_id", "label_id"}


def suggested_task_name(label_column: object) -> str:
    """A new task's name taken from the file's label column ("Complaint type" -> "complaint_type"), or "" when the
    column's name says nothing of the task ("label") or already names a task (training it is picked from Task)."""
    name = re.sub(r"[^\w-]+", "_", str(label_column).strip().lower()).strip("_-")[:50]
    if name in UNNAMED_LABEL_COLUMNS or name in registry.list_tasks():
        return ""
    try:
        return validate_task_name(name)
    except ValueError:
        return ""


def active_labels(task: str) -> list[str] | None:
    active = registry.find_active(task)
    return active.labels if active else None


def corrections_available(task: str) -> int:
    """How many reviewer corrections could join this task's training data."""
    return correction_count(task) if task in CORRECTABLE else 0


def with_corrections(frame: pd.DataFrame, text_column: str, label_column: str, task: str) -> pd.DataFrame:
    """The uploaded rows plus the task's reviewer corrections, appended in the same two columns."""
    rows = corrections_for_training(task) if task in CORRECTABLE else []
    if not rows:
        return frame
    after = int(frame.index.max()) + 1 if len(frame) and pd.api.types.is_integer_dtype(frame.index) else len(frame)
    extra = pd.DataFrame(rows, columns=[text_column, label_column], index=range(after, after + len(rows)))  # after the file's rows
    return pd.concat([frame[[text_column, label_column]], extra])


def read_training_file(data: bytes, name: str) -> pd.DataFrame:
    """An uploaded labelled CSV; LabelledFileError naming the file when it is unreadable, has no rows under its header
    (said as every upload says it) or has a single column."""
    frame = read_labelled_file(data, name)
    if frame.empty and len(frame.columns):
        raise LabelledFileError(header_only(name, frame.columns))
    if len(frame.columns) < 2:
        raise LabelledFileError(
            f"{name}: training needs a text column and a label column, but the file has one column ({frame.columns[0]!r})"
        )
    return frame


def run_data_check(frame: pd.DataFrame, text_column: str, label_column: str, task: str, add_corrections: bool,
                   leave_out_small: bool = False) -> DataCheck:  # fmt: skip
    """The data check of the chosen columns; LabelledFileError when they cannot be checked (the same column twice).
    ``leave_out_small``: the classes with too few examples are dropped instead of blocking training."""
    if text_column == label_column:
        raise LabelledFileError(f"the text and label columns are both {text_column!r}: pick the column that holds the labels")
    table = with_corrections(frame, text_column, label_column, task) if add_corrections else frame
    return check_labelled_data(table, text_column, label_column, known_labels=active_labels(task), task=task,
                               leave_out_small=leave_out_small)  # fmt: skip


def leave_out_label(small: dict[str, int]) -> str:
    """The checkbox that drops those classes: "Leave out the class with too few examples (IPO: 4)"."""
    listed = ", ".join(f"{short_label(label)}: {n}" for label, n in list(small.items())[:5]) + (" …" if len(small) > 5 else "")
    noun = "class" if len(small) == 1 else f"{len(small)} classes"
    return f"Leave out the {noun} with too few examples ({listed}); the model will not predict {'it' if len(small) == 1 else 'them'}"


def check_counts(frame: pd.DataFrame, check: DataCheck) -> dict[str, str]:
    """The data check's headline numbers ("13,000"); reviewer corrections are counted apart from the file's rows."""
    counts = {"Rows in file": len(frame)}
    if check.rows_total > len(frame):
        counts["Reviewer corrections"] = check.rows_total - len(frame)
    counts |= {"Usable rows": check.rows_kept, "Dropped rows": len(check.dropped), "Classes": len(check.class_counts)}
    return {name: f"{n:,}" for name, n in counts.items()}


def default_params(method: str) -> dict:
    return {"learning_rate": DEFAULT_LR[method], "batch_size": 32, "max_length": 128, "lora_rank": 8}


def epochs_help(method: str) -> str:
    """What an empty Epochs field means for ``method``."""
    if method == "head":
        return f"Empty: {DEFAULT_EPOCHS['head']}. Early stopping ends sooner when the validation score stops improving."
    return (f"Empty: {DEFAULT_EPOCHS[method]}, or more on a small file so that training makes at least {MIN_TRAINING_STEPS} "
            f"steps (batches) and early stopping waits {PATIENCE_STEPS} steps without gain before it ends the run.")


@dataclass(frozen=True)
class Plan:
    device: str
    estimate_s: float
    per_base: dict[str, float] = field(default_factory=dict)  # the estimate with each available base encoder
    may_stop_early: bool = False  # early stopping can end the run before its last epoch, which the estimate counts

    @property
    def estimate_text(self) -> str:
        return training_time_text(self.estimate_s, self.may_stop_early)

    @property
    def per_base_text(self) -> str:
        """e.g. "fast about 3 minutes · accurate about 12 minutes" (estimates on this device), each "at most" when early
        stopping can end the run sooner."""
        bound = "at most " if self.may_stop_early else ""
        return " · ".join(f"{base} {bound}{rough_duration(seconds)}" for base, seconds in self.per_base.items())


def training_plan(texts: Sequence[str], params: TrainingParams) -> Plan:
    """The device training runs on and the estimated time there, for the chosen and for each available base."""
    device = choose_device(get_settings().device)
    label = device_label(device)
    per_base = {b: estimate_training_seconds(texts, replace(params, base=b), device) for b in base_choices()}
    chosen = per_base.get(params.base) or estimate_training_seconds(texts, params, device)
    return Plan(label, chosen, per_base, may_stop_early=can_stop_early(params, len(texts)))


def start_training(check: DataCheck, task: str, params: TrainingParams, launch: bool = True) -> int:
    """Queue the run for the signed-in user and start its process; the page can be closed right after."""
    run_id = queue_run(check, task, params)
    if launch:
        launch_run(run_id)
    return run_id


COMPRESS_HELP = (
    "Distil this version into a student on the fast encoder (int8 on a CPU when it gives the same labels): it labels "
    "in-domain texts (your file, else the project's own texts for the task) and its own training texts, the student "
    "learns those labels, and both are compared side by side on this version's validation rows. The student is "
    "registered as a new version, not active."
)
_SMALLEST = STUDENTS["smallest"].layers
STUDENT_NAMES = {"smallest": "Smallest and fastest", "closer": "Closer", "quick": "Quick"}  # core.nlp.runs.STUDENTS' keys
STUDENT_EFFECTS = {  # what each student costs and gives, from benchmarks/distil.py
    "smallest": f"the fast encoder's first {_SMALLEST} of 6 layers, fine-tuned on the teacher's labels (about 8 minutes "
    "for 14,000 texts on a 2-core CPU; in our benchmark as accurate as its teacher and 7x the speed of the plain fast model)",
    "closer": "all 6 layers of the fast encoder fine-tuned (longer to train; scores at the fast encoder's speed)",
    "quick": "a new head on the frozen fast encoder (a few minutes; furthest from the teacher, 7.5 macro-F1 points below "
    "it in our benchmark)",
}
STUDENT_CHOICES = {
    key: f"{name}{' (recommended)' if key == DEFAULT_STUDENT else ''}: {STUDENT_EFFECTS[key]}" for key, name in STUDENT_NAMES.items()
}
TEXTS_HELP = (
    "Optional: a CSV (.csv, .csv.gz) or Excel (.xlsx) file of unlabelled texts like the ones this model will score "
    "(tickets, headlines). Without one, the project's own texts for the task are used (stored feed items for "
    "sentiment and topic, knowledge-base questions for intent). The file is kept with the run."
)


def texts_upload(name: str, data: bytes, staged: Path | None = None) -> tuple[Path, UploadCheck]:
    """Keep an uploaded file of in-domain texts with the training runs' data (once: ``staged`` is the copy kept
    for this upload before) and read its columns (suggested: the longest texts); InputFileError naming the file
    when it is unreadable or over the upload limit."""
    path = staged if still_kept(staged) else stage_texts_file(name, data)
    return path, check_upload(path, name)


def start_compression(task: str, version: int, launch: bool = True, student: str = DEFAULT_STUDENT,
                      texts: TextsFile | None = None) -> int:  # fmt: skip
    """Queue a compression run of ``version`` into ``student`` over ``texts`` (else the project's own texts) for the
    signed-in user and start its process."""
    run_id = queue_distil_run(task, version, student=student, texts=texts)
    if launch:
        launch_run(run_id)
    return run_id


@dataclass(frozen=True)
class CompressionPlan:
    text: str  # what the run would learn from and how long it should take here, or why it cannot start
    possible: bool


def compression_plan(task: str, version: int, student: str = DEFAULT_STUDENT, texts: TextsFile | None = None) -> CompressionPlan:
    """Said before "Compress" is pressed: how many texts the student would learn from (and from where) and the
    estimated time on this device; or why it cannot start (too few texts, a column without texts), and the button
    stays off. Assumes the version can be compressed (``compression_refusal`` is None)."""
    name = texts_label(texts.name, texts.column) if texts else ""
    kind = STUDENTS[student]
    device = choose_device(get_settings().device)
    try:
        given = read_unlabelled_texts(texts.path, texts.column, texts.name) if texts else None
        plan = plan_distil(task, version, given, method=kind.method, layers=kind.layers, texts_name=name, device=device)
    except (DistilDataError, InputFileError) as exc:
        return CompressionPlan(str(exc), False)
    found = ", ".join(f"{n:,} from {source}" for source, n in plan.sources.items())
    capped = f"; the first {MAX_TEXTS:,} distinct texts are used" if plan.texts >= MAX_TEXTS else ""
    return CompressionPlan(
        f"The student would learn from {count_of(plan.texts, 'text')} ({found}{capped}) · estimated time on the "
        f"{device_label(device)}: {rough_duration(plan.seconds)}, labelling and training included.",
        True,
    )


def version_created_at(task: str, version: int) -> object:
    return registry.get_version(task, version).created_at


def compression_settings(run: RunView) -> str:
    """What a compression run was asked for: the student and where the texts came from."""
    student = STUDENT_NAMES[run.params.get("student", "quick")]  # runs from before the choice trained a head
    method = run.params.get("method", "head") + (f", {run.params['layers']} layers" if run.params.get("layers") else "")
    given = run.params.get("texts")
    source = f"the file {texts_label(given['file'], given['column'])}" if given else "the project's own texts for the task"
    return f"Student: {student} ({method}). Texts: {source}, plus the teacher's training texts when stored."


def is_compression(run: RunView) -> bool:
    return run.method == DISTIL


def side_by_side(run: RunView) -> pd.DataFrame:
    """A finished compression run's teacher and student in two columns: base, method, precision, accuracy,
    macro-F1, texts/s, size (MB)."""
    distilled = run.result.get("distilled") or {}
    teacher, student = distilled.get("teacher"), distilled.get("student")
    if not teacher or not student:
        return pd.DataFrame()
    names = {"base": "Base encoder", "method": "Method", "precision": "Precision", "accuracy": "Accuracy",
             "macro_f1": "Macro-F1", "texts_per_s": "Texts/s", "size_mb": "Size (MB)"}  # fmt: skip
    rounding = {"accuracy": 4, "macro_f1": 4, "texts_per_s": 1, "size_mb": 1}
    columns = {f"teacher v{teacher['version']}": teacher, f"student v{run.model_version}": student}
    rows = [{"measure": label} | {col: _shown(side[key], rounding.get(key)) for col, side in columns.items()}
            for key, label in names.items()]  # fmt: skip
    return pd.DataFrame(rows)


def _shown(value: object, digits: int | None) -> str:
    return f"{value:.{digits}f}" if digits is not None and isinstance(value, (int, float)) else str(value)


def compression_text(run: RunView) -> str:
    """Where the numbers come from: the rows, the texts the teacher labelled, int8 kept or why not."""
    d = run.result.get("distilled") or {}
    if not d:
        return ""
    sources = ", ".join(f"{n:,} from {name}" for name, n in d.get("sources", {}).items())
    precision = d["int8"]["reason"]
    return (f"Both scored on the teacher's {d['validation_rows']:,} held-out validation rows (same label on "
            f"{d['agreement']:.1%}); texts/s measured in this run on the same texts. The student learned the teacher's "
            f"labels on {d['texts']:,} texts ({sources}). {precision[:1].upper()}{precision[1:]}.")  # fmt: skip


def cancel_training(run_id: int) -> str:
    run = request_cancel(run_id)
    if run.status == "cancelled":
        return "The run was cancelled before it started."
    if run.status == "running":
        return "Cancelling: the run stops at its next training step and registers nothing."
    return f"The run has already {run.status}."


def _score_text(value: float | None) -> str:
    """A run's score as the Runs table shows it: "–" until the run has one (a running or failed run), not "None"."""
    return "–" if value is None else f"{value:.4f}"


def run_kind(run: RunView) -> str:
    """What a run does in the page's words: "compression" for a distillation, else its training method (lora, full, head)."""
    return "compression" if run.method == DISTIL else run.method


def runs_table(runs: Sequence[RunView]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "run": r.id,
                "task": r.task,
                "method": run_kind(r),
                "status": status_label(r.status),
                "rows": r.row_count,
                "version": f"v{r.model_version}" if r.model_version else "",
                "macro-F1": _score_text(r.result.get("metrics", {}).get("macro_f1")),
                "created": r.created_at,
                "by": r.created_by,
            }
            for r in runs
        ],
        columns=["run", "task", "method", "status", "rows", "version", "macro-F1", "created", "by"],
    )


def run_caption(run: RunView) -> str:
    """The line under a run's title: "complete · 300 rows · device cpu · by ann · took 14 s" (the time once it ended)."""
    parts = [status_label(run.status), f"{run.row_count:,} rows", f"device {run.device or '–'}", f"by {run.created_by}"]
    if run.status in FINISHED and run.started_at and run.finished_at:
        parts.append(f"took {time_taken((run.finished_at - run.started_at).total_seconds())}")
    return " · ".join(parts)


def run_fraction(run: RunView, now: datetime | None = None) -> tuple[float, str]:
    """Progress bar value and its caption; the time left counts down from the newest point to ``now``."""
    if run.status == "queued":
        return 0.0, "waiting for the training process to start"
    if not run.progress:
        return 0.0, "loading the encoder and preparing batches"
    last = run.progress[-1]
    if last.get("stage") == LABELLING:
        left = _time_left(run, last.get("from", 0), last["done"], last["total"], last.get("s"), _since(last, now))
        return (last["done"] / max(1, last["total"]),
                f"the teacher labels the texts: {last['done']:,} of {last['total']:,}{left} (then the student trains)")  # fmt: skip
    fraction = min(1.0, last["step"] / max(1, last["total_steps"]))
    if run.finished:
        fraction = 1.0 if run.status == "succeeded" else fraction
    if run.status == "succeeded" and last["epoch"] < last["epochs"]:  # early stopping: the bar is full, say why
        return fraction, (f"stopped early after epoch {last['epoch']} of {last['epochs']}: the validation score stopped "
                          f"improving (the best epoch is kept) · loss {last['loss']:.4f}")  # fmt: skip
    first = run.progress[0]
    seconds = last.get("s", 0) - first.get("s", 0) if "s" in last else None
    left = _time_left(run, first["step"], last["step"], last["total_steps"], seconds, _since(last, now))
    return fraction, f"epoch {last['epoch']}/{last['epochs']} · step {last['step']}/{last['total_steps']} · loss {last['loss']:.4f}{left}"


def _time_left(run: RunView, first: int, done: int, total: int, seconds: float | None, since: float) -> str:
    """How long is left at the speed the stage went from ``first`` to ``done`` in ``seconds``, less the ``since``
    seconds gone by since, while the run is going ("" for runs recorded before the points carried their time)."""
    return "" if run.finished else time_left(seconds, done - first, total - first, since)


def _since(point: dict, now: datetime | None) -> float:
    """Seconds from a progress point to ``now`` (the run writes a point every ten steps or so: minutes apart on a
    slow CPU, so the time left counts down in between); 0 for points recorded without their time."""
    if "at" not in point:
        return 0.0
    return max(0.0, ((now or utcnow()) - datetime.fromisoformat(point["at"])).total_seconds())


def progress_frame(run: RunView) -> pd.DataFrame:
    """Loss per logged step and validation scores per epoch, long format for one plotly chart. A compression run's
    validation rows are texts the teacher labelled, held out from the student's training: its curve measures how
    well the student agrees with the teacher, not the accuracy on true labels the side-by-side table shows."""
    f1, accuracy = ("agreement with the teacher (macro-F1)", "agreement with the teacher (accuracy)") if is_compression(run) \
        else ("validation macro-F1", "validation accuracy")
    rows = []
    for p in run.progress:
        if "step" not in p:  # a compression run's labelling stage: no loss yet
            continue
        rows.append({"step": p["step"], "measure": "training loss", "value": p["loss"]})
        if "val_macro_f1" in p:
            rows.append({"step": p["step"], "measure": f1, "value": p["val_macro_f1"]})
            rows.append({"step": p["step"], "measure": accuracy, "value": p["val_accuracy"]})
    return pd.DataFrame(rows, columns=["step", "measure", "value"])


def per_class_table(run: RunView) -> pd.DataFrame:
    """Per-class precision/recall/F1 of the new version, beside the F1 on the same rows of the version that was
    active when the run finished ("F1 of v1"); without that column when there was none to compare with."""
    per_class = run.result.get("metrics", {}).get("per_class", {})
    compared = run.result.get("compared_with") or {}
    old = compared.get("per_class", {})
    versus = f"F1 of v{compared['version']}" if old and compared.get("version") else None
    rows = [
        {"class": label, "precision": m["precision"], "recall": m["recall"], "F1": m["f1"]}
        | ({versus: old.get(label, {}).get("f1")} if versus else {})
        | {"validation rows": m["support"]}
        for label, m in per_class.items()
    ]
    return pd.DataFrame(rows, columns=["class", "precision", "recall", "F1", *([versus] if versus else []), "validation rows"])


def confusion_frame(run: RunView) -> pd.DataFrame:
    metrics = run.result.get("metrics", {})
    labels = metrics.get("labels", [])
    return pd.DataFrame(metrics.get("confusion_matrix", []), index=labels, columns=labels)


def version_state(run: RunView) -> str:
    """What the result card says about the run's version now (it may have been promoted or deleted since)."""
    if registry.deleted_text(run.task, run.model_version):
        return "deleted"
    if is_active(run.task, run.model_version):
        return "active"
    return "no longer active" if run.result.get("activated") else "not active yet"


def comparison_text(run: RunView) -> str:
    """Which version the run's scores are compared with, and on which rows."""
    old = run.result.get("compared_with")
    if not old:
        return ""
    if old.get("comparable") is False:
        return (f"v{old['version']} (active when this run finished) predicts other labels ({old['labels']}, none of this "
                f"file's), so it is not compared: its score on these rows would be 0 and say nothing.")
    text = f"v{old['version']} (active when this run finished) was scored on the same {run.result['metrics']['n']:,} validation rows."
    if old.get("seen"):
        text += (f" Careful: {count_of(old['seen'], 'of them was', 'of them were')} in v{old['version']}'s own training data, so "
                 f"its scores here are optimistic (it has seen those rows).")  # fmt: skip
    return text


def headline(run: RunView) -> dict[str, tuple[float, float | None]]:
    """accuracy and macro-F1 of the new version and (when there was one) the active version."""
    new = run.result.get("metrics", {})
    old = run.result.get("compared_with") or {}
    return {k: (new.get(k, 0.0), old.get(k)) for k in ("accuracy", "macro_f1")}


def versus(new: float, old: float | None, version: int | None) -> tuple[str | None, bool]:
    """The change against the compared version as the score card shows it, and whether it is a change at all
    ("same as v1" has no up arrow in green)."""
    if old is None:
        return None, False
    change = round(new - old, 3)
    if change == 0:
        return f"same as v{version}", False
    return f"{change:+.3f} vs v{version}", True


PARAM_KEYS = ("epochs", "learning_rate", "batch_size", "max_length", "lora_rank")


def settings_text(method: str, params: dict) -> str:
    """The training settings a version was built with, e.g. "epochs=4, learning_rate=0.001, lora_rank=8"; the LoRA rank
    only for LoRA versions (head and full versions record the form's default, which they never used)."""
    keys = [k for k in PARAM_KEYS if k in params and (k != "lora_rank" or method == "lora")]
    return ", ".join(f"{k}={params[k]}" for k in keys)


def versions_table(task: str) -> pd.DataFrame:
    rows = [
        {
            "version": v.version,
            "active": v.is_active,
            "method": v.how_built,
            "base": v.base,
            "accuracy": v.metrics.get("accuracy"),
            "macro-F1": v.metrics.get("macro_f1"),
            "labels": len(v.labels),
            "params": settings_text(v.method, v.params),
            "data fingerprint": v.data_fingerprint[:12],
            "training time": time_taken(v.duration_s),
            "device": v.device,
            "created": v.created_at,
            "by": v.created_by,
        }
        for v in registry.list_versions(task)
    ]
    return pd.DataFrame(rows)


def is_active(task: str, version: int | None) -> bool:
    active = registry.find_active(task)
    return active is not None and version is not None and active.version == version


MEASURES = {"accuracy": "Accuracy", "macro_f1": "Macro-F1"}


@dataclass(frozen=True)
class Comparison:
    """A candidate version and the active one, scored on the same validation rows."""

    task: str
    candidate: int
    active: int
    rows: int
    scores: dict[str, tuple[float, float]]  # measure -> (candidate, active)
    seen: int | None = None  # how many of the rows were in the active version's own training data (None: not known)

    @property
    def worse(self) -> bool:
        return any(new < old for new, old in self.scores.values())

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [{"measure": MEASURES[k], f"v{self.candidate} (to promote)": new, f"v{self.active} (active)": old, "difference": new - old}
             for k, (new, old) in self.scores.items()]
        ).round(4)

    def summary(self) -> str:
        lower = [MEASURES[k] for k, (new, old) in self.scores.items() if new < old]
        seen = (f" {count_of(self.seen, 'of these rows was', 'of these rows were')} in v{self.active}'s own training data, "
                f"so its scores are optimistic.") if self.seen else ""  # fmt: skip
        if not lower:
            return f"v{self.candidate} scores at least as well as active v{self.active} on the same {self.rows} validation rows.{seen}"
        return (f"v{self.candidate} scores lower {' and '.join(lower)} than active v{self.active} on the same {self.rows} "
                f"validation rows.{seen} Promote it anyway?")


def compare_for_promotion(task: str, version: int) -> Comparison | None:
    """Score ``version`` and the active version on the same validation rows (the candidate's, else the active
    version's); None when there is nothing to compare (no active version, the same one, or no rows kept)."""
    candidate = registry.get_version(task, version)
    active = registry.find_active(task)
    if active is None or active.version == version:
        return None
    rows = registry.validation_rows(candidate) or registry.validation_rows(active)
    if rows is None:
        return None
    texts, truth = rows
    scores = {}
    for info in (candidate, active):
        classifier = registry.load_version(info)
        predicted = [p.label for p in classifier.predict(texts)]
        report = classification_report(truth, predicted, list(dict.fromkeys([*info.labels, *truth])))
        scores[info.version] = report
    return Comparison(task, version, active.version, len(texts),
                      {k: (scores[version][k], scores[active.version][k]) for k in MEASURES}, rows_seen_by(active, texts))  # fmt: skip


def promote_version(task: str, version: int) -> str:
    info = registry.promote(task, version)
    return (
        f"{info.task} v{info.version} is now active: the dashboards, batch scoring, the CLI and the worker "
        "use it from their next request."
    )


def rollback_help(task: str) -> tuple[str, bool]:
    """The Roll back button's help and whether it can be pressed: "Re-activate v1, active before v4"."""
    target = registry.rollback_target(task)
    if target is None:
        return f"{task} has no earlier active version to roll back to.", False
    current, previous = target
    return f"Re-activate v{previous.version}, the version active before v{current.version}.", True


def rollback_task(task: str) -> str:
    info = registry.rollback(task)
    return f"Rolled back: {info.task} v{info.version} is active again."


def delete_run_question(run: RunView) -> str:
    """The confirmation before a run is deleted: what goes, and what stays."""
    kept = (f"the {count_of(run.row_count, 'labelled row')} Beacon kept for it" if not is_compression(run)
            else "the texts file it learned from" if run.params.get("texts") else "its record")  # fmt: skip
    text = f"Delete run {run.id} ({run.task} · {run_kind(run)}): {kept} and its log?"
    if run.model_version is not None and not registry.deleted_text(run.task, run.model_version):
        text += (f" v{run.model_version}, which it registered, stays; comparisons will no longer say which rows "
                 f"v{run.model_version} learned from.")  # fmt: skip
    return text + " The audit log keeps that it ran. This cannot be undone."


def delete_training_run(run: RunView) -> str:
    """Delete the run; what to say once it is gone."""
    delete_run(run.id)
    return f"Deleted run {run.id} ({run.task} · {run_kind(run)}) with the data Beacon kept for it."


def deleted_text(task: str, version: int | None) -> str | None:
    """"v3 was deleted by ana on 4 Dec 2026", or None while the version exists."""
    return registry.deleted_text(task, version)


def deletion_refusal(task: str, version: int) -> str | None:
    """Why the version cannot be deleted now, or None (``registry.deletion_refusal``)."""
    return registry.deletion_refusal(task, version)


def delete_question(task: str, version: int) -> str:
    """The confirmation naming what goes."""
    info = registry.get_version(task, version)
    return (f"Delete {task} v{version} ({info.method} on the {info.base} encoder, by {info.created_by})? Its files are "
            f"removed and it can no longer be promoted or used for batch scoring; items and runs scored with it keep "
            f"saying v{version}, and the number is not given to a new version. This cannot be undone.")  # fmt: skip


def delete_version(task: str, version: int) -> str:
    info = registry.delete_version(task, version)
    return f"{info.task} v{info.version} is deleted."
