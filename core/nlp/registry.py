"""Model registry: versions on disk plus rows in ``model_versions``; one active version per task.

Every consumer (dashboard, batch scoring, CLI, worker) asks ``active_classifier(task)``; it
re-reads the active version id from the database on each call, so a promotion takes effect in
a running worker at its next cycle without a restart.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from core.auth import record, require, requires
from core.nlp.classifier import TextClassifier
from core.nlp.datacheck import labels_problem
from core.nlp.device import loaded
from core.nlp.store import load_model, read_validation_rows, save_model, verify_model_files, write_validation_rows
from core.repositories import models as model_rows
from core.repositories.models import VersionInfo
from core.settings import get_settings


class NoActiveModel(LookupError):
    """A task has no active model version yet."""


def version_folder(task: str, version: int) -> Path:
    return get_settings().model_dir / task / f"v{version}"


@requires("analyst", "register model versions")
def register_version(
    model_folder_writer,
    task: str,
    method: str,
    labels: list[str],
    *,
    params: dict | None = None,
    metrics: dict | None = None,
    data_fingerprint: str = "",
    duration_s: float = 0.0,
    device: str = "cpu",
    created_by: str = "system",
    activate: bool = False,
    notes: str = "",
) -> VersionInfo:
    """Allocate the next version number, let ``model_folder_writer(folder)`` write the files, verify
    them, then insert the row. Files are written before the row so a crash never leaves a row
    that points at nothing."""
    version = model_rows.latest_version_number(task) + 1
    folder = version_folder(task, version)
    if folder.exists():
        shutil.rmtree(folder)  # leftovers of an interrupted registration
    model_folder_writer(folder)
    verify_model_files(folder)
    info = model_rows.add_version(
        task,
        version,
        activate=activate,
        method=method,
        path=str(folder.relative_to(get_settings().model_dir)),
        labels=list(labels),
        params=params or {},
        metrics=metrics or {},
        data_fingerprint=data_fingerprint,
        duration_s=duration_s,
        device=device,
        created_by=created_by,
        notes=notes,
    )
    record("version registered", f"{task} v{version}", detail={"method": method, "active": info.is_active, "notes": notes},
           username=_registered_for(created_by))
    return info


def _registered_for(created_by: str) -> str | None:
    """Who the audit log names for a new version: the user a queued run was started by (its process runs as the
    command line, "cli"), else the acting user (None)."""
    from core.auth.roles import CLI, current_actor

    return created_by if current_actor() == CLI and created_by not in ("", "system", CLI.username) else None


def register_trained(result, task: str, **kwargs) -> VersionInfo:  # result: training.TrainingResult
    """Register a ``TrainingResult``; its metrics, params, duration and device are recorded."""
    method = result.params.method

    fingerprint = kwargs.get("data_fingerprint", "")

    def write(folder: Path) -> None:
        write_validation_rows(folder, result.val_texts, result.val_labels)
        save_model(result.saveable, folder, task, method, result.labels, result.params.max_length, fingerprint)

    kwargs.setdefault("metrics", result.metrics)
    return register_version(
        write,
        task,
        method,
        result.labels,
        params=result.params.as_dict(),
        duration_s=result.duration_s,
        device=result.device,
        **kwargs,
    )


def list_versions(task: str | None = None, deleted_too: bool = False) -> list[VersionInfo]:
    """A task's versions (every task's without ``task``), newest first; deleted ones only with ``deleted_too``."""
    return model_rows.list_versions(task, deleted_too)


def list_tasks() -> list[str]:
    return model_rows.list_tasks()


def find_active(task: str) -> VersionInfo | None:
    """The task's active version, or None when it has none yet."""
    return model_rows.find_active(task)


def active_version(task: str) -> VersionInfo:
    info = find_active(task)
    if info is None:
        others = [t for t in list_tasks() if t != task and find_active(t) is not None]
        if meant := difflib.get_close_matches(task, others, 1, 0.75):  # a misspelt task
            raise NoActiveModel(f"no active model for task {task!r} (did you mean {meant[0]!r}?); tasks with one: "
                                f"{', '.join(others)}")
        raise NoActiveModel(f"no active model for task {task!r}; run `python -m core setup` or train one in Model Studio")
    return info


def get_version(task: str, version: int) -> VersionInfo:
    """The version; LookupError when the task has no such version or it was deleted (saying when and by whom)."""
    info = model_rows.find_version(task, version)
    if info is None:
        raise LookupError(f"task {task!r} has no version {version}")
    if info.deleted_at is not None:
        raise LookupError(f"{task} {_deleted_words(info)}")
    return info


def deleted_text(task: str, version: int | None) -> str | None:
    """"v3 was deleted by ana on 4 Dec 2026" when the version was deleted, else None."""
    info = model_rows.find_version(task, version) if version is not None else None
    return _deleted_words(info) if info is not None and info.deleted_at is not None else None


def _deleted_words(info: VersionInfo) -> str:
    return f"v{info.version} was deleted by {info.deleted_by} on {info.deleted_at:%-d %b %Y}"


