"""Model versions: every query on ``model_versions`` (the registry's rows; the files live under the model folder,
see ``core.nlp.store``). One version per task is active."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from core.storage import session_scope
from core.storage.tables import ModelVersion, utcnow


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
    deleted_at: object = None  # set once the version was deleted (its files are gone; the row keeps its number)
    deleted_by: str | None = None

    @property
    def base(self) -> str:
        """The base encoder the version is built on (recorded in its params; versions from before the choice: fast)."""
        return str(self.params.get("base") or "fast")

    @property
    def how_built(self) -> str:
        """The method in words: "lora", "full, first 3 layers, int8, compressed from v2" (a compressed student)."""
        parts = [self.method + (f", first {self.params['layers']} layers" if self.params.get("layers") else "")]
        if self.params.get("quantisation") == "int8":
            parts.append("int8")
        if isinstance(source := self.params.get("distilled_from"), dict) and source.get("version") is not None:
            parts.append(f"compressed from v{source['version']}")
        return ", ".join(parts)


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
        row.deleted_at,
        row.deleted_by,
    )


LIVE = ModelVersion.deleted_at.is_(None)


def latest_version_number(task: str) -> int:
    """The highest version number of ``task`` (0 when it has none), deleted versions included: a number is never
    given twice."""
    with session_scope() as session:
        return session.scalar(select(func.max(ModelVersion.version)).where(ModelVersion.task == task)) or 0


def add_version(task: str, version: int, *, activate: bool, **fields: object) -> VersionInfo:
    """Insert a version row; it becomes the active one when ``activate`` or when the task has no active version."""
    with session_scope() as session:
        row = ModelVersion(task=task, version=version, **fields)
        session.add(row)
        session.flush()
        has_active = session.scalar(select(ModelVersion.id).where(ModelVersion.task == task, ModelVersion.is_active))
        if activate or not has_active:
            _activate(session, row)
        return _info(row)


def _activate(session, row: ModelVersion) -> None:  # noqa: ANN001 - SQLAlchemy session
    for other in session.scalars(select(ModelVersion).where(ModelVersion.task == row.task, ModelVersion.is_active)):
        other.is_active = False
    row.is_active = True
    row.activated_at = utcnow()


def activate_version(task: str, version: int) -> VersionInfo:
    """Make ``version`` the task's only active version."""
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version, LIVE))
        if row is None:
            raise LookupError(f"task {task!r} has no version {version}")
        _activate(session, row)
        return _info(row)


def list_versions(task: str | None = None, deleted_too: bool = False) -> list[VersionInfo]:
    """Versions by task, newest first (the deleted ones only with ``deleted_too``)."""
    with session_scope() as session:
        query = select(ModelVersion).order_by(ModelVersion.task, ModelVersion.version.desc())
        if not deleted_too:
            query = query.where(LIVE)
        if task:
            query = query.where(ModelVersion.task == task)
        return [_info(row) for row in session.scalars(query)]


def list_tasks() -> list[str]:
    with session_scope() as session:
        return list(session.scalars(select(ModelVersion.task).where(LIVE).distinct().order_by(ModelVersion.task)))


def find_active(task: str) -> VersionInfo | None:
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.is_active))
        return _info(row) if row is not None else None


def find_version(task: str, version: int) -> VersionInfo | None:
    """The version, deleted or not (``deleted_at`` says which); None when the task never had it."""
    with session_scope() as session:
        row = session.scalar(select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version))
        return _info(row) if row is not None else None


def activation_history(task: str) -> list[VersionInfo]:
    """The task's versions that were ever active, most recently activated first."""
    with session_scope() as session:
        rows = session.scalars(
            select(ModelVersion)
            .where(ModelVersion.task == task, ModelVersion.activated_at.is_not(None), LIVE)
            .order_by(ModelVersion.activated_at.desc(), ModelVersion.id.desc())
        ).all()
        return [_info(row) for row in rows]


def mark_deleted(task: str, version: int, by: str) -> VersionInfo:
    """Mark a version deleted (the caller removes its files); LookupError when there is no such live version,
    ValueError when it is active (promoted since the caller looked: the row is locked for the check)."""
    with session_scope() as session:
        query = select(ModelVersion).where(ModelVersion.task == task, ModelVersion.version == version, LIVE)
        row = session.scalar(query.with_for_update())
        if row is None:
            raise LookupError(f"task {task!r} has no version {version}")
        if row.is_active:
            raise ValueError(f"{task} v{version} is the active version: promote another version first, then delete this one")
        row.deleted_at, row.deleted_by = utcnow(), by
        return _info(row)
