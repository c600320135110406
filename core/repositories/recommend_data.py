"""Recommendation datasets and their evaluations: every query on ``rec_datasets`` and ``rec_evaluations``.
The cleaned tables themselves live on disk (``core.recommend.store`` writes and reads them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from core.storage import session_scope
from core.storage.tables import RecDataset, RecEvaluation, RecJob, utcnow
from core.wording import count_of


@dataclass(frozen=True)
class DatasetInfo:
    id: int
    name: str
    interactions_file: str
    items_file: str
    stats: dict
    nightly_export: bool
    export_k: int
    last_export_at: datetime | None
    created_at: datetime
    folder: str = ""
    already_saved: bool = False  # save_dataset found the same data saved as this version, and saved nothing new

    @property
    def label(self) -> str:
        usable = self.stats.get("usable interactions")
        count = count_of(usable, "interaction") if isinstance(usable, int) else "? interactions"
        return f"v{self.id} · {self.name} · {count} · {self.created_at:%Y-%m-%d %H:%M}"


@dataclass(frozen=True)
class StoredEvaluation:
    id: int
    dataset_id: int
    protocol: str
    seed: int
    test_ratio: float | None
    k: int
    results: list
    meta: dict
    created_at: datetime


def _info(row: RecDataset) -> DatasetInfo:
    return DatasetInfo(row.id, row.name, row.interactions_file, row.items_file, dict(row.stats or {}), row.nightly_export,
                       row.export_k, row.last_export_at, row.created_at, row.folder)  # fmt: skip


def _missing(dataset_id: int) -> ValueError:
    return ValueError(f"there is no dataset version {dataset_id}")


def add_dataset(row_values: dict, write_tables: Callable[[int], str]) -> DatasetInfo:
    """Insert a dataset version; ``write_tables(id)`` stores its cleaned tables and returns their folder. A failure
    there rolls the row back, so no version points at missing files."""
    with session_scope() as session:
        row = RecDataset(folder="", **row_values)
        session.add(row)
        session.flush()
        row.folder = write_tables(row.id)
        return _info(row)


def find_dataset(fingerprint: str) -> DatasetInfo | None:
    """The newest dataset version whose data has this fingerprint, or None."""
    query = select(RecDataset).where(RecDataset.fingerprint == fingerprint).order_by(RecDataset.id.desc()).limit(1)
    with session_scope() as session:
        row = session.scalar(query)
        return _info(row) if row is not None else None


def list_datasets() -> list[DatasetInfo]:
    with session_scope() as session:
        return [_info(r) for r in session.scalars(select(RecDataset).order_by(RecDataset.id.desc()))]


def get_dataset(dataset_id: int) -> DatasetInfo:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise _missing(dataset_id)
        return _info(row)


def delete_dataset(dataset_id: int) -> DatasetInfo:
    """Delete a dataset version and its evaluations (the database cascades); ValueError when there is none or a
    recommendation job is still working on it. The caller removes its files."""
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise _missing(dataset_id)
        busy = select(RecJob.kind).where(RecJob.dataset_id == dataset_id, RecJob.status.in_(("queued", "running"))).limit(1)
        kind = session.scalar(busy)
        if kind is not None:
            doing = "still being saved" if kind == "save" else "being evaluated right now"
            raise ValueError(f"dataset version {dataset_id} is {doing}; delete it once that has finished")
        gone = _info(row)
        session.delete(row)
        return gone


def set_nightly_export(dataset_id: int, enabled: bool, k: int) -> None:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is None:
            raise _missing(dataset_id)
        row.nightly_export, row.export_k = enabled, k


def mark_exported(dataset_id: int) -> None:
    with session_scope() as session:
        row = session.get(RecDataset, dataset_id)
        if row is not None:
            row.last_export_at = utcnow()


def nightly_datasets() -> list[DatasetInfo]:
    with session_scope() as session:
        return [_info(r) for r in session.scalars(select(RecDataset).where(RecDataset.nightly_export.is_(True)))]


def add_evaluation(dataset_id: int, rows: list[dict], meta: dict, created_by: str) -> int:
    with session_scope() as session:
        row = RecEvaluation(dataset_id=dataset_id, protocol=meta["protocol"], seed=meta["seed"], test_ratio=meta.get("test_ratio"),
                            k=meta["k"], results=rows, meta=meta, created_by=created_by)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def list_evaluations(dataset_id: int) -> list[StoredEvaluation]:
    with session_scope() as session:
        rows = session.scalars(select(RecEvaluation).where(RecEvaluation.dataset_id == dataset_id).order_by(RecEvaluation.id.desc()))
        return [StoredEvaluation(r.id, r.dataset_id, r.protocol, r.seed, r.test_ratio, r.k, list(r.results), dict(r.meta), r.created_at)
                for r in rows]  # fmt: skip