def delete_version(task: str, version: int) -> VersionInfo:
    """Delete a version that is neither active nor used by a queued or running run (admins): its files go, its row
    stays marked deleted so the number is never given again and what was scored with it still names it. Audited.
    ValueError saying why when it cannot go; LookupError when there is no such version."""
    actor = require("admin", "delete model versions")
    refusal = deletion_refusal(task, version)
    if refusal:
        raise ValueError(refusal)
    info = model_rows.mark_deleted(task, version, actor.username)
    shutil.rmtree(get_settings().model_dir / info.path, ignore_errors=True)
    record("model version deleted", f"{task} v{version}", detail={"method": info.method, "base": info.base,
                                                                   "created_by": info.created_by})  # fmt: skip
    return info


def deletion_refusal(task: str, version: int) -> str | None:
    """Why the version cannot be deleted now (the active one, or one a queued or running run needs), or None."""
    if get_version(task, version).is_active:
        return f"{task} v{version} is the active version: promote another version first, then delete this one"
    users = runs_using(task, version)
    if users:
        return f"{task} v{version} is in use by {' and '.join(users)}: wait for it to finish or cancel it first"
    return None


def runs_using(task: str, version: int) -> list[str]:
    """The queued or running runs that need the version: scoring runs pinned to it, compressions of it."""
    from core.repositories import runs as run_rows
    from core.storage.tables import ScoringRun, TrainingRun

    scoring = run_rows.unfinished(ScoringRun, lambda r: (r.id, dict(r.model_versions)))
    training = run_rows.unfinished(TrainingRun, lambda r: (r.id, r.task, dict(r.params)))
    return [f"scoring run {i}" for i, pinned in scoring if pinned.get(task) == version] + [
        f"compression run {i}" for i, t, params in training if t == task and params.get("from_version") == version
    ]


def validation_rows(info: VersionInfo) -> tuple[list[str], list[str]] | None:
    """(texts, labels) the version was validated on, when they were kept with it. A shipped default is installed
    without them (its sources are datasets the repository may not copy): they are rebuilt from the sources when
    those are here and kept with the version from then on."""
    folder = get_settings().model_dir / info.path
    stored = read_validation_rows(folder)
    if stored is not None or info.params.get("source") != "shipped":
        return stored
    split = shipped_split(info)
    if split is None:
        return None
    texts, labels = [t for t, _ in split[1]], [lab for _, lab in split[1]]
    if folder.is_dir():
        write_validation_rows(folder, texts, labels)
    return texts, labels


def shipped_split(info: VersionInfo) -> tuple[list[tuple[str, str]], list[tuple[str, str]]] | None:
    """(training, validation) rows of a shipped default, rebuilt from its sources; None for other versions or when
    the sources are not here (``core.nlp.defaults.shipped_split``)."""
    if info.params.get("source") != "shipped":
        return None
    from core.nlp import defaults  # reads the datasets; only for shipped versions

    return defaults.shipped_split(info.task, info.data_fingerprint, info.metrics.get("params") or {})


def promote(task: str, version: int) -> VersionInfo:
    """Make ``version`` the active one for ``task`` (any version, earlier ones included)."""
    require("admin", "promote models")
    return _make_active(task, version, "model promoted")


def _make_active(task: str, version: int, action: str, detail: dict | None = None) -> VersionInfo:
    info = get_version(task, version)
    problem = labels_problem(task, info.labels)
    if problem:
        raise ValueError(f"{task} v{version} cannot be made active: {problem}")
    verify_model_files(get_settings().model_dir / info.path)
    info = model_rows.activate_version(task, version)
    record(action, f"{task} v{version}", detail=detail)
    return info


def rollback_target(task: str) -> tuple[VersionInfo, VersionInfo] | None:
    """(the active version, the one active before it) that a rollback would swap, or None when there is none."""
    history = model_rows.activation_history(task)
    current = next((v for v in history if v.is_active), None)
    previous = next((v for v in history if not v.is_active), None)
    return (current, previous) if current and previous else None


def rollback(task: str) -> VersionInfo:
    """Re-activate the version that was active before the current one."""
    require("admin", "roll back models")
    target = rollback_target(task)
    if target is None:
        raise LookupError(f"task {task!r} has no earlier active version to roll back to")
    current, previous = target
    return _make_active(task, previous.version, "model rolled back", {"from_version": current.version})


def load_version(info: VersionInfo) -> TextClassifier:
    """The version's classifier on the configured device and precision, loaded once and kept in the loaded-models
    cache (``core.nlp.device.loaded``)."""
    settings = get_settings()
    key = ("classifier", str(settings.model_dir), info.id, info.path, settings.device, settings.scoring_precision)
    return loaded.get(key, lambda: _load(info))


def _load(info: VersionInfo) -> TextClassifier:
    settings = get_settings()
    model, files = load_model(settings.model_dir / info.path)
    return TextClassifier(
        model,
        files.labels,
        max_length=files.max_length,
        device=settings.device,
        precision=settings.scoring_precision,
        task=info.task,
        version=info.version,
    )


def active_classifier(task: str) -> TextClassifier:
    """The classifier of the task's active version (re-read on each call, so a promotion takes effect at once)."""
    return load_version(active_version(task))
