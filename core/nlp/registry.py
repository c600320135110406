"""Model registry: versions on disk plus rows in ``model_versions``; one active version per task.

Every consumer (dashboard, batch scoring, CLI, worker) asks ``active_classifier(task)``; it
re-reads the active version id from the database on each call, so a promotion takes effect in
a running worker at its next cycle without a restart.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from core.auth import record, require, requires
from core.nlp.classifier import TextClassifier
from core.nlp.store import load_model, read_validation_rows, save_model, verify_model_files, write_validation_rows
from core.settings import get_settings
from core.storage import session_scope
from core.storage.tables import ModelVersion, utcnow


class NoActiveModel(LookupError):
    """A task has no active model version yet."""


@dataclass(frozen=True)
class VersionInfo:
    id: int
    task: str
    version: int
    method: str
    labels: list[str]
    params: dict
    metrics: dict
    data_fingerprint: str
    duration_s: float
    device: str
    created_by: str
    created_at: object
    is_active: bool
    path: str
    notes: str


def _info(row: ModelVersion) -> VersionInfo:
    return VersionInfo(
        row.id,
        row.task,
        row.version,
        row.method,
        list(row.labels),
        dict(row.params),
        dict(row.metrics),
        row.data_fingerprint,
        row.duration_s,
        row.device,
        row.created_by,
        row.created_at,
        row.is_active,
        row.path,
        row.notes,
    )


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
    with session_scope() as session:
        latest = session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.task == task)) or 0
    version = latest + 1
    folder = version_folder(task, version)
    if folder.exists():
        shutil.rmtree(folder)  # leftovers of an interrupted registration
    model_folder_writer(folder)
    verify_model_files(folder)
    with session_scope() as session:
        row = ModelVersion(
            task=task,
            version=version,
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
        session.add(row)
        session.flush()
        has_active = session.scalar(select(ModelVersion.id).where(ModelVersion.task == task, ModelVersion.is_active))
        if activate or not has_active:
            _activate(session, row)
        return _info(row)


def register_trained(result, task: str, **kwargs) -> VersionInfo:  # result: training.TrainingResult
    """Register a ``TrainingResult``; its metrics, params, duration and device are recorded."""
    method = result.params.method

    def write(folder: Path) -> None:
        write_validation_rows(folder, result.val_texts, result.val_labels)
        save_model(result.saveable, folder, task, method, result.labels, result.params.max_length)

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


def _activate(session, row: ModelVersion) -> None:
    for other in session.scalars(select(ModelVersion).where(ModelVersion.task == row.task, ModelVersion.is_active)):
        other.is_active = False
    row.is_active = True
    row.activated_at = utcnow()


def list_versions(task: str | None = None) -> list[VersionInfo]:
    with session_scope() as session:
        query = select(ModelVersion).order_by(ModelVersion.task, ModelVersion.version.desc())
        if task:
            query = query.where(ModelVersion.task == task)
        return [_info(row) for row in session.scalars(query)]


def list_tasks() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(ModelVersion.task).distinct().order_by(ModelVersion.task)))


def active_version(task: str) -> VersionInfo:
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.is_active))
        if row is None:
            raise NoActiveModel(
                f"no active model for task {task!r}; run `python -m core setup` or train one in Model Studio"
            )
        return _info(row)


def get_version(task: str, version: int) -> VersionInfo:
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version))
        if row is None:
            raise LookupError(f"task {task!r} has no version {version}")
        return _info(row)


def validation_rows(info: VersionInfo) -> tuple[list[str], list[str]] | None:
    """(texts, labels) the version was validated on, when they were kept with it."""
    return read_validation_rows(get_settings().model_dir / info.path)


def promote(task: str, version: int) -> VersionInfo:
    """Make ``version`` the active one for ``task`` (any version, earlier ones included)."""
    require("admin", "promote models")
    return _make_active(task, version, "model promoted")


def _make_active(task: str, version: int, action: str, detail: dict | None = None) -> VersionInfo:
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version))
        if row is None:
            raise LookupError(f"task {task!r} has no version {version}")
        verify_model_files(get_settings().model_dir / row.path)
        _activate(session, row)
        info = _info(row)
    record(action, f"{task} v{version}", detail=detail)
    return info


def rollback(task: str) -> VersionInfo:
    """Re-activate the version that was active before the current one."""
    require("admin", "roll back models")
    with session_scope() as session:
        rows = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.task == task, ModelVersion.activated_at.is_not(None))
            .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
        ).all()
        current = next((r for r in rows if r.is_active), None)
        previous = next((r for r in rows if not r.is_active), None)
        if current is None or previous is None:
            raise LookupError(f"task {task!r} has no earlier active version to roll back to")
        version, current_version = previous.version, current.version
    return _make_active(task, version, "model rolled back", {"from_version": current_version})


_cache: dict[tuple[str, str], TextClassifier] = {}
_cache_lock = threading.Lock()


def load_version(info: VersionInfo) -> TextClassifier:
    model, files = load_model(get_settings().model_dir / info.path)
    settings = get_settings()
    return TextClassifier(
        model, files.labels, max_length=files.max_length, device=settings.device, task=info.task, version=info.version
    )


def active_classifier(task: str) -> TextClassifier:
    """The classifier of the task's active version, loaded once per process and version."""
    info = active_version(task)
    key = (task, f"{get_settings().model_dir}:{info.id}:{info.version}")
    with _cache_lock:
        if key not in _cache:
            for stale in [k for k in _cache if k[0] == task]:
                del _cache[stale]
            _cache[key] = load_version(info)
        return _cache[key]
